"""The staff page of one developer in a case: timeline, contacts and keys, the contact log and logging an
attempt, the unreachable progress, the transitions allowed now; the dashboard's "due" section.
Staff only: developers and partners never see the contact log (404)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions, followup
from kyocho.cases.models import Case, ContactAttempt, Participation
from kyocho.cases.tests.followup_fixtures import (
    SECRET,
    _server,
    psirt,
    registered,
    server_data,
    silent,
    silent_case,
)
from kyocho.cases.tests.helpers import log_attempts_until_unreachable
from kyocho.cases.workflow import ParticipationStatus
from kyocho.conftest import coordinating_case
from kyocho.core.clock import now

__all__ = ["_server", "psirt", "registered", "server_data", "silent", "silent_case"]  # fixtures, for pytest to find
pytestmark = pytest.mark.django_db

ClientFor = Callable[..., Client]
DAY = dt.timedelta(days=1)
P = ParticipationStatus


def page_of(participation: Participation) -> str:
    return f"/staff/cases/{participation.case.reference}/developers/{participation.organisation_id}/"


def log(client: Client, participation: Participation, **fields: str) -> Any:
    return client.post(page_of(participation), {"action": "log", "note": "", "address": "", "at": "", **fields})


def local(moment: dt.datetime) -> str:
    """A ``datetime-local`` value in the display zone, as the browser sends it."""
    return moment.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%dT%H:%M:%S")


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "lead", "intake_staff"])
def test_staff_open_the_page(client_for: ClientFor, silent: Participation, role: str, request: Any) -> None:
    assert client_for(request.getfixturevalue(role)).get(page_of(silent)).status_code == 200


@pytest.mark.parametrize("role", ["vendor_member", "other_vendor_member", "partner", "committee_member", "reporter"])
def test_everyone_else_gets_404_and_logs_nothing(
    client_for: ClientFor,
    coordinator: User,
    silent_case: Case,
    silent: Participation,
    partner_org: Organisation,
    role: str,
    request: Any,
) -> None:
    actions.share_case_with_partner(silent_case.pk, organisation_id=partner_org.pk, actor=coordinator)
    client = client_for(request.getfixturevalue(role))
    response = client.get(page_of(silent))
    assert response.status_code == 404
    assert SECRET not in response.content.decode() and "+81-3-1111-2222" not in response.content.decode()
    assert log(client, silent, channel="phone", outcome="no_answer").status_code == 404
    assert not ContactAttempt.objects.filter(channel="phone").exists()


def test_a_developer_not_in_the_case_and_an_unknown_case_are_404(
    client_for: ClientFor, silent: Participation, other_vendor_org: Organisation
) -> None:
    client = client_for(silent.case.owner)
    assert client.get(f"/staff/cases/{silent.case.reference}/developers/{other_vendor_org.pk}/").status_code == 404
    assert client.get(f"/staff/cases/KYC-NONE-NONE/developers/{silent.organisation_id}/").status_code == 404


def test_each_developer_of_the_case_page_links_to_its_page(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    html = client_for(coordinator).get(f"/staff/cases/{silent.case.reference}/").content.decode()
    assert f'href="{page_of(silent)}"' in html


def test_the_portal_case_page_links_no_developer_page(
    client_for: ClientFor, silent: Participation, coordinator: User, registered: Organisation
) -> None:
    from kyocho.accounts import actions as accounts
    from kyocho.accounts.roles import Role

    member = accounts.create_user("member@vendor-a.example", actor=None, password="correct horse battery 42")
    accounts.add_member(registered.pk, user_id=member.pk, role=Role.VENDOR_MEMBER, actor=None)
    html = client_for(member).get(f"/portal/cases/{silent.case.reference}/").content.decode()
    assert "Example Vendor A" in html and f"/staff/cases/{silent.case.reference}/developers/" not in html


# --- What it shows -------------------------------------------------------------------------------


def test_status_timeline_contacts_and_keys(client_for: ClientFor, coordinator: User, silent: Participation) -> None:
    html = client_for(coordinator).get(page_of(silent)).content.decode()
    assert "Example Vendor A" in html and silent.case.reference in html
    assert 'id="participation-status">Notified<' in html
    assert "Notified" in html and "Acknowledged (V: vendor aware)" in html and "Reminded" in html
    assert "psirt@vendor-a.example" in html and "+81-3-1111-2222" in html and "+81-3-0000-0000" in html
    key = silent.organisation.registration.keys.get()
    assert key.fingerprint in html
    assert html.count("no usable key") == 1  # the second contact


def test_the_contact_log_shows_every_attempt_with_its_mail_status(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 7 * DAY, tick=False):
        followup.send_due_reminders()
    html = client_for(coordinator).get(page_of(silent)).content.decode()
    # The notification mailed each contact, then the reminder did: two attempts, four mails.
    assert "4 entries" in html and "2 of 3 attempts" in html
    assert html.count('class="attempt attempt--email"') == 4
    assert "(mail: Waiting to be sent)" in html
    assert "okawa@vendor-a.example" in html and "System" in html
    shown = (silent.notified_at + 7 * DAY).astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert shown.strftime("%Y-%m-%d %H:%M JST") in html


def test_the_page_is_in_japanese_too(client_for: ClientFor, coordinator: User, silent: Participation) -> None:
    html = client_for(coordinator, "ja").get(page_of(silent)).content.decode()
    assert '<html lang="ja">' in html and "psirt@vendor-a.example" in html


# --- Logging an attempt --------------------------------------------------------------------------


def test_a_coordinator_logs_a_phone_call_and_sees_the_progress(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    client = client_for(coordinator)
    assert "1 of 3 attempts, 0 of 30 days, 1 of 2 channels" in client.get(page_of(silent)).content.decode()
    response = log(client, silent, channel="phone", outcome="no_answer", address="+81-3-1111-2222", note="Voicemail")
    assert response.status_code == 302 and response["Location"] == page_of(silent)
    attempt = ContactAttempt.objects.get(channel="phone")
    assert (attempt.outcome, attempt.address, attempt.note, attempt.recorded_by) == (
        "no_answer",
        "+81-3-1111-2222",
        "Voicemail",
        coordinator,
    )
    assert attempt.at <= now()
    html = client.get(page_of(silent)).content.decode()
    assert "The contact attempt is logged." in html
    assert "2 of 3 attempts, 0 of 30 days, 2 of 2 channels" in html


def test_an_attempt_at_a_given_time_counts_its_days(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    assert silent.notified_at is not None
    later = (silent.notified_at + 10 * DAY).replace(microsecond=0) + dt.timedelta(seconds=1)  # the form's resolution
    client = client_for(coordinator)
    with time_machine.travel(later + DAY, tick=False):
        log(client, silent, channel="post", outcome="sent", at=local(later))
        html = client.get(page_of(silent)).content.decode()
    assert ContactAttempt.objects.get(channel="post").at == later
    assert "2 of 3 attempts, 10 of 30 days, 2 of 2 channels" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "pigeon", "outcome": "sent"}, "“pigeon” is not one of"),
        ({"channel": "phone", "outcome": "maybe"}, "“maybe” is not one of"),
        ({"channel": "phone", "outcome": "sent", "at": "yesterday"}, "Enter a valid date/time."),
    ],
)
def test_bad_input_is_shown_beside_its_field(
    client_for: ClientFor, coordinator: User, silent: Participation, fields: dict[str, str], message: str
) -> None:
    response = log(client_for(coordinator), silent, **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "field--invalid" in html
    assert ContactAttempt.objects.count() == 2  # the notification's mails only


def test_an_attempt_cannot_be_in_the_future_nor_before_the_notification(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    assert silent.notified_at is not None
    client = client_for(coordinator)
    html = log(client, silent, channel="fax", outcome="sent", at=local(now() + DAY)).content.decode()
    assert "A contact attempt cannot be in the future." in html and 'id="field-at"' in html
    html = log(client, silent, channel="fax", outcome="sent", at=local(silent.notified_at - DAY)).content.decode()
    assert "A contact attempt cannot be earlier than the notification" in html
    assert ContactAttempt.objects.count() == 2  # the notification's mails only


def test_no_attempt_is_logged_for_a_closed_participation(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    actions.close_participation(silent.pk, actor=coordinator)
    client = client_for(coordinator)
    assert 'id="log-attempt"' not in client.get(page_of(silent)).content.decode()
    html = log(client, silent, channel="phone", outcome="reached").content.decode()
    assert "Contact attempts are logged for a developer that was notified and is not closed." in html
    assert not ContactAttempt.objects.filter(channel="phone").exists()


def test_intake_staff_see_the_log_but_do_not_change_it(
    client_for: ClientFor, intake_staff: User, silent: Participation
) -> None:
    client = client_for(intake_staff)
    html = client.get(page_of(silent)).content.decode()
    assert 'id="log-attempt"' not in html and 'id="transitions"' not in html
    html = log(client, silent, channel="phone", outcome="reached").content.decode()
    assert "Only coordinators can do this." in html
    assert client.post(page_of(silent), {"action": "acknowledge"}).status_code == 302
    silent.refresh_from_db()
    assert silent.status == P.NOTIFIED


# --- Transitions ---------------------------------------------------------------------------------


def buttons(html: str) -> set[str]:
    return {
        name
        for name in ("acknowledge", "unreachable", "list_name", "list_product", "refer", "close")
        if f'value="{name}"' in html
    }


def test_acknowledging_on_the_developers_behalf(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    client = client_for(coordinator)
    assert buttons(client.get(page_of(silent)).content.decode()) == {"acknowledge", "close"}
    client.post(page_of(silent), {"action": "acknowledge"})
    silent.refresh_from_db()
    assert silent.status == P.ACKNOWLEDGED and silent.acknowledged_at is not None
    html = client.get(page_of(silent)).content.decode()
    assert "The developer is recorded as having acknowledged." in html
    assert buttons(html) == {"refer", "close"}


def test_unreachable_is_offered_once_the_evidence_is_complete(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    assert silent.notified_at is not None
    later = silent.notified_at + settings.KYOCHO["UNREACHABLE_MIN_DAYS"] * DAY
    with time_machine.travel(later, tick=False):
        client = client_for(coordinator)  # signed in then: a session does not last the weeks travelled
        response = client.post(page_of(silent), {"action": "unreachable"}, follow=True)
        assert "cannot be declared unreachable yet" in response.content.decode()
        log_attempts_until_unreachable(silent, actor=coordinator)
        html = client.get(page_of(silent)).content.decode()
        assert "The evidence is complete" in html and "unreachable" in buttons(html)
        client.post(page_of(silent), {"action": "unreachable"})
        silent.refresh_from_db()
        assert silent.status == P.UNREACHABLE
        client.post(page_of(silent), {"action": "list_name"})
        silent.refresh_from_db()
        assert silent.status == P.LISTED_NAME
        html = client.get(page_of(silent)).content.decode()
        assert "list_product" not in buttons(html) and "The product can be listed too from" in html
    with time_machine.travel(later + settings.KYOCHO["UNREACHABLE_STAGE2_DAYS"] * DAY, tick=False):
        client = client_for(coordinator)
        html = client.get(page_of(silent)).content.decode()
        assert buttons(html) == {"acknowledge", "list_product", "close"}
        client.post(page_of(silent), {"action": "list_product"})
        client.post(page_of(silent), {"action": "refer"})
    silent.refresh_from_db()
    assert silent.status == P.COMMITTEE_REVIEW


def test_referring_a_reachable_developer_needs_a_reason(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    client = client_for(coordinator)
    client.post(page_of(silent), {"action": "acknowledge"})
    html = client.post(page_of(silent), {"action": "refer", "reason": ""}, follow=True).content.decode()
    assert "needs a reason" in html
    client.post(page_of(silent), {"action": "refer", "reason": "The developer refuses to fix it (調整不能)."})
    silent.refresh_from_db()
    assert silent.status == P.COMMITTEE_REVIEW and "調整不能" in silent.committee_referral_reason


def test_closing_with_a_note(client_for: ClientFor, coordinator: User, silent: Participation) -> None:
    client_for(coordinator).post(page_of(silent), {"action": "close", "note": "Product discontinued"})
    silent.refresh_from_db()
    assert silent.status == P.CLOSED and silent.closing_note == "Product discontinued"


def test_an_unknown_action_is_refused(client_for: ClientFor, coordinator: User, silent: Participation) -> None:
    html = client_for(coordinator).post(page_of(silent), {"action": "explode"}, follow=True).content.decode()
    assert "Unknown request." in html


# --- Escalation on the pages ---------------------------------------------------------------------


def test_an_escalated_developer_shows_the_other_channels(
    client_for: ClientFor, coordinator: User, silent_case: Case, silent: Participation, partner_org: Organisation
) -> None:
    actions.share_case_with_partner(silent_case.pk, organisation_id=partner_org.pk, actor=coordinator)
    assert 'id="escalation"' not in client_for(coordinator).get(page_of(silent)).content.decode()
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 14 * DAY, tick=False):
        followup.send_due_escalations()
        client = client_for(coordinator)
        html = client.get(page_of(silent)).content.decode()
        case_html = client.get(f"/staff/cases/{silent_case.reference}/").content.decode()
    assert 'id="escalation"' in html
    assert "+81-3-0000-0000 (main number); +81-3-1111-2222 (PSIRT); +81-3-3333-4444 (大川)" in html
    assert partner_org.name in html
    assert "Escalated" in case_html


def test_the_dashboard_lists_what_is_due(client_for: ClientFor, coordinator: User, silent: Participation) -> None:
    assert "No developer needs following up." in client_for(coordinator).get("/staff/").content.decode()
    assert silent.notified_at is not None
    with time_machine.travel(silent.notified_at + 14 * DAY, tick=False):
        followup.send_due_escalations()
        html = client_for(coordinator).get("/staff/").content.decode()
    assert "Escalated: try another channel" in html and f'href="{page_of(silent)}"' in html
    with time_machine.travel(silent.notified_at + 31 * DAY, tick=False):
        log_attempts_until_unreachable(silent, actor=coordinator)
        html = client_for(coordinator).get("/staff/").content.decode()
    assert "May be declared unreachable" in html and "1 may be declared unreachable" in html


def test_the_dashboard_needs_the_same_queries_for_one_or_many_due_developers(
    client_for: ClientFor, coordinator: User, django_assert_max_num_queries: Any
) -> None:
    from kyocho.accounts.roles import OrganisationKind
    from kyocho.conftest import make_organisation

    developers = [make_organisation(f"Developer {n}", OrganisationKind.PRODUCT_DEVELOPER) for n in range(4)]
    first = coordinating_case(coordinator, developers[0]).participations.get()
    assert first.notified_at is not None
    later = first.notified_at + 31 * DAY
    with time_machine.travel(later, tick=False):
        followup.send_due_escalations()
        log_attempts_until_unreachable(first, actor=coordinator)
        client = client_for(coordinator)
        client.get("/staff/")  # the session and the user's roles are read once
        with CaptureQueriesContext(connection) as one:
            client.get("/staff/")
        queries_for_one = len(one.captured_queries)  # read now: the next request resets the log
    others = [coordinating_case(coordinator, developer).participations.get() for developer in developers[1:]]
    with time_machine.travel(later + 40 * DAY, tick=False):
        followup.send_due_escalations()
        for participation in others:
            participation.refresh_from_db()
            log_attempts_until_unreachable(participation, actor=coordinator)
        client = client_for(coordinator)
        client.get("/staff/")
        with django_assert_max_num_queries(queries_for_one):
            html = client.get("/staff/").content.decode()
    assert html.count("due--escalated") == html.count("due--unreachable") == 4


def test_a_transition_the_table_forbids_is_refused_with_the_reason(
    client_for: ClientFor, coordinator: User, silent: Participation
) -> None:
    html = client_for(coordinator).post(page_of(silent), {"action": "list_name"}, follow=True).content.decode()
    assert "cannot go from “Notified (notified)” to “Listed: developer name (listed_name)”" in html
    silent.refresh_from_db()
    assert silent.status == P.NOTIFIED and silent.listed_at is None


def test_an_identified_developer_has_no_log_yet(
    client_for: ClientFor, coordinator: User, silent_case: Case, other_vendor_org: Organisation
) -> None:
    identified = actions.add_participant(silent_case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    html = client_for(coordinator).get(page_of(identified)).content.decode()
    assert "No contact attempt yet." in html and 'id="log-attempt"' not in html
    assert buttons(html) == {"close"}
