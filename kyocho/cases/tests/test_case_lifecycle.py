"""Case lifecycle (PRODUCT.md §2.2): hold, close with a resolution, owner, details, target date."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.accounts.roles import Role
from kyocho.cases import actions
from kyocho.cases.models import Case
from kyocho.cases.tests.helpers import audited, last_event, walk_to_coordinating
from kyocho.cases.workflow import CaseResolution, CaseStatus
from kyocho.conftest import make_member
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_case(coordinator) -> Case:
    return actions.open_case(title="Buffer overflow in the firmware updater", actor=coordinator)


def published_case(coordinator, vendor_org) -> Case:
    case, _participation = walk_to_coordinating(coordinator, vendor_org)
    return actions.mark_case_published(case.pk, actor=coordinator)


# --- open ----------------------------------------------------------------------------------------


def test_open_case_is_audited_and_owned_by_its_opener(coordinator) -> None:
    with audited() as names:
        case = actions.open_case(title="  Path traversal  ", actor=coordinator)
    assert names == ["case:case:opened"]
    assert (case.title, case.status, case.owner, case.start_date) == ("Path traversal", "open", coordinator, None)
    assert case.reference.startswith("KYC-")


def test_intake_opens_an_unowned_case(intake_staff) -> None:
    assert actions.open_case(title="Accepted report", actor=intake_staff).owner is None


def test_only_staff_open_cases(vendor_member, partner, reporter) -> None:
    for actor in (vendor_member, partner, reporter, None):
        with pytest.raises(PermissionDenied):
            actions.open_case(title="x", actor=actor)


def test_open_case_needs_a_title(coordinator) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.open_case(title="   ", actor=coordinator)
    assert refused.value.field == "title"


# --- hold ----------------------------------------------------------------------------------------


def test_hold_and_release(coordinator, open_case) -> None:
    with audited() as names:
        case = actions.put_case_on_hold(open_case.pk, reason=" waiting for the finder ", actor=coordinator)
    assert names == ["case:case:held"]
    assert (case.on_hold, case.hold_reason) == (True, "waiting for the finder")
    assert last_event("case:case:held").data == {"reason": "waiting for the finder"}
    with audited() as names:
        case = actions.release_case_hold(open_case.pk, actor=coordinator)
    assert names == ["case:case:hold_released"]
    assert (case.on_hold, case.hold_reason) == (False, "")


def test_hold_needs_a_reason(coordinator, open_case) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.put_case_on_hold(open_case.pk, reason=" ", actor=coordinator)
    assert refused.value.field == "reason"


def test_hold_twice_and_release_unheld_are_refused(coordinator, open_case) -> None:
    with pytest.raises(Conflict, match="not on hold"):
        actions.release_case_hold(open_case.pk, actor=coordinator)
    actions.put_case_on_hold(open_case.pk, reason="r", actor=coordinator)
    with audited() as names, pytest.raises(Conflict, match="already on hold"):
        actions.put_case_on_hold(open_case.pk, reason="again", actor=coordinator)
    assert names == []


def test_only_active_cases_go_on_hold(coordinator, vendor_org) -> None:
    case = published_case(coordinator, vendor_org)
    with pytest.raises(Conflict, match="open or coordinating"):
        actions.put_case_on_hold(case.pk, reason="r", actor=coordinator)


def test_hold_permissions(open_case, intake_staff, vendor_member, partner) -> None:
    with pytest.raises(PermissionDenied):  # intake sees every case, but does not run them
        actions.put_case_on_hold(open_case.pk, reason="r", actor=intake_staff)
    with pytest.raises(NotFound):  # the others do not even know it exists
        actions.put_case_on_hold(open_case.pk, reason="r", actor=vendor_member)
    with pytest.raises(NotFound):
        actions.release_case_hold(open_case.pk, actor=partner)
    with pytest.raises(NotFound):
        actions.put_case_on_hold(999_999, reason="r", actor=vendor_member)


def test_a_notified_developer_sees_the_case_but_may_not_hold_it(case, vendor_member) -> None:
    with pytest.raises(PermissionDenied):
        actions.put_case_on_hold(case.pk, reason="r", actor=vendor_member)


# --- close ---------------------------------------------------------------------------------------

CLOSABLE_BEFORE_PUBLICATION = [
    CaseResolution.NOT_VULNERABLE,
    CaseResolution.HANDLED_INDIVIDUALLY,
    CaseResolution.WITHDRAWN,
]


@pytest.mark.parametrize("resolution", CLOSABLE_BEFORE_PUBLICATION)
def test_close_an_open_case(coordinator, open_case, resolution) -> None:
    with audited() as names:
        case = actions.close_case(open_case.pk, resolution=resolution, note=" checked ", actor=coordinator)
    assert names == ["case:case:closed"]
    assert (case.status, case.resolution, case.resolution_note) == ("closed", resolution, "checked")
    assert case.closed_at is not None
    assert last_event("case:case:closed").data["from"] == "open"


@pytest.mark.parametrize("resolution", CLOSABLE_BEFORE_PUBLICATION)
def test_close_a_coordinating_case(coordinator, case, resolution) -> None:
    closed = actions.close_case(case.pk, resolution=resolution, actor=coordinator)
    assert (closed.status, closed.resolution) == ("closed", resolution)


def test_published_resolution_only_from_published(coordinator, open_case, vendor_org) -> None:
    with pytest.raises(Conflict, match="can only be closed as") as refused:
        actions.close_case(open_case.pk, resolution=CaseResolution.PUBLISHED, actor=coordinator)
    assert refused.value.field == "resolution"
    case = published_case(coordinator, vendor_org)
    with pytest.raises(Conflict, match="can only be closed as: Published"):
        actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    closed = actions.close_case(case.pk, resolution=CaseResolution.PUBLISHED, actor=coordinator)
    assert (closed.status, closed.resolution) == ("closed", "published")


def test_a_closed_case_cannot_close_again(coordinator, open_case) -> None:
    actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(TransitionNotAllowed, match="is final"):
        actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)


def test_closing_ends_a_hold(coordinator, open_case) -> None:
    actions.put_case_on_hold(open_case.pk, reason="r", actor=coordinator)
    case = actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    assert (case.on_hold, case.hold_reason) == (False, "")


def test_merge_into_another_case(coordinator, open_case) -> None:
    target = actions.open_case(title="The original report", actor=coordinator)
    case = actions.close_case(
        open_case.pk, resolution=CaseResolution.MERGED_INTO, merged_into_id=target.pk, actor=coordinator
    )
    assert (case.resolution, case.merged_into) == ("merged_into", target)
    assert last_event("case:case:closed").data["merged_into"] == target.reference


def test_merge_needs_a_proper_target(coordinator, open_case) -> None:
    merged = CaseResolution.MERGED_INTO
    with pytest.raises(InvalidInput) as refused:
        actions.close_case(open_case.pk, resolution=merged, actor=coordinator)
    assert refused.value.field == "merged_into_id"
    other = actions.open_case(title="other", actor=coordinator)
    with pytest.raises(InvalidInput, match="only such a case"):
        actions.close_case(
            open_case.pk, resolution=CaseResolution.WITHDRAWN, merged_into_id=other.pk, actor=coordinator
        )
    with pytest.raises(InvalidInput, match="itself"):
        actions.close_case(open_case.pk, resolution=merged, merged_into_id=open_case.pk, actor=coordinator)
    with pytest.raises(InvalidInput, match="not a valid id"):
        actions.close_case(open_case.pk, resolution=merged, merged_into_id="x", actor=coordinator)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        actions.close_case(open_case.pk, resolution=merged, merged_into_id=999_999, actor=coordinator)
    actions.close_case(other.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed case"):
        actions.close_case(open_case.pk, resolution=merged, merged_into_id=other.pk, actor=coordinator)
    assert Case.objects.get(pk=open_case.pk).status == "open"


def test_close_refuses_unknown_resolutions_and_other_people(
    coordinator, open_case, intake_staff, vendor_member
) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.close_case(open_case.pk, resolution="fixed", actor=coordinator)
    assert refused.value.field == "resolution"
    with pytest.raises(PermissionDenied):
        actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=intake_staff)
    with pytest.raises(NotFound):
        actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=vendor_member)


# --- owner, details, target date, publication ----------------------------------------------------


def test_assign_owner(coordinator, lead, open_case) -> None:
    with audited() as names:
        case = actions.assign_case_owner(open_case.pk, owner_id=lead.pk, actor=coordinator)
    assert names == ["case:case:owner_assigned"]
    assert case.owner == lead
    assert last_event("case:case:owner_assigned").data == {"from": coordinator.pk, "to": lead.pk}


def test_owner_must_be_an_active_coordinator(
    coordinator, open_case, intake_staff, vendor_member, coordinator_team
) -> None:
    for person in (intake_staff, vendor_member):
        with pytest.raises(InvalidInput) as refused:
            actions.assign_case_owner(open_case.pk, owner_id=person.pk, actor=coordinator)
        assert refused.value.field == "owner_id"
    gone = make_member("gone@example.org", coordinator_team, Role.COORDINATOR)
    gone.is_active = False
    gone.save()
    with pytest.raises(InvalidInput):
        actions.assign_case_owner(open_case.pk, owner_id=gone.pk, actor=coordinator)
    with pytest.raises(InvalidInput, match="not a valid id"):
        actions.assign_case_owner(open_case.pk, owner_id=None, actor=coordinator)  # type: ignore[arg-type]


def test_assign_owner_permissions_and_closed_case(coordinator, lead, open_case, intake_staff, partner) -> None:
    with pytest.raises(PermissionDenied):
        actions.assign_case_owner(open_case.pk, owner_id=lead.pk, actor=intake_staff)
    with pytest.raises(NotFound):
        actions.assign_case_owner(open_case.pk, owner_id=lead.pk, actor=partner)
    actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed"):
        actions.assign_case_owner(open_case.pk, owner_id=lead.pk, actor=coordinator)


def test_update_details(coordinator, open_case) -> None:
    with audited() as names:
        case = actions.update_case_details(
            open_case.pk, title=" New title ", summary=" s ", international=True, actor=coordinator
        )
    assert names == ["case:case:updated"]
    assert (case.title, case.summary, case.international) == ("New title", "s", True)
    assert last_event("case:case:updated").data == {"fields": ["international", "summary", "title"]}
    with audited() as names:  # the same values again change nothing and write nothing
        actions.update_case_details(open_case.pk, title="New title", actor=coordinator)
    assert names == []


def test_update_details_validation(coordinator, open_case, intake_staff) -> None:
    with pytest.raises(InvalidInput, match="Nothing to change"):
        actions.update_case_details(open_case.pk, actor=coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.update_case_details(open_case.pk, title="", actor=coordinator)
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput) as refused:
        actions.update_case_details(open_case.pk, title="x" * 301, actor=coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.update_case_details(open_case.pk, international="yes", actor=coordinator)  # type: ignore[arg-type]
    assert refused.value.field == "international"
    with pytest.raises(PermissionDenied):
        actions.update_case_details(open_case.pk, title="t", actor=intake_staff)
    actions.close_case(open_case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict):
        actions.update_case_details(open_case.pk, title="t", actor=coordinator)


def test_set_target_disclosure_date(coordinator, case) -> None:
    target = now() + dt.timedelta(days=60)
    with audited() as names:
        updated = actions.set_target_disclosure_date(case.pk, at=target, actor=coordinator)
    assert names == ["case:case:target_date_set"]
    assert updated.target_disclosure_at == target
    assert last_event("case:case:target_date_set").data["to"] == target.isoformat()


def test_target_date_validation(coordinator, case, vendor_org, intake_staff, vendor_member) -> None:
    with pytest.raises(InvalidInput, match="future") as refused:
        actions.set_target_disclosure_date(case.pk, at=now() - dt.timedelta(minutes=1), actor=coordinator)
    assert refused.value.field == "at"
    with pytest.raises(InvalidInput, match="time zone"):
        actions.set_target_disclosure_date(case.pk, at=dt.datetime(2030, 1, 1), actor=coordinator)  # noqa: DTZ001
    with pytest.raises(InvalidInput):
        actions.set_target_disclosure_date(case.pk, at="2030-01-01", actor=coordinator)  # type: ignore[arg-type]
    later = now() + dt.timedelta(days=10)
    with pytest.raises(PermissionDenied):
        actions.set_target_disclosure_date(case.pk, at=later, actor=vendor_member)
    with pytest.raises(PermissionDenied):
        actions.set_target_disclosure_date(case.pk, at=later, actor=intake_staff)
    published = published_case(coordinator, vendor_org)
    with pytest.raises(Conflict):
        actions.set_target_disclosure_date(published.pk, at=later, actor=coordinator)


def test_first_notification_starts_the_clock(coordinator, vendor_org, settings) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "DEFAULT_DISCLOSURE_DAYS": 45}
    case = actions.open_case(title="t", actor=coordinator)
    participation = actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    with audited() as names:
        actions.notify_participant(participation.pk, actor=coordinator)
    assert names == ["case:participant:notified", "case:case:coordinating"]
    case.refresh_from_db()
    assert case.status == CaseStatus.COORDINATING
    assert case.start_date is not None
    assert case.target_disclosure_at == case.start_date + dt.timedelta(days=45)


def test_mark_published(coordinator, case, open_case, vendor_member) -> None:
    with pytest.raises(PermissionDenied):
        actions.mark_case_published(case.pk, actor=vendor_member)
    with pytest.raises(TransitionNotAllowed):
        actions.mark_case_published(open_case.pk, actor=coordinator)
    with audited() as names:
        published = actions.mark_case_published(case.pk, actor=None)  # the scheduler at the agreed instant
    assert names == ["case:case:published"]
    assert published.status == CaseStatus.PUBLISHED
