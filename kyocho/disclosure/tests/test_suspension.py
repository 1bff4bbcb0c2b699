"""Suspending a developer from pre-notification, and lifting it (lead coordinators only)."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.disclosure import actions
from kyocho.disclosure.queries import is_suspended
from kyocho.disclosure.tests.helpers import in_days, last_audit

pytestmark = pytest.mark.django_db


def test_lead_suspends_a_developer(lead, vendor_org, other_vendor_org) -> None:
    suspension = actions.suspend_from_prenotification(vendor_org.pk, reason="Broke the date twice", actor=lead)
    assert suspension.created_by == lead
    assert is_suspended(vendor_org)
    assert not is_suspended(other_vendor_org)
    event = last_audit("organisation:suspension:imposed")
    assert event.actor == lead
    assert event.data["reason"] == "Broke the date twice"
    assert event.data["breaches"] == 0


def test_a_suspension_with_an_end(lead, vendor_org, time_machine) -> None:
    until = in_days(90)
    actions.suspend_from_prenotification(vendor_org.pk, reason="Breach", until=until, actor=lead)
    assert is_suspended(vendor_org, until - dt.timedelta(seconds=1))
    assert not is_suspended(vendor_org, until)
    time_machine.move_to(until + dt.timedelta(days=1))
    assert not is_suspended(vendor_org)
    # Once it ran out, a new suspension replaces it.
    actions.suspend_from_prenotification(vendor_org.pk, reason="Again", actor=lead)
    assert is_suspended(vendor_org)


def test_lifting_reinstates_pre_notification(lead, vendor_org) -> None:
    actions.suspend_from_prenotification(vendor_org.pk, reason="Breach", actor=lead)
    actions.lift_suspension(vendor_org.pk, reason="New PSIRT lead, talked it through", actor=lead)
    assert not is_suspended(vendor_org)
    assert last_audit("organisation:suspension:lifted").data["reason"] == "New PSIRT lead, talked it through"
    with pytest.raises(Conflict):
        actions.lift_suspension(vendor_org.pk, reason="again", actor=lead)


def test_suspending_twice_is_refused(lead, vendor_org) -> None:
    actions.suspend_from_prenotification(vendor_org.pk, reason="Breach", actor=lead)
    with pytest.raises(Conflict):
        actions.suspend_from_prenotification(vendor_org.pk, reason="Breach", actor=lead)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x", "until": "soon"}, "until"),
        ({"reason": "x", "until": "past"}, "until"),
    ],
)
def test_bad_suspensions_are_refused(lead, vendor_org, arguments, field) -> None:
    if arguments.get("until") == "past":
        arguments = {**arguments, "until": in_days(-1)}
    with pytest.raises(InvalidInput) as refused:
        actions.suspend_from_prenotification(vendor_org.pk, actor=lead, **arguments)
    assert refused.value.field == field
    assert not is_suspended(vendor_org)


def test_only_developers_are_suspended(lead, partner_org) -> None:
    with pytest.raises(InvalidInput):
        actions.suspend_from_prenotification(partner_org.pk, reason="x", actor=lead)


@pytest.mark.parametrize(
    ("actor_name", "error"),
    [
        ("coordinator", PermissionDenied),
        ("intake_staff", PermissionDenied),
        ("vendor_member", NotFound),
        ("partner", NotFound),
        ("reporter", NotFound),
        ("anonymous", NotFound),
    ],
)
def test_only_leads_suspend_or_lift(request, lead, vendor_org, actor_name, error) -> None:
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(error):
        actions.suspend_from_prenotification(vendor_org.pk, reason="x", actor=actor)
    actions.suspend_from_prenotification(vendor_org.pk, reason="x", actor=lead)
    with pytest.raises(error):
        actions.lift_suspension(vendor_org.pk, reason="x", actor=actor)
    assert is_suspended(vendor_org)


def test_unknown_organisation_is_not_found(lead) -> None:
    with pytest.raises(NotFound):
        actions.suspend_from_prenotification(123456, reason="x", actor=lead)
