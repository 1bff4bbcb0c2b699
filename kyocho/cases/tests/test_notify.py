"""Notifying developers (cases.notify): one action for all of them, all or nothing; each contact gets one
message of its own, encrypted to its own key (the real gpg decrypts and verifies it) or a content-free
notice; the first notification sets the 起算日 and tells the reporter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from kyocho.accounts.models import Membership, Organisation, User
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import actions, notify
from kyocho.cases.models import Case, ContactAttempt, Participation
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.cases.workflow import CaseResolution, ContactChannel, ContactOutcome
from kyocho.conftest import VENDOR_A_CONTACTS, list_developer, make_organisation, submit_test_report
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.disclosure.actions import suspend_from_prenotification
from kyocho.intake import actions as intake
from kyocho.messaging import actions as outbox
from kyocho.messaging.gpgtesting import coordinator_data_dir, open_pgp_mime, peer, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import ReceivedMail, SmtpServer
from kyocho.messaging.workflow import EmailStatus
from kyocho.vendors import actions as vendors

TITLE = "Stored XSS in the admin console"
SUMMARY = "The device name is shown unescaped."
CVSS31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"  # 5.4 Medium
CVSS40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3 Critical


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def psirt_a(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "psirt-a", "psirt@vendor-a.example")


@pytest.fixture(scope="session")
def psirt_b(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "psirt-b", "psirt@vendor-b.example")


@pytest.fixture(scope="session")
def finder_keys(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "finder", "finder@example.net")


@pytest.fixture(autouse=True)
def _server(settings: Any, server_data: Path) -> None:
    settings.DATA_DIR = server_data


@pytest.fixture
def developer_a(vendor_org: Organisation, coordinator: User, psirt_a: tuple[Path, str]) -> Organisation:
    """Vendor A: its PSIRT has a key, a second contact (who reads Japanese) has none."""
    return list_developer(vendor_org, VENDOR_A_CONTACTS, psirt_a[1], actor=coordinator)


@pytest.fixture
def developer_b(other_vendor_org: Organisation, coordinator: User, psirt_b: tuple[Path, str]) -> Organisation:
    contacts = [{"name": "B PSIRT", "email": "psirt@vendor-b.example", "responsible": True, "language": "en"}]
    return list_developer(other_vendor_org, contacts, psirt_b[1], actor=coordinator)


@pytest.fixture
def unregistered() -> Organisation:
    """A developer kyocho knows of but has no contact for."""
    return make_organisation("Unlisted Widgets Ltd", OrganisationKind.PRODUCT_DEVELOPER)


@pytest.fixture
def case(coordinator: User, developer_a: Organisation, developer_b: Organisation) -> Case:
    """An open case with one vulnerability affecting a product of each developer; both identified."""
    case = actions.open_case(title=TITLE, summary=SUMMARY, actor=coordinator)
    actions.add_vulnerability(
        case.pk,
        title="XSS in the device name",
        cwe="CWE-79",
        cvss31_vector=CVSS31,
        cvss40_vector=CVSS40,
        affected=[
            {"product": "Router RT-500", "versions": "< 2.4.2", "organisation_id": developer_a.pk},
            {"product": "Camera Hub", "versions": "1.0 - 1.3", "organisation_id": developer_b.pk},
        ],
        actor=coordinator,
    )
    for developer in (developer_a, developer_b):
        actions.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
    return case


def notify_all(case: Case, *developers: Organisation, actor: User | None, **kwargs: Any) -> notify.NotificationResult:
    return notify.notify_developers(case.pk, organisation_ids=[d.pk for d in developers], actor=actor, **kwargs)


def deliver_everything() -> dict[str, int]:
    return outbox.deliver_batch(list(OutboundEmail.objects.values_list("pk", flat=True)))


def decrypt(home: Path, received: ReceivedMail) -> tuple[bool, str]:
    """(decrypted with a good coordinator signature, the inner text) as the recipient's gpg sees it."""
    good, inner = open_pgp_mime(home, received.message)
    return (good, plain_text(inner)) if inner is not None else (False, "")


