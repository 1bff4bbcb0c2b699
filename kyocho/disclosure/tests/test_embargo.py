"""Proposing, agreeing to, rejecting, activating, revising and exiting the disclosure date (§2.4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.accounts.roles import OrganisationKind
from kyocho.cases.actions import add_participant, mark_case_published, notify_participant
from kyocho.conftest import make_organisation
from kyocho.core.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from kyocho.disclosure import actions
from kyocho.disclosure.actions import iso
from kyocho.disclosure.models import Consent, Embargo
from kyocho.disclosure.tests.helpers import (
    everyone_consents,
    in_days,
    last_audit,
    refused_actor_params,
)

pytestmark = pytest.mark.django_db


def consent_states(embargo: Embargo) -> dict[int, str]:
    return dict(Consent.objects.filter(embargo=embargo).values_list("organisation_id", "status"))


# --- propose -----------------------------------------------------------------------------------------


def test_proposal_invites_every_notified_developer_and_partner(
    case, coordinator, vendor_org, second_vendor_org, partner_org
) -> None:
    identified_only = make_organisation("Not yet told", OrganisationKind.PRODUCT_DEVELOPER)
    add_participant(case.pk, organisation_id=identified_only.pk, actor=coordinator)
    end_at = in_days(30)

    embargo = actions.propose_embargo(case.pk, end_at=end_at, reason=" Fix release ", actor=coordinator)

    embargo.refresh_from_db()
    assert embargo.status == "proposed"
    assert embargo.proposed_end_at == end_at
    assert embargo.end_at is None
    assert embargo.proposal_reason == "Fix release"
    assert consent_states(embargo) == {
        vendor_org.pk: "invited",
        second_vendor_org.pk: "invited",
        partner_org.pk: "invited",
    }
    assert all(consent.required for consent in embargo.consents.all())
    event = last_audit("case:embargo:proposed")
    assert event.actor == coordinator
    assert sorted(event.data["invited"]) == sorted([vendor_org.pk, second_vendor_org.pk, partner_org.pk])
    assert event.data["end_at"] == end_at.isoformat()


@pytest.mark.parametrize(
    ("end_at", "reason", "field"),
    [
        (lambda: in_days(-1), "why", "end_at"),
        (lambda: in_days(1).replace(tzinfo=None), "why", "end_at"),
        (lambda: "2030-01-01T00:00:00+09:00", "why", "end_at"),
        (lambda: None, "why", "end_at"),
        (lambda: in_days(1), "   ", "reason"),
        (lambda: in_days(1), "x" * 5001, "reason"),
    ],
)
def test_proposal_refuses_bad_input(case, coordinator, end_at, reason, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.propose_embargo(case.pk, end_at=end_at(), reason=reason, actor=coordinator)
    assert refused.value.field == field
    assert not Embargo.objects.filter(case=case, status="proposed").exists()


def test_proposal_needs_an_open_or_coordinating_case(case, coordinator) -> None:
    mark_case_published(case.pk, actor=coordinator)
    with pytest.raises(Conflict):
        actions.propose_embargo(case.pk, end_at=in_days(3), reason="why", actor=coordinator)


def test_no_second_proposal_while_one_is_pending(proposed, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.propose_embargo(proposed.case_id, end_at=in_days(40), reason="why", actor=coordinator)


def test_no_proposal_after_the_embargo_ended(active, coordinator) -> None:
    actions.exit_embargo(active.pk, reason="Went public", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.propose_embargo(active.case_id, end_at=in_days(40), reason="why", actor=coordinator)


def test_unknown_case_is_not_found(coordinator) -> None:
    with pytest.raises(NotFound):
        actions.propose_embargo(999_999, end_at=in_days(3), reason="why", actor=coordinator)


@refused_actor_params()
def test_only_coordinators_propose(request, case, actor_name, error) -> None:
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(error):
        actions.propose_embargo(case.pk, end_at=in_days(3), reason="why", actor=actor)
    assert not Embargo.objects.filter(case=case).exists()


# --- consent -----------------------------------------------------------------------------------------


def test_developer_member_gives_consent_for_its_organisation(proposed, vendor_member, vendor_org) -> None:
    consent = actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=vendor_member)
    assert consent.status == "signatory"
    assert consent.updated_by == vendor_member
    event = last_audit("case:consent:given")
    assert event.actor == vendor_member
    assert event.data["organisation"] == vendor_org.pk
    assert event.data["on_behalf"] is False


def test_partner_gives_consent_for_its_team(proposed, partner, partner_org) -> None:
    assert actions.give_consent(proposed.pk, organisation_id=partner_org.pk, actor=partner).status == "signatory"


def test_coordinator_gives_consent_on_behalf(proposed, coordinator, vendor_org) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=coordinator)
    assert last_audit("case:consent:given").data["on_behalf"] is True


def test_declining_and_then_agreeing(proposed, second_vendor_member, second_vendor_org) -> None:
    consent = actions.decline_consent(proposed.pk, organisation_id=second_vendor_org.pk, actor=second_vendor_member)
    assert consent.status == "declined"
    assert last_audit("case:consent:declined").actor == second_vendor_member
    consent = actions.give_consent(proposed.pk, organisation_id=second_vendor_org.pk, actor=second_vendor_member)
    assert consent.status == "signatory"


def test_consenting_twice_is_refused(proposed, vendor_member, vendor_org) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=vendor_member)
    with pytest.raises(TransitionNotAllowed):
        actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=vendor_member)


@pytest.mark.parametrize(
    ("actor_name", "organisation"),
    [
        ("vendor_member", "second_vendor_org"),  # another participant's consent
        ("other_vendor_member", "vendor_org"),  # an outsider for a participant
        ("other_vendor_member", "other_vendor_org"),  # an outsider for itself
        ("partner", "vendor_org"),
        ("reporter", "vendor_org"),
        ("anonymous", "vendor_org"),
        ("intake_staff", "vendor_org"),
        ("coordinator", "other_vendor_org"),  # not asked in this case
    ],
)
def test_consent_by_anyone_else_is_not_found(request, proposed, actor_name, organisation) -> None:
    actor = request.getfixturevalue(actor_name)
    organisation_id = request.getfixturevalue(organisation).pk
    with pytest.raises(NotFound):
        actions.give_consent(proposed.pk, organisation_id=organisation_id, actor=actor)
    with pytest.raises(NotFound):
        actions.decline_consent(proposed.pk, organisation_id=organisation_id, actor=actor)


def test_no_consent_without_a_proposal(proposed, coordinator, vendor_member, vendor_org) -> None:
    actions.reject_proposal(proposed.pk, reason="Too early", actor=coordinator)
    with pytest.raises(Conflict):
        actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=vendor_member)


def test_a_developer_notified_after_the_proposal_is_asked_too(proposed, coordinator) -> None:
    latecomer = make_organisation("Late Vendor", OrganisationKind.PRODUCT_DEVELOPER)
    participation = add_participant(proposed.case_id, organisation_id=latecomer.pk, actor=coordinator)
    notify_participant(participation.pk, actor=coordinator)
    everyone_consents(proposed, coordinator)  # everyone asked so far

    with pytest.raises(Conflict, match="Late Vendor"):
        actions.activate_embargo(proposed.pk, actor=coordinator)

    consent = actions.give_consent(proposed.pk, organisation_id=latecomer.pk, actor=coordinator)
    assert consent.status == "signatory"
    assert last_audit("case:consent:invited").data["invited"] == [latecomer.pk]
    assert actions.activate_embargo(proposed.pk, actor=coordinator).status == "active"


# --- reject ------------------------------------------------------------------------------------------


def test_rejecting_a_proposal_returns_to_no_embargo(proposed, coordinator, vendor_member, vendor_org) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=vendor_member)
    embargo = actions.reject_proposal(proposed.pk, reason="Vendor needs longer", actor=coordinator)
    embargo.refresh_from_db()
    assert embargo.status == "none"
    assert embargo.proposed_end_at is None
    assert set(consent_states(embargo).values()) == {"no_embargo"}
    assert last_audit("case:embargo:rejected").data["reason"] == "Vendor needs longer"
    # A new proposal starts from scratch: everyone is invited again.
    actions.propose_embargo(proposed.case_id, end_at=in_days(50), reason="Later", actor=coordinator)
    assert set(consent_states(embargo).values()) == {"invited"}


def test_an_active_embargo_cannot_be_rejected(active, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.reject_proposal(active.pk, reason="no", actor=coordinator)


def test_rejecting_needs_a_reason(proposed, coordinator) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.reject_proposal(proposed.pk, reason="", actor=coordinator)
    assert refused.value.field == "reason"


@refused_actor_params()
def test_only_coordinators_reject(request, proposed, actor_name, error) -> None:
    with pytest.raises(error):
        actions.reject_proposal(proposed.pk, reason="no", actor=request.getfixturevalue(actor_name))


# --- activate ----------------------------------------------------------------------------------------


def test_activation_with_every_signatory(proposed, coordinator) -> None:
    everyone_consents(proposed, coordinator)
    agreed = proposed.proposed_end_at

    embargo = actions.activate_embargo(proposed.pk, actor=coordinator)

    embargo.refresh_from_db()
    assert embargo.status == "active"
    assert embargo.end_at == agreed
    assert embargo.proposed_end_at is None
    assert embargo.activated_at is not None
    assert embargo.override_reason == ""
    event = last_audit("case:embargo:activated")
    assert event.actor == coordinator
    assert event.data["overridden"] is False
    assert event.data["not_consented"] == []


def test_activation_without_every_signatory_is_refused(proposed, coordinator, vendor_org) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=coordinator)
    with pytest.raises(Conflict, match="Example Vendor C"):
        actions.activate_embargo(proposed.pk, actor=coordinator)
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_override_records_the_reason_and_who_had_not_consented(
    proposed, coordinator, vendor_org, second_vendor_org, second_vendor_member, partner_org
) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=coordinator)
    actions.decline_consent(proposed.pk, organisation_id=second_vendor_org.pk, actor=second_vendor_member)

    embargo = actions.activate_embargo(proposed.pk, actor=coordinator, override_reason="Partner unresponsive")

    assert embargo.status == "active"
    assert embargo.override_reason == "Partner unresponsive"
    event = last_audit("case:embargo:activated")
    assert event.data["overridden"] is True
    assert event.data["override_reason"] == "Partner unresponsive"
    assert {(row["organisation"], row["status"]) for row in event.data["not_consented"]} == {
        (second_vendor_org.pk, "declined"),
        (partner_org.pk, "invited"),
    }


def test_a_rejected_proposal_cannot_be_activated(proposed, coordinator) -> None:
    actions.reject_proposal(proposed.pk, reason="no", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.activate_embargo(proposed.pk, actor=coordinator, override_reason="anyway")


def test_an_active_embargo_cannot_be_activated_again(active, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.activate_embargo(active.pk, actor=coordinator, override_reason="anyway")


def test_activation_after_the_proposed_date_passed_is_refused(proposed, coordinator, time_machine) -> None:
    everyone_consents(proposed, coordinator)
    time_machine.move_to(proposed.proposed_end_at + dt.timedelta(seconds=1))
    with pytest.raises(Conflict):
        actions.activate_embargo(proposed.pk, actor=coordinator)


@refused_actor_params()
def test_only_coordinators_activate(request, proposed, coordinator, actor_name, error) -> None:
    everyone_consents(proposed, coordinator)
    with pytest.raises(error):
        actions.activate_embargo(proposed.pk, actor=request.getfixturevalue(actor_name))


# --- revise ------------------------------------------------------------------------------------------


def test_a_new_date_lapses_every_signatory(
    proposed, coordinator, vendor_org, second_vendor_org, second_vendor_member, partner_org
) -> None:
    actions.give_consent(proposed.pk, organisation_id=vendor_org.pk, actor=coordinator)
    actions.give_consent(proposed.pk, organisation_id=partner_org.pk, actor=coordinator)
    actions.decline_consent(proposed.pk, organisation_id=second_vendor_org.pk, actor=second_vendor_member)
    embargo = actions.activate_embargo(proposed.pk, actor=coordinator, override_reason="C is silent")
    agreed = embargo.end_at
    new_date = in_days(60)

    embargo = actions.propose_embargo(embargo.case_id, end_at=new_date, reason="Fix slipped", actor=coordinator)

    embargo.refresh_from_db()
    assert embargo.status == "revise"
    assert embargo.end_at == agreed  # the agreed date holds until the revision is activated
    assert embargo.proposed_end_at == new_date
    assert consent_states(embargo) == {
        vendor_org.pk: "lapsed",
        partner_org.pk: "lapsed",
        second_vendor_org.pk: "invited",
    }
    event = last_audit("case:embargo:revision_proposed")
    assert sorted(event.data["lapsed"]) == sorted([vendor_org.pk, partner_org.pk])
    assert event.data["invited"] == [second_vendor_org.pk]
    assert event.data["agreed_end_at"] == iso(agreed)

    with pytest.raises(Conflict):
        actions.activate_embargo(embargo.pk, actor=coordinator)
    everyone_consents(embargo, coordinator)
    embargo = actions.activate_embargo(embargo.pk, actor=coordinator)
    assert embargo.end_at == new_date
    assert last_audit("case:embargo:activated").data["previous_end_at"] == iso(agreed)


def test_a_revision_must_change_the_date(active, coordinator) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.propose_embargo(active.case_id, end_at=active.end_at, reason="same", actor=coordinator)
    assert refused.value.field == "end_at"


def test_no_second_revision_while_one_is_pending(active, coordinator) -> None:
    actions.propose_embargo(active.case_id, end_at=in_days(60), reason="later", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.propose_embargo(active.case_id, end_at=in_days(70), reason="even later", actor=coordinator)


# --- exit --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("revising", [False, True])
def test_exit_ends_the_embargo(active, coordinator, revising) -> None:
    if revising:
        actions.propose_embargo(active.case_id, end_at=in_days(60), reason="later", actor=coordinator)
    embargo = actions.exit_embargo(active.pk, reason="The vendor published", actor=coordinator)
    embargo.refresh_from_db()
    assert embargo.status == "exited"
    assert embargo.exit_reason == "The vendor published"
    assert embargo.exited_at is not None
    assert embargo.proposed_end_at is None
    event = last_audit("case:embargo:exited")
    assert event.actor == coordinator
    assert event.data["reason"] == "The vendor published"


def test_the_system_may_exit(active) -> None:
    actions.exit_embargo(active.pk, reason="Disclosure date reached", actor=None)
    assert last_audit("case:embargo:exited").actor_label == "system"


def test_a_proposal_cannot_be_exited(proposed, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.exit_embargo(proposed.pk, reason="no", actor=coordinator)


def test_exit_needs_a_reason(active, coordinator) -> None:
    with pytest.raises(InvalidInput):
        actions.exit_embargo(active.pk, reason=" ", actor=coordinator)


@refused_actor_params()
def test_only_coordinators_exit(request, active, actor_name, error) -> None:
    with pytest.raises(error):
        actions.exit_embargo(active.pk, reason="no", actor=request.getfixturevalue(actor_name))
    active.refresh_from_db()
    assert active.status == "active"


def test_unknown_embargo_is_not_found(coordinator) -> None:
    with pytest.raises(NotFound):
        actions.exit_embargo(424242, reason="no", actor=coordinator)
    with pytest.raises(NotFound):
        actions.activate_embargo("not-a-number", actor=coordinator)  # type: ignore[arg-type]
