"""Case conversations: threads per party, messages, unread tracking and the confidentiality rules."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, Thread, ThreadKind
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.conftest import coordinating_case, make_member, make_organisation, submit_test_report
from kyocho.core.errors import InvalidInput, NotFound, PermissionDenied
from kyocho.intake import actions as intake

pytestmark = pytest.mark.django_db
K = ThreadKind


@pytest.fixture
def case(coordinator: Any, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    """Two developers notified: each must stay unaware of the other."""
    return coordinating_case(coordinator, vendor_org, other_vendor_org)


def developer_thread(case: Case, organisation: Organisation, coordinator: Any) -> Thread:
    return conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=organisation.pk, actor=coordinator)


def group_thread(case: Case, coordinator: Any) -> Thread:
    return conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)


# --- open_thread


def test_open_developer_thread_is_audited_and_idempotent(coordinator, case, vendor_org) -> None:
    with audited() as names:
        thread = developer_thread(case, vendor_org, coordinator)
    assert names == ["case:conversation:opened"]
    assert last_event("case:conversation:opened").data["organisation"] == vendor_org.pk
    with audited() as names:
        again = developer_thread(case, vendor_org, coordinator)
    assert again == thread and names == []


def test_one_group_thread_per_case(coordinator, case) -> None:
    first = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    assert conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator) == first


def accepted_into(case: Case, coordinator: Any, reporter: Any = None, **fields: Any) -> Any:
    report = submit_test_report(reporter=reporter, **fields)
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    report.refresh_from_db()
    return report


def test_one_reporter_thread_per_accepted_report(coordinator, case, reporter) -> None:
    report = accepted_into(case, coordinator, reporter)
    first = conversations.open_thread(case.pk, kind=K.REPORTER, report_id=report.pk, actor=coordinator)
    assert first.report == report
    assert conversations.open_thread(case.pk, kind=K.REPORTER, report_id=report.pk, actor=coordinator) == first
    waiting = submit_test_report()  # received, not accepted into the case
    with pytest.raises(InvalidInput) as refused:
        conversations.open_thread(case.pk, kind=K.REPORTER, report_id=waiting.pk, actor=coordinator)
    assert refused.value.field == "report_id"


def test_two_finders_of_one_case_never_read_each_other(coordinator, case, reporter) -> None:
    """Reports from two finders accepted into one case: each talks with the coordinators alone."""
    from kyocho.accounts import actions as accounts
    from kyocho.conftest import PASSWORD

    other = accounts.create_user("second-finder@example.net", actor=None, password=PASSWORD)
    mine, theirs = accepted_into(case, coordinator, reporter), accepted_into(case, coordinator, other)
    my_thread = conversations.open_thread(case.pk, kind=K.REPORTER, report_id=mine.pk, actor=coordinator)
    their_thread = conversations.open_thread(case.pk, kind=K.REPORTER, report_id=theirs.pk, actor=coordinator)
    assert my_thread != their_thread
    conversations.post_message(their_thread.pk, body="Your proof of concept works.", actor=coordinator)
    assert list(convo.threads_for(reporter, case)) == [my_thread]
    with pytest.raises(NotFound):
        convo.messages(reporter, their_thread.pk)
    with pytest.raises(NotFound):
        conversations.post_message(their_thread.pk, body="Me too?", actor=reporter)
    from kyocho.messaging.models import OutboundEmail

    told = OutboundEmail.objects.filter(purpose="case:conversation:message").values_list("to", flat=True)
    assert list(told) == ["second-finder@example.net"]  # the message's mail went to its finder only


def test_product_threads_need_title_and_developers(coordinator, case, vendor_org, partner_org) -> None:
    thread = conversations.open_thread(
        case.pk, kind=K.PRODUCT, organisation_ids=[vendor_org.pk], title="Example Router", actor=coordinator
    )
    assert list(thread.organisations.all()) == [vendor_org]
    second = conversations.open_thread(
        case.pk, kind=K.PRODUCT, organisation_ids=[vendor_org.pk], title="Example Switch", actor=coordinator
    )
    assert second != thread
    attempts: list[tuple[dict[str, Any], str]] = [
        ({"organisation_ids": [vendor_org.pk]}, "title"),
        ({"title": "Router"}, "organisation_ids"),
        ({"title": "Router", "organisation_ids": [partner_org.pk]}, "organisation_ids"),
        ({"title": "Router", "organisation_ids": ["x"]}, "organisation_ids"),
    ]
    for bad, field in attempts:
        with pytest.raises(InvalidInput) as refused:
            conversations.open_thread(case.pk, kind=K.PRODUCT, actor=coordinator, **bad)
        assert refused.value.field == field


def test_open_thread_bad_input(coordinator, case, vendor_org, partner_org) -> None:
    attempts: list[tuple[dict[str, Any], str]] = [
        ({"kind": "gossip"}, "kind"),
        ({"kind": K.DEVELOPER}, "organisation_id"),
        ({"kind": K.DEVELOPER, "organisation_id": partner_org.pk}, "organisation_id"),
        ({"kind": K.PARTNER, "organisation_id": partner_org.pk}, "organisation_id"),  # not shared
        ({"kind": K.REPORTER}, "report_id"),
        ({"kind": K.REPORTER, "report_id": 10_000}, "report_id"),  # not a report of this case
        ({"kind": K.DEVELOPER, "organisation_id": vendor_org.pk, "report_id": 1}, "report_id"),
        ({"kind": K.ALL_PARTICIPANTS, "organisation_ids": [vendor_org.pk]}, "organisation_ids"),
        ({"kind": K.ALL_PARTICIPANTS, "title": "x" * 201}, "title"),
    ]
    for arguments, field in attempts:
        with pytest.raises(InvalidInput) as refused:
            conversations.open_thread(case.pk, actor=coordinator, **arguments)
        assert refused.value.field == field
    assert not Thread.objects.exists()


def test_only_coordinators_open_threads(case, vendor_org, vendor_member, other_vendor_member, intake_staff) -> None:
    with pytest.raises(PermissionDenied):
        conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=vendor_org.pk, actor=vendor_member)
    with pytest.raises(PermissionDenied):
        conversations.open_thread(case.pk, kind=K.REPORTER, actor=intake_staff)
    with pytest.raises(NotFound):
        conversations.open_thread(case.pk, kind=K.REPORTER, actor=None)
    with pytest.raises(NotFound):
        conversations.open_thread(10_000, kind=K.REPORTER, actor=other_vendor_member)


# --- post_message and who belongs where


def test_developer_and_coordinator_talk_privately(coordinator, case, vendor_org, vendor_member, other_vendor_member):
    thread = developer_thread(case, vendor_org, coordinator)
    with audited() as names:
        message = conversations.post_message(thread.pk, body="  Please confirm **receipt**.  ", actor=coordinator)
    assert names == ["case:message:posted"]
    assert last_event("case:message:posted").data == {
        "thread": thread.pk,
        "message": message.pk,
        "source": "web",
        "signature": None,
        "attachments": [],
    }
    assert message.body == "Please confirm **receipt**."
    reply = conversations.post_message(thread.pk, body="Received.", actor=vendor_member)
    assert reply.author_organisation == vendor_org
    assert [view.message for view in convo.messages(vendor_member, thread.pk)] == [reply, message]
    assert convo.messages(vendor_member, thread.pk)[1].html == "<p>Please confirm <strong>receipt</strong>.</p>\n"
    with pytest.raises(NotFound):
        convo.messages(other_vendor_member, thread.pk)
    with pytest.raises(NotFound):
        conversations.post_message(thread.pk, body="Let me in", actor=other_vendor_member)
    assert convo.threads_for(other_vendor_member, case).count() == 0


def test_body_is_required_and_limited(coordinator, case, vendor_org) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    for body in ["", "   ", None, "x" * (conversations.MAX_BODY + 1)]:
        with pytest.raises(InvalidInput) as refused:
            conversations.post_message(thread.pk, body=body, actor=coordinator)  # type: ignore[arg-type]
        assert refused.value.field == "body"


def test_anonymous_and_unknown_threads_are_not_found(coordinator, case, vendor_org, committee_member) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    for actor in (None, committee_member):
        with pytest.raises(NotFound):
            conversations.post_message(thread.pk, body="Hello", actor=actor)
        with pytest.raises(NotFound):
            conversations.mark_read(thread.pk, actor=actor)
        with pytest.raises(NotFound):
            convo.messages(actor, thread.pk)
    with pytest.raises(NotFound):
        conversations.post_message(thread.pk + 99, body="Hello", actor=coordinator)


def test_partner_thread_needs_the_case_shared(coordinator, case, partner_org, partner) -> None:
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    thread = conversations.open_thread(case.pk, kind=K.PARTNER, organisation_id=partner_org.pk, actor=coordinator)
    assert (
        conversations.post_message(thread.pk, body="Our VU# is 123", actor=partner).author_organisation == partner_org
    )
    cases.unshare_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(NotFound):
        conversations.post_message(thread.pk, body="Still here?", actor=partner)


def test_reporter_thread(coordinator, case, reporter, vendor_member) -> None:
    report = accepted_into(case, coordinator, reporter)
    thread = conversations.open_thread(case.pk, kind=K.REPORTER, report_id=report.pk, actor=coordinator)
    assert list(convo.threads_for(reporter, case)) == [thread]
    assert conversations.post_message(thread.pk, body="Any news?", actor=reporter).author_organisation is None
    with pytest.raises(NotFound):
        convo.messages(vendor_member, thread.pk)


def test_product_thread_members(coordinator, case, vendor_org, vendor_member, other_vendor_member) -> None:
    thread = conversations.open_thread(
        case.pk, kind=K.PRODUCT, organisation_ids=[vendor_org.pk], title="Example Router", actor=coordinator
    )
    conversations.post_message(thread.pk, body="Fix in 2.1", actor=vendor_member)
    with pytest.raises(NotFound):
        conversations.post_message(thread.pk, body="Me too", actor=other_vendor_member)


def test_threads_for_lists_only_own_threads(coordinator, case, vendor_org, other_vendor_org, vendor_member):
    own = developer_thread(case, vendor_org, coordinator)
    developer_thread(case, other_vendor_org, coordinator)
    group = group_thread(case, coordinator)
    assert list(convo.threads_for(vendor_member, case)) == [own, group]
    assert convo.threads_for(coordinator, case).count() == 3


def test_identified_developer_sees_no_thread(coordinator, case, vendor_org) -> None:
    """A developer added but not yet notified does not know of the case, nor of its group thread."""
    late = make_organisation("Late Vendor", "product_developer")
    member = make_member("late@late.example", late, "vendor_member")
    cases.add_participant(case.pk, organisation_id=late.pk, actor=coordinator)
    group = group_thread(case, coordinator)
    with pytest.raises(NotFound):
        convo.messages(member, group.pk)


# --- confidentiality in the all-participants thread


def test_other_developers_are_anonymous_until_the_list_is_opened(
    coordinator, case, vendor_org, vendor_member, other_vendor_member
) -> None:
    thread = group_thread(case, coordinator)
    conversations.post_message(thread.pk, body="We are affected.", actor=other_vendor_member)
    conversations.post_message(thread.pk, body="So are we.", actor=vendor_member)
    conversations.post_message(thread.pk, body="Thanks all.", actor=coordinator)
    labels = [view.author_label for view in convo.messages(vendor_member, thread.pk)]
    assert labels[0] == str(coordinator)
    assert vendor_org.name in labels[1]
    assert labels[2] == "another developer"
    assert other_vendor_org_name_absent(labels, other_vendor_member)
    assert vendor_org.name not in "".join(v.author_label for v in convo.messages(other_vendor_member, thread.pk))
    assert "another developer" not in [view.author_label for view in convo.messages(coordinator, thread.pk)]

    with pytest.raises(PermissionDenied):
        conversations.set_participants_visible(thread.pk, visible=True, actor=vendor_member)
    with audited() as names:
        conversations.set_participants_visible(thread.pk, visible=True, actor=coordinator)
    assert names == ["case:conversation:participants_shown"]
    assert "another developer" not in [view.author_label for view in convo.messages(vendor_member, thread.pk)]


def other_vendor_org_name_absent(labels: list[str], other_member: Any) -> bool:
    other_name = other_member.memberships.get().organisation.name
    return all(other_name not in label for label in labels)


def test_participant_list_only_for_group_threads(coordinator, case, vendor_org) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    with pytest.raises(InvalidInput):
        conversations.set_participants_visible(thread.pk, visible=True, actor=coordinator)
    with pytest.raises(InvalidInput):
        conversations.set_participants_visible(thread.pk, visible="yes", actor=coordinator)  # type: ignore[arg-type]


# --- unread tracking and pagination


def test_unread_counts_per_user(coordinator, lead, case, vendor_org, vendor_member) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    conversations.post_message(thread.pk, body="One", actor=coordinator)
    conversations.post_message(thread.pk, body="Two", actor=coordinator)
    assert convo.unread_count(vendor_member, thread) == 2
    assert convo.unread_count(coordinator, thread) == 0  # one's own messages are read
    assert convo.unread_count(lead, thread) == 2
    with audited() as names:
        conversations.mark_read(thread.pk, actor=vendor_member)
    assert names == []
    assert convo.unread_count(vendor_member, thread) == 0
    conversations.post_message(thread.pk, body="Three", actor=lead)
    assert convo.unread_count(vendor_member, thread) == 1
    assert convo.unread_count(coordinator, thread) == 1
    conversations.post_message(thread.pk, body="Read", actor=vendor_member)
    assert convo.unread_count(vendor_member, thread) == 0
    unread = [t.unread for t in convo.threads_for(coordinator, case)]  # type: ignore[attr-defined]
    assert unread == [2]  # "Three" was the lead's


def test_thread_list_counts_unread_in_one_query(
    coordinator, case, vendor_org, vendor_member, django_assert_num_queries
):
    own = developer_thread(case, vendor_org, coordinator)
    group = group_thread(case, coordinator)
    for thread, count in [(own, 2), (group, 1)]:
        for index in range(count):
            conversations.post_message(thread.pk, body=f"m{index}", actor=coordinator)
    conversations.mark_read(group.pk, actor=vendor_member)
    conversations.post_message(group.pk, body="after", actor=coordinator)
    with django_assert_num_queries(2):  # the case, the threads with their counts
        counts = {t.pk: t.unread for t in convo.threads_for(vendor_member, case)}  # type: ignore[attr-defined]
    assert counts == {own.pk: 2, group.pk: 1}


def test_partners_are_named_to_developers_in_the_group_thread(coordinator, case, partner_org, partner, vendor_member):
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    thread = group_thread(case, coordinator)
    conversations.post_message(thread.pk, body="JPCERT here", actor=partner)
    assert partner_org.name in convo.messages(vendor_member, thread.pk)[0].author_label


def test_pagination_newest_first(coordinator, case, vendor_org, vendor_member) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    posted = [conversations.post_message(thread.pk, body=f"m{i}", actor=coordinator) for i in range(5)]
    first = convo.messages(vendor_member, thread.pk, limit=2)
    assert [view.message for view in first] == [posted[4], posted[3]]
    second = convo.messages(vendor_member, thread.pk, before=first[-1].message.pk, limit=2)
    assert [view.message for view in second] == [posted[2], posted[1]]
    bad_pages: list[dict[str, Any]] = [{"limit": 0}, {"limit": 201}, {"before": "x"}]
    for bad in bad_pages:
        with pytest.raises(InvalidInput):
            convo.messages(vendor_member, thread.pk, **bad)


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_is_constant_per_page(
    coordinator, case, vendor_member, other_vendor_member, django_assert_num_queries, count
) -> None:
    thread = group_thread(case, coordinator)
    for index in range(count):
        author = (coordinator, vendor_member, other_vendor_member)[index % 3]
        conversations.post_message(thread.pk, body=f"m{index}", actor=author)
    reader = User.objects.get(pk=vendor_member.pk)  # fresh: its memberships are read within the count
    with django_assert_num_queries(4):  # memberships, the thread, the page of messages with authors, their files
        convo.messages(reader, thread.pk)


# --- attachments and mail-borne messages


@pytest.fixture
def _attachments_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.mark.usefixtures("_attachments_dir")
def test_a_message_keeps_its_attachments(coordinator, case, vendor_org) -> None:
    from kyocho.core.attachments import Upload, read_file

    thread = developer_thread(case, vendor_org, coordinator)
    message = conversations.post_message(
        thread.pk, body="Logs attached.", actor=coordinator, attachments=[Upload("crash.txt", b"segfault at 0x0\n")]
    )
    (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.kind, attachment.size) == ("crash.txt", "text", 16)
    assert read_file(attachment.stored_name) == b"segfault at 0x0\n"
    assert last_event("case:message:posted").data["attachments"] == [attachment.sha256]


@pytest.mark.usefixtures("_attachments_dir")
def test_a_refused_attachment_stores_no_message(coordinator, case, vendor_org) -> None:
    from kyocho.cases.models import Message
    from kyocho.core.attachments import Upload

    thread = developer_thread(case, vendor_org, coordinator)
    with pytest.raises(InvalidInput) as refused:
        conversations.post_message(
            thread.pk, body="Binary.", actor=coordinator, attachments=[Upload("tool.exe", b"MZ\x90\x00\x03")]
        )
    assert refused.value.field == "attachments"
    assert not Message.objects.exists()


@pytest.mark.usefixtures("_attachments_dir")
def test_a_mail_reply_is_written_by_the_system_for_the_party_of_its_token(coordinator, case, vendor_org) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    message = conversations.post_message_from_mail(
        thread.pk, body="We confirm receipt.", organisation_id=vendor_org.pk, author=None, signature="verified"
    )
    assert (message.source, message.signature, message.author_organisation_id) == ("email", "verified", vendor_org.pk)
    event = last_event("case:message:posted")
    assert event.actor_label == "system" and event.data["source"] == "email"
