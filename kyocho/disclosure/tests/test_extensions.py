"""A developer asks for a later date; the coordinator accepts (a revision everyone must agree to) or refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.disclosure import actions
from kyocho.disclosure.models import ExtensionRequest
from kyocho.disclosure.tests.helpers import in_days, last_audit, refused_actor_params

pytestmark = pytest.mark.django_db


def ask(embargo, member, organisation, *, days: float = 45, reason: str = "Regression found in the fix"):
    return actions.request_extension(
        embargo.pk, organisation_id=organisation.pk, requested_end_at=in_days(days), reason=reason, actor=member
    )


def test_a_developer_asks_for_a_later_date(active, vendor_member, vendor_org) -> None:
    request = ask(active, vendor_member, vendor_org)
    assert request.status == "pending"
    assert request.requested_by == vendor_member
    event = last_audit("case:extension:requested")
    assert event.actor == vendor_member
    assert event.data["organisation"] == vendor_org.pk


def test_extension_during_a_revision_is_possible(active, coordinator, vendor_member, vendor_org) -> None:
    actions.propose_embargo(active.case_id, end_at=in_days(40), reason="later", actor=coordinator)
    assert ask(active, vendor_member, vendor_org, days=50).status == "pending"


@pytest.mark.parametrize(
    ("days_after_agreed", "reason", "field"),
    [(-10, "why", "requested_end_at"), (0, "why", "requested_end_at"), (15, " ", "reason")],
)
def test_bad_requests_are_refused(active, vendor_member, vendor_org, days_after_agreed, reason, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.request_extension(
            active.pk,
            organisation_id=vendor_org.pk,
            requested_end_at=active.end_at + dt.timedelta(days=days_after_agreed),
            reason=reason,
            actor=vendor_member,
        )
    assert refused.value.field == field


def test_a_naive_date_is_refused(active, vendor_member, vendor_org) -> None:
    with pytest.raises(InvalidInput):
        actions.request_extension(
            active.pk,
            organisation_id=vendor_org.pk,
            requested_end_at=in_days(45).replace(tzinfo=None),
            reason="why",
            actor=vendor_member,
        )


def test_only_while_a_date_is_in_force(proposed, vendor_member, vendor_org) -> None:
    with pytest.raises(Conflict):
        ask(proposed, vendor_member, vendor_org)


def test_one_pending_request_per_organisation(active, vendor_member, vendor_org) -> None:
    ask(active, vendor_member, vendor_org)
    with pytest.raises(Conflict):
        ask(active, vendor_member, vendor_org, days=50)


@pytest.mark.parametrize(
    ("actor_name", "organisation", "error"),
    [
        ("coordinator", "vendor_org", PermissionDenied),
        ("partner", "vendor_org", PermissionDenied),
        ("vendor_member", "second_vendor_org", NotFound),
        ("other_vendor_member", "other_vendor_org", NotFound),
        ("other_vendor_member", "vendor_org", NotFound),
        ("reporter", "vendor_org", NotFound),
        ("anonymous", "vendor_org", NotFound),
    ],
)
def test_only_the_developers_own_members_ask(request, active, actor_name, organisation, error) -> None:
    with pytest.raises(error):
        ask(active, request.getfixturevalue(actor_name), request.getfixturevalue(organisation))
    assert not ExtensionRequest.objects.exists()


def test_accepting_proposes_the_date_as_a_revision(
    active, coordinator, vendor_member, vendor_org, second_vendor_org, partner_org
) -> None:
    request = ask(active, vendor_member, vendor_org)
    agreed = active.end_at

    request = actions.decide_extension(request.pk, accept=True, note="", actor=coordinator)

    assert request.status == "accepted"
    assert request.decided_at is not None
    assert last_audit("case:extension:accepted").actor == coordinator
    active.refresh_from_db()
    assert active.status == "revise"
    assert active.end_at == agreed
    assert active.proposed_end_at == request.requested_end_at
    assert set(active.consents.values_list("status", flat=True)) == {"lapsed"}
    proposal = last_audit("case:embargo:revision_proposed")
    assert proposal.data["extension_request"] == request.pk


def test_refusing_needs_a_note(active, coordinator, vendor_member, vendor_org) -> None:
    request = ask(active, vendor_member, vendor_org)
    with pytest.raises(InvalidInput) as refused:
        actions.decide_extension(request.pk, accept=False, note="", actor=coordinator)
    assert refused.value.field == "note"
    request = actions.decide_extension(request.pk, accept=False, note="Other vendors are ready", actor=coordinator)
    assert request.status == "refused"
    assert request.decision_note == "Other vendors are ready"
    assert last_audit("case:extension:refused").data["note"] == "Other vendors are ready"
    active.refresh_from_db()
    assert active.status == "active"


def test_a_decision_is_final(active, coordinator, vendor_member, vendor_org) -> None:
    request = ask(active, vendor_member, vendor_org)
    actions.decide_extension(request.pk, accept=False, note="no", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.decide_extension(request.pk, accept=True, note="", actor=coordinator)


def test_accept_must_be_a_yes_or_no(active, coordinator, vendor_member, vendor_org) -> None:
    request = ask(active, vendor_member, vendor_org)
    with pytest.raises(InvalidInput):
        actions.decide_extension(request.pk, accept="yes", note="", actor=coordinator)  # type: ignore[arg-type]


def test_unknown_request_is_not_found(coordinator) -> None:
    with pytest.raises(NotFound):
        actions.decide_extension(987654, accept=True, note="", actor=coordinator)


@refused_actor_params()
def test_only_coordinators_decide(request, active, vendor_member, vendor_org, actor_name, error) -> None:
    extension = ask(active, vendor_member, vendor_org)
    with pytest.raises(error):
        actions.decide_extension(extension.pk, accept=True, note="", actor=request.getfixturevalue(actor_name))