def by_recipient(server: SmtpServer) -> dict[str, ReceivedMail]:
    assert all(len(received.recipients) == 1 for received in server.received)  # one message, one recipient
    mails = {received.recipients[0]: received for received in server.received}
    assert len(mails) == len(server.received)  # and one message per recipient
    return mails


# --- The whole path ----------------------------------------------------------------------------------


def test_one_action_notifies_every_developer_each_contact_by_a_message_of_its_own(
    case: Case,
    coordinator: User,
    developer_a: Organisation,
    developer_b: Organisation,
    smtp_server: SmtpServer,
    psirt_a: tuple[Path, str],
    psirt_b: tuple[Path, str],
) -> None:
    result = notify_all(case, developer_a, developer_b, actor=coordinator)
    assert [(d.name, d.mail, d.encrypted, d.notice_only) for d in result.developers] == [
        (developer_a.name, "mixed", ["psirt@vendor-a.example"], ["okawa@vendor-a.example"]),
        (developer_b.name, "encrypted", ["psirt@vendor-b.example"], []),
    ]
    assert set(case.participations.values_list("status", flat=True)) == {"notified"}

    assert deliver_everything() == {EmailStatus.SENT: 3}
    mails = by_recipient(smtp_server)
    assert set(mails) == {"psirt@vendor-a.example", "okawa@vendor-a.example", "psirt@vendor-b.example"}

    good_a, text_a = decrypt(psirt_a[0], mails["psirt@vendor-a.example"])
    good_b, text_b = decrypt(psirt_b[0], mails["psirt@vendor-b.example"])
    assert good_a and good_b
    for text in (text_a, text_b):
        assert TITLE in text and SUMMARY in text and "CWE-79" in text
        assert f"CVSS 3.1: 5.4 Medium ({CVSS31})" in text
        assert f"CVSS 4.0: 9.3 Critical ({CVSS40})" in text
        assert "Target disclosure date" in text and "/portal/cases/" + case.reference in text
        assert developer_a.name not in text and developer_b.name not in text  # nobody is told who else is in it
    assert "Router RT-500 < 2.4.2" in text_a and "Camera Hub" not in text_a
    assert "Camera Hub 1.0 - 1.3" in text_b and "Router RT-500" not in text_b

    # Each message is for its recipient's key alone.
    assert decrypt(psirt_a[0], mails["psirt@vendor-b.example"]) == (False, "")
    for received in mails.values():
        assert TITLE not in received.message.as_string()  # subjects and headers carry no details
    assert case.reference in mails["psirt@vendor-b.example"].message["Subject"]


def test_a_contact_without_a_key_gets_a_notice_in_its_language_without_details(
    case: Case, coordinator: User, developer_a: Organisation, smtp_server: SmtpServer
) -> None:
    notify_all(case, developer_a, actor=coordinator)
    deliver_everything()
    notice = by_recipient(smtp_server)["okawa@vendor-a.example"]
    raw = notice.message.as_string()
    assert notice.message.get_content_type() == "text/plain"
    for detail in (TITLE, SUMMARY, "CWE-79", "Router RT-500", CVSS31):
        assert detail not in raw and detail not in notice.text
    assert notice.message["Content-Language"] == "ja"
    assert "/portal/cases/" + case.reference in notice.text
    assert "/accounts/password/reset/" in notice.text  # a new account has no password yet


