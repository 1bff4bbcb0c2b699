"""The tracking page a tracking link opens, the portal page of signed-in reporters, and the
reporter↔coordinator conversation (``post_report_message``)."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.audit.queries import events_for
from kyocho.cases import actions as cases
from kyocho.conftest import submit_test_report
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.intake import actions
from kyocho.intake.models import Report
from kyocho.intake.tests.formhelpers import _data_dir, _fresh_rate_limits, submit_and_track
from kyocho.messaging.models import OutboundEmail

__all__ = ["_data_dir", "_fresh_rate_limits"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(client_for: Any) -> tuple[Any, Report, str]:
    client = client_for(None)
    report, path = submit_and_track(client)
    return client, report, path


def test_tracking_page_shows_status_timeline_and_report(tracked: Any) -> None:
    client, report, path = tracked
    assert path.startswith("/track/")
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert report.reference in html
    assert "We received your report." in html
    assert "We aim to decide by" in html
    assert "Withdraw" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("path", ["/track/wrong-token/", "/track/" + "x" * 200 + "/", "/track/%20/"])
def test_wrong_token_is_404(client_for: Any, path: str) -> None:
    assert client_for(None).get(path).status_code == 404


def test_revoked_token_is_404(tracked: Any, coordinator: User) -> None:
    client, report, path = tracked
    actions.revoke_tracking_token(report.pk, actor=coordinator)
    assert client.get(path).status_code == 404
    assert client.post(path, {"action": "withdraw"}).status_code == 404
    assert Report.objects.get(pk=report.pk).status == "received"


def test_one_reports_token_opens_no_other_report(tracked: Any, client_for: Any) -> None:
    client, _first, first_path = tracked
    second, second_path = submit_and_track(client_for(None), reporter_email="other@finder.example")
    assert first_path != second_path
    html = client.get(first_path).content.decode()
    assert second.reference not in html
    attachment_of_other = f"{first_path}attachments/999999/"
    assert client.get(attachment_of_other).status_code == 404


def test_reporter_answers_a_question_through_the_link(tracked: Any, coordinator: User) -> None:
    client, report, path = tracked
    actions.request_information(report.pk, question="Which firmware build?", actor=coordinator)
    page = client.get(path).content.decode()
    assert "Which firmware build?" in page
    assert "Answer the question" in page
    response = client.post(path, {"action": "answer", "answer": "Build 2024-11"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "received"
    assert events_for(report).latest("seq").name == "intake:report:information_provided"
    page = client.get(path).content.decode()
    assert "Build 2024-11" in page
    assert "You answered" in page


def test_empty_answer_is_refused_with_a_message(tracked: Any, coordinator: User) -> None:
    client, report, path = tracked
    actions.request_information(report.pk, question="Which build?", actor=coordinator)
    response = client.post(path, {"action": "answer", "answer": "  "}, follow=True)
    assert "Answer is required." in response.content.decode()
    assert Report.objects.get(pk=report.pk).status == "needs_info"


def test_reporter_withdraws_through_the_link(tracked: Any) -> None:
    client, report, path = tracked
    client.post(path, {"action": "withdraw"})
    report.refresh_from_db()
    assert report.status == "withdrawn"
    page = client.get(path).content.decode()
    assert "You withdrew the report." in page
    assert 'value="withdraw"' not in page


def test_unknown_action_is_404(tracked: Any) -> None:
    client, _report, path = tracked
    assert client.post(path, {"action": "accept"}).status_code == 404


def test_conversation_both_ways(tracked: Any, coordinator: User) -> None:
    client, report, path = tracked
    client.post(path, {"action": "message", "body": "Is there **news**?"})
    actions.post_report_message(report.pk, body="We are contacting the developer.", actor=coordinator)
    html = client.get(path).content.decode()
    assert "Is there <strong>news</strong>?" in html
    assert "We are contacting the developer." in html
    names = [event.name for event in events_for(report)]
    assert names.count("intake:report:message_posted") == 2
    mail = OutboundEmail.objects.get(purpose="report:message")
    assert mail.to == report.reporter_email
    assert "We are contacting the developer." in mail.body


def test_reporter_message_by_token_is_recorded_as_from_the_reporter(tracked: Any) -> None:
    _client, report, path = tracked
    token = path.split("/")[2]
    message = actions.post_report_message(report.pk, body="Hello", actor=None, token=token)
    assert message.from_reporter
    assert events_for(report).latest("seq").data == {
        "message": message.pk,
        "from_reporter": True,
        "via": "tracking_token",
    }
    assert not OutboundEmail.objects.filter(purpose="report:message").exists()


def test_message_refusals(tracked: Any, vendor_member: User, coordinator: User) -> None:
    _client, report, _path = tracked
    with pytest.raises(InvalidInput) as empty:
        actions.post_report_message(report.pk, body=" ", actor=coordinator)
    assert empty.value.field == "body"
    with pytest.raises(NotFound):
        actions.post_report_message(report.pk, body="hi", actor=vendor_member)
    with pytest.raises(NotFound):
        actions.post_report_message(report.pk, body="hi", actor=None, token="wrong")
    actions.mark_spam(report.pk, actor=coordinator)
    with pytest.raises(Conflict):
        actions.post_report_message(report.pk, body="hi", actor=coordinator)


def test_signed_in_reporter_sees_the_same_page_in_the_portal(client_for: Any, reporter: User) -> None:
    report = submit_test_report(reporter=reporter)
    client = client_for(reporter)
    url = f"/portal/reports/{report.reference}/"
    assert "We received your report." in client.get(url).content.decode()
    client.post(url, {"action": "message", "body": "From my account"})
    assert report.messages.get().author == reporter
    client.post(url, {"action": "withdraw"})
    assert Report.objects.get(pk=report.pk).status == "withdrawn"


def test_staff_viewing_a_report_cannot_act_as_its_reporter(client_for: Any, reporter: User, coordinator: User) -> None:
    report = submit_test_report(reporter=reporter)
    with pytest.raises(PermissionDenied):
        actions.withdraw_report(report.pk, actor=coordinator)


def test_milestones_after_acceptance(tracked: Any, coordinator: User, vendor_org: Any) -> None:
    client, report, path = tracked
    actions.accept_report(report.pk, actor=coordinator, case_title="XSS in Example Router")
    report.refresh_from_db()
    page = client.get(path).content.decode()
    assert "Your report was accepted" in page
    assert "Not yet: no developer has been contacted." in page
    participation = cases.add_participant(report.case_id, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    page = client.get(path).content.decode()
    assert "Start date (起算日)" in page
    assert "Not yet: no developer has been contacted." not in page
    assert "Not agreed yet." in page
    assert vendor_org.name not in page


def test_agreed_date_and_shared_draft_appear_once_they_exist(tracked: Any, coordinator: User, vendor_org: Any) -> None:
    from kyocho.advisories import actions as advisories
    from kyocho.advisories.tests.helpers import approved, draft
    from kyocho.disclosure import actions as disclosure
    from kyocho.disclosure.tests.helpers import everyone_consents, in_days

    client, report, path = tracked
    actions.accept_report(report.pk, actor=coordinator, case_title="XSS in Example Router")
    report.refresh_from_db()
    participation = cases.add_participant(report.case_id, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    embargo = disclosure.propose_embargo(report.case_id, end_at=in_days(30), reason="Fix ships.", actor=coordinator)
    assert "Not agreed yet." in client.get(path).content.decode()  # proposed is not agreed
    everyone_consents(embargo, coordinator)
    disclosure.activate_embargo(embargo.pk, actor=coordinator)
    hidden = draft(report.case, coordinator)
    shared = approved(report.case, coordinator)
    page = client.get(path).content.decode()
    assert "Not agreed yet." not in page
    assert shared.identifier not in page  # approved but not shared yet
    advisories.share_draft_with_participants(shared.pk, actor=coordinator)
    page = client.get(path).content.decode()
    assert shared.identifier in page
    assert hidden.identifier not in page
