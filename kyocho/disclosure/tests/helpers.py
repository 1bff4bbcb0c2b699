"""Building disclosure test state through the real actions, and the actors used to test refusals.

The advisories tests use these too (their conftest imports the fixtures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.audit.models import AuditEvent
from kyocho.cases.actions import share_case_with_partner
from kyocho.cases.models import Case
from kyocho.conftest import coordinating_case, make_member, make_organisation
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
    case = coordinating_case(coordinator, vendor_org, second_vendor_org)
    share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    return case


@pytest.fixture
def proposed(case: Case, coordinator: User) -> Embargo:
    return actions.propose_embargo(case.pk, end_at=in_days(30), reason="The fix ships then.", actor=coordinator)


@pytest.fixture
def active(proposed: Embargo, coordinator: User) -> Embargo:
    everyone_consents(proposed, coordinator)
    return actions.activate_embargo(proposed.pk, actor=coordinator)