def test_contacts_get_portal_access_and_every_mail_is_a_contact_attempt(
    case: Case, coordinator: User, developer_a: Organisation, smtp_server: SmtpServer
) -> None:
    notify_all(case, developer_a, actor=coordinator)
    participation = case.participations.get(organisation=developer_a)
    members = Membership.objects.filter(organisation=developer_a).values_list("user__email", flat=True)
    assert sorted(members) == ["okawa@vendor-a.example", "psirt@vendor-a.example"]
    attempts = ContactAttempt.objects.filter(participation=participation)
    assert sorted(attempts.values_list("channel", "address", "outcome")) == [
        (ContactChannel.EMAIL, "okawa@vendor-a.example", ContactOutcome.SENT),
        (ContactChannel.EMAIL, "psirt@vendor-a.example", ContactOutcome.SENT),
    ]  # the portal notice is logged only for a developer no contact of which could be mailed
    assert all(attempt.recorded_by == coordinator for attempt in attempts)
    deliver_everything()
    assert set(attempts.filter(channel=ContactChannel.EMAIL).values_list("outcome", flat=True)) == {
        ContactOutcome.DELIVERED
    }


def test_what_is_audited_in_one_notification(case: Case, coordinator: User, developer_b: Organisation) -> None:
    with audited() as names:
        notify_all(case, developer_b, actor=coordinator)
    assert names[:2] == ["case:participant:notified", "case:case:coordinating"]
    assert names.count("messaging:email:queued") == 1
    assert "accounts:membership:added" in names and "case:conversation:opened" in names


def test_a_developer_without_contacts_is_notified_in_the_portal_and_the_result_says_so(
    case: Case, coordinator: User, unregistered: Organisation, developer_b: Organisation
) -> None:
    result = notify_all(case, unregistered, developer_b, actor=coordinator)
    assert [(d.name, d.mail, d.added) for d in result.developers] == [
        (unregistered.name, "none", True),
        (developer_b.name, "encrypted", False),
    ]
    assert [d.name for d in result.without_contact] == [unregistered.name]
    participation = case.participations.get(organisation=unregistered)
    assert participation.status == "notified"
    assert list(participation.contact_attempts.values_list("channel", flat=True)) == [ContactChannel.PORTAL]
    assert OutboundEmail.objects.filter(to__endswith="@vendor-b.example").count() == 1


def test_developers_not_in_the_case_are_added_first(
    coordinator: User, developer_a: Organisation, developer_b: Organisation
) -> None:
    case = actions.open_case(title=TITLE, actor=coordinator)
    with audited() as names:
        result = notify_all(case, developer_b, developer_a, actor=coordinator)
    assert [d.organisation_id for d in result.developers] == [developer_b.pk, developer_a.pk]  # as asked
    assert all(d.added for d in result.developers)
    assert names.count("case:participant:identified") == 2 and names.count("case:participant:notified") == 2
    assert names.index("case:participant:identified") < names.index("case:participant:notified")


def test_the_same_id_twice_is_one_developer(case: Case, coordinator: User, developer_b: Organisation) -> None:
    result = notify.notify_developers(
        case.pk, organisation_ids=[developer_b.pk, str(developer_b.pk)], actor=coordinator
    )
    assert len(result.developers) == 1
    assert OutboundEmail.objects.filter(purpose="case:notification").count() == 1


def test_the_single_notification_takes_the_same_path(
    case: Case, coordinator: User, developer_b: Organisation, smtp_server: SmtpServer, psirt_b: tuple[Path, str]
) -> None:
    participation = case.participations.get(organisation=developer_b)
    actions.notify_participant(participation.pk, actor=coordinator)
    deliver_everything()
    good, text = decrypt(psirt_b[0], by_recipient(smtp_server)["psirt@vendor-b.example"])
    assert good and "Camera Hub" in text
    assert participation.contact_attempts.count() == 1


# --- 起算日 and the reporter -------------------------------------------------------------------------


def accepted_report(reporter: User, case: Case, intake_staff: User, **fields: Any) -> None:
    report = submit_test_report(reporter=reporter, **fields)
    intake.accept_report(report.pk, actor=intake_staff, case_id=case.pk)


