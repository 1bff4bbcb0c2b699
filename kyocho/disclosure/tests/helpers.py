"""Building disclosure test state through the real actions, and the actors used to test refusals.

The advisories tests use these too (their conftest imports the fixtures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.audit.models import AuditEvent
from kyocho.cases.actions import add_participant, notify_participant, open_case
from kyocho.cases.models import Case, CasePartner
from kyocho.conftest import make_member, make_organisation
from kyocho.core.clock import now
from kyocho.core.errors import NotFound, PermissionDenied
from kyocho.disclosure import actions
from kyocho.disclosure.models import Embargo

# The error each kind of actor gets from a coordinator-only action on the test case: those who can
# see the case are refused (403); those who cannot are told it does not exist (404).
REFUSED_ACTORS = {
    "vendor_member": PermissionDenied,
    "partner": PermissionDenied,
    "intake_staff": PermissionDenied,
    "reporter": NotFound,
    "anonymous": NotFound,
    "other_vendor_member": NotFound,
}
# For objects only staff may see (an unshared advisory draft, say): staff are refused, others see nothing.
REFUSED_ACTORS_HIDDEN = {name: PermissionDenied if name == "intake_staff" else NotFound for name in REFUSED_ACTORS}


def refused_actor_params(table: Mapping[str, type[Exception]] = REFUSED_ACTORS) -> Any:
    return pytest.mark.parametrize(("actor_name", "error"), list(table.items()))


def in_days(days: float) -> dt.datetime:
    """A whole second ``days`` from now (whole seconds keep equality tests simple on every database)."""
    return (now() + dt.timedelta(days=days)).replace(microsecond=0)


def coordinating_case(
    coordinator: User, developers: Iterable[Organisation], *, international: bool = False, title: str = "Test case"
) -> Case:
    """A case walked to ``coordinating`` through the real actions, every developer notified."""
    case = open_case(title=title, actor=coordinator, international=international)
    for developer in developers:
        participation = add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
        notify_participant(participation.pk, actor=coordinator)
    case.refresh_from_db()
    return case


def share_with_partner(case: Case, organisation: Organisation) -> CasePartner:
    # cases.actions has no action that shares a case with a partner team yet (it is being added
    # elsewhere); until it exists this is the one row these tests write directly.
    return CasePartner.objects.create(case=case, organisation=organisation)


def everyone_consents(embargo: Embargo, coordinator: User) -> None:
    for consent in embargo.consents.exclude(status="signatory"):
        actions.give_consent(embargo.pk, organisation_id=consent.organisation_id, actor=coordinator)


def audit_events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(name=name).order_by("seq"))


def last_audit(name: str) -> AuditEvent:
    events = audit_events(name)
    assert events, f"no audit event {name}"
    return events[-1]


# ---------------------------------------------------------------------------------------------------
# Fixtures: a coordinating case with two notified developers and a partner team, and its embargo.


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def second_vendor_org(db: None) -> Organisation:
    return make_organisation("Example Vendor C", OrganisationKind.PRODUCT_DEVELOPER)


@pytest.fixture
def second_vendor_member(second_vendor_org: Organisation) -> User:
    return make_member("psirt@vendor-c.example", second_vendor_org, Role.VENDOR_MEMBER)


@pytest.fixture
def case(
    coordinator: User, vendor_org: Organisation, second_vendor_org: Organisation, partner_org: Organisation
) -> Case:
    case = coordinating_case(coordinator, [vendor_org, second_vendor_org])
    share_with_partner(case, partner_org)
    return case


@pytest.fixture
def proposed(case: Case, coordinator: User) -> Embargo:
    return actions.propose_embargo(case.pk, end_at=in_days(30), reason="The fix ships then.", actor=coordinator)


@pytest.fixture
def active(proposed: Embargo, coordinator: User) -> Embargo:
    everyone_consents(proposed, coordinator)
    return actions.activate_embargo(proposed.pk, actor=coordinator)