def test_the_first_notification_sets_the_start_date_and_tells_the_reporter_encrypted(
    case: Case,
    coordinator: User,
    intake_staff: User,
    reporter: User,
    developer_a: Organisation,
    developer_b: Organisation,
    smtp_server: SmtpServer,
    finder_keys: tuple[Path, str],
    settings: Any,
) -> None:
    accepted_report(reporter, case, intake_staff, reporter_pgp_key=finder_keys[1])
    moment = dt.datetime(2026, 7, 1, 1, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        result = notify_all(case, developer_a, actor=coordinator)
    case.refresh_from_db()
    target = moment + dt.timedelta(days=settings.KYOCHO["DEFAULT_DISCLOSURE_DAYS"])
    assert (case.status, case.start_date, case.target_disclosure_at) == ("coordinating", moment, target)
    assert (result.clock_started, result.start_date, result.reporters_told) == (True, moment, 1)

    told = OutboundEmail.objects.get(purpose="case:started")
    assert told.to == reporter.email and told.encrypt_to
    outbox.deliver_batch([told.pk])
    good, text = decrypt(finder_keys[0], by_recipient(smtp_server)[reporter.email])
    assert good and case.reference in text
    assert "2026-07-01 10:30 JST" in text  # the 起算日, in the display zone
    assert target.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%d %H:%M JST") in text

    with time_machine.travel(moment + dt.timedelta(days=3), tick=False):
        later = notify_all(case, developer_b, actor=coordinator)
    case.refresh_from_db()
    assert (case.start_date, later.clock_started, later.reporters_told) == (moment, False, 0)
    assert OutboundEmail.objects.filter(purpose="case:started").count() == 1


def test_a_reporter_without_a_key_is_told_the_dates_in_the_clear(
    case: Case, coordinator: User, intake_staff: User, reporter: User, developer_b: Organisation
) -> None:
    accepted_report(reporter, case, intake_staff)
    notify_all(case, developer_b, actor=coordinator)
    told = OutboundEmail.objects.get(purpose="case:started")
    assert not told.encrypt_to
    assert case.reference in told.body and "Start date" in told.body and "Target disclosure date" in told.body
    assert TITLE not in told.body and "CWE-79" not in told.body  # dates and the reference only


# --- All or nothing -----------------------------------------------------------------------------------


def nothing_changed(case: Case, names: list[str], emails_before: int) -> None:
    assert names == []
    assert OutboundEmail.objects.count() == emails_before
    assert set(Participation.objects.filter(case=case).values_list("status", flat=True)) == {"identified"}
    assert Case.objects.get(pk=case.pk).start_date is None


def test_an_already_notified_developer_refuses_the_whole_action(
    coordinator: User, developer_a: Organisation, developer_b: Organisation, unregistered: Organisation
) -> None:
    case = actions.open_case(title=TITLE, actor=coordinator)
    notify_all(case, developer_b, actor=coordinator)
    before = OutboundEmail.objects.count()
    with audited() as names, pytest.raises(Conflict) as refused:
        notify_all(case, developer_a, developer_b, unregistered, actor=coordinator)
    assert refused.value.field == "organisation_ids"
    assert developer_b.name in refused.value.message and developer_a.name not in refused.value.message
    assert names == [] and OutboundEmail.objects.count() == before
    assert not case.participations.filter(organisation__in=[developer_a, unregistered]).exists()  # none added


def test_a_suspended_developer_without_a_reason_refuses_the_whole_action_naming_every_one(
    case: Case, coordinator: User, lead: User, developer_a: Organisation, developer_b: Organisation
) -> None:
    for developer in (developer_a, developer_b):
        suspend_from_prenotification(developer.pk, reason=f"broke the date ({developer.name})", actor=lead)
    before = OutboundEmail.objects.count()
    with audited() as names, pytest.raises(notify.NeedsOverride) as refused:
        notify_all(case, developer_a, developer_b, actor=coordinator, override_reasons={developer_b.pk: "  "})
    assert refused.value.organisation_ids == [developer_a.pk, developer_b.pk]
    assert f"broke the date ({developer_a.name})" in refused.value.message
    assert f"broke the date ({developer_b.name})" in refused.value.message
    assert refused.value.field == "override_reasons"
    nothing_changed(case, names, before)

    with audited() as names, pytest.raises(notify.NeedsOverride) as refused:
        notify_all(case, developer_a, developer_b, actor=coordinator, override_reasons={developer_a.pk: "only vendor"})
    assert refused.value.organisation_ids == [developer_b.pk]
    nothing_changed(case, names, before)


def test_an_override_reason_lets_a_suspended_developer_be_notified(
    case: Case, coordinator: User, lead: User, developer_a: Organisation, developer_b: Organisation
) -> None:
    suspend_from_prenotification(developer_a.pk, reason="broke the date", actor=lead)
    result = notify_all(
        case,
        developer_a,
        developer_b,
        actor=coordinator,
        override_reasons={str(developer_a.pk): " the only vendor of the library "},
    )
    assert [(d.name, d.override_reason) for d in result.developers] == [
        (developer_a.name, "the only vendor of the library"),
        (developer_b.name, ""),
    ]
    event = last_event("case:participant:suspension_overridden")
    assert event.data == {"organisation": developer_a.pk, "reason": "the only vendor of the library"}


def test_the_single_notification_names_its_own_argument(
    case: Case, coordinator: User, lead: User, developer_a: Organisation
) -> None:
    suspend_from_prenotification(developer_a.pk, reason="broke the date", actor=lead)
    participation = case.participations.get(organisation=developer_a)
    with pytest.raises(Conflict) as refused:
        actions.notify_participant(participation.pk, actor=coordinator)
    assert refused.value.field == "override_reason" and "broke the date" in refused.value.message


# --- Who may, and bad input ---------------------------------------------------------------------------


def test_who_may_notify(
    case: Case,
    developer_b: Organisation,
    intake_staff: User,
    vendor_member: User,
    partner: User,
    partner_org: Organisation,
    coordinator: User,
    lead: User,
) -> None:
    before = OutboundEmail.objects.count()
    with pytest.raises(NotFound):  # a developer that was not notified does not know of the case
        notify_all(case, developer_b, actor=vendor_member)
    with pytest.raises(NotFound):
        notify_all(case, developer_b, actor=None)
    with pytest.raises(PermissionDenied):
        notify_all(case, developer_b, actor=intake_staff)
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(PermissionDenied):  # the partner sees the case, but only coordinators notify
        notify_all(case, developer_b, actor=partner)
    with pytest.raises(NotFound):
        notify.notify_developers(999_999, organisation_ids=[developer_b.pk], actor=coordinator)
    assert OutboundEmail.objects.count() == before
    notify_all(case, developer_b, actor=lead)


@pytest.mark.parametrize(
    ("organisation_ids", "overrides", "field"),
    [
        ([], {}, "organisation_ids"),
        ("12", {}, "organisation_ids"),
        (None, {}, "organisation_ids"),
        ({"a": 1}, {}, "organisation_ids"),
        (["x"], {}, "organisation_ids"),
        ([True], {}, "organisation_ids"),
        ([-1], {}, "organisation_ids"),
        ("partner", {}, "organisation_ids"),  # a partner team is no product developer
        ("unknown", {}, "organisation_ids"),
        ("developer", [], "override_reasons"),
        ("developer", {"other": "reason"}, "override_reasons"),
        ("developer", {"self": 7}, "override_reasons"),
        ("developer", {"self": "x" * 2001}, "override_reasons"),
    ],
)
def test_bad_input_is_refused_with_the_field(
    case: Case,
    coordinator: User,
    developer_b: Organisation,
    partner_org: Organisation,
    organisation_ids: Any,
    overrides: Any,
    field: str,
) -> None:
    named = {"developer": [developer_b.pk], "partner": [partner_org.pk], "unknown": [999_999]}
    ids = named.get(organisation_ids, organisation_ids) if isinstance(organisation_ids, str) else organisation_ids
    if isinstance(overrides, dict):
        overrides = {
            {"self": developer_b.pk, "other": partner_org.pk}.get(key, key): value for key, value in overrides.items()
        }
    before = OutboundEmail.objects.count()
    with audited() as names, pytest.raises(InvalidInput) as refused:
        notify.notify_developers(case.pk, organisation_ids=ids, override_reasons=overrides, actor=coordinator)
    assert refused.value.field == field
    nothing_changed(case, names, before)


def test_too_many_developers_at_once(case: Case, coordinator: User) -> None:
    with pytest.raises(InvalidInput, match="At most"):
        notify.notify_developers(case.pk, organisation_ids=range(1, notify.MAX_DEVELOPERS + 2), actor=coordinator)


def test_a_closed_case_notifies_nobody(case: Case, coordinator: User, developer_b: Organisation) -> None:
    actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="open or coordinating"):
        notify_all(case, developer_b, actor=coordinator)
    assert not OutboundEmail.objects.exists()


# --- The outbox keeps everything while the relay is down ----------------------------------------------


def test_smtp_down_then_up_loses_nothing(
    case: Case, coordinator: User, developer_a: Organisation, developer_b: Organisation, smtp_server: SmtpServer
) -> None:
    start = now()
    smtp_server.stop()
    with time_machine.travel(start, tick=False):
        notify_all(case, developer_a, developer_b, actor=coordinator)
        assert deliver_everything() == {EmailStatus.PENDING: 3}
    attempts = ContactAttempt.objects.filter(channel=ContactChannel.EMAIL)
    assert set(attempts.values_list("outcome", flat=True)) == {ContactOutcome.SENT}  # not failed: still trying

    smtp_server.start()
    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        assert outbox.deliver_due_emails(later) == {EmailStatus.SENT: 3}
    assert sorted(by_recipient(smtp_server)) == [
        "okawa@vendor-a.example",
        "psirt@vendor-a.example",
        "psirt@vendor-b.example",
    ]
    assert set(attempts.values_list("outcome", flat=True)) == {ContactOutcome.DELIVERED}


def test_nothing_is_queued_when_the_transaction_around_it_rolls_back(
    case: Case, coordinator: User, developer_b: Organisation
) -> None:
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        notify_all(case, developer_b, actor=coordinator)
        raise Abandon
    assert not OutboundEmail.objects.exists()
    assert case.participations.get(organisation=developer_b).status == "identified"


# --- What one developer is told ------------------------------------------------------------------------


def test_vulnerabilities_for_a_developer_name_only_its_own_products(
    case: Case, developer_a: Organisation, developer_b: Organisation
) -> None:
    vulnerabilities = list(case.vulnerabilities.all())
    facts = notify.vulnerabilities_for(developer_a.pk, vulnerabilities)
    assert [entry["product"] for entry in facts[0].affected] == ["Router RT-500"]
    assert facts[0].cvss31 is not None and str(facts[0].cvss31.base_score) == "5.4"
    assert notify.vulnerabilities_for(999_999, vulnerabilities)[0].affected == []


# --- Many developers cost no more queries than a few -------------------------------------------------


def developers(count: int, prefix: str) -> list[Organisation]:
    made = []
    for number in range(count):
        contact = {"name": "PSIRT", "email": f"psirt@{prefix}-{number}.example", "responsible": True, "language": "en"}
        developer = vendors.clean_developer(
            {"name": f"{prefix} {number}", "registration_type": "general", "contacts": [contact]}
        )
        made.append(vendors.import_developer(developer, actor=None).organisation)
    return made


def test_the_queries_of_a_notification_do_not_grow_with_the_number_of_developers(
    coordinator: User, django_assert_max_num_queries: Any
) -> None:
    few, many = developers(2, "few"), developers(8, "many")
    counts = []
    for chosen in (few, many):
        case = actions.open_case(title=TITLE, actor=coordinator)
        with django_assert_max_num_queries(100) as run:
            notify_all(case, *chosen, actor=coordinator)
        counts.append(len(run.captured_queries))
    assert counts[0] == counts[1]
    assert OutboundEmail.objects.filter(purpose="case:notification").count() == 10
