"""Fixtures shared by every app's tests: people in each role, built through the real actions."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> None:
    """Tests read messages in English unless they switch language on purpose."""
    from django.utils import translation

    translation.activate("en")


def make_organisation(name: str, kind: str) -> Organisation:
    return accounts.create_organisation(name, kind=kind, actor=None)


def make_member(email: str, organisation: Organisation, role: str) -> User:
    user = accounts.create_user(email, actor=None, password=PASSWORD, display_name=email.split("@")[0])
    accounts.add_member(organisation.pk, user_id=user.pk, role=role, actor=None)
    return user


@pytest.fixture
def coordinator_team(db: None) -> Organisation:
    return make_organisation("JPCERT/CC (test)", OrganisationKind.COORDINATOR_TEAM)


@pytest.fixture
def coordinator(coordinator_team: Organisation) -> User:
    return make_member("coordinator@example.org", coordinator_team, Role.COORDINATOR)


@pytest.fixture
def lead(coordinator_team: Organisation) -> User:
    return make_member("lead@example.org", coordinator_team, Role.LEAD)


@pytest.fixture
def intake_staff(coordinator_team: Organisation) -> User:
    return make_member("intake@example.org", coordinator_team, Role.INTAKE)


@pytest.fixture
def vendor_org(db: None) -> Organisation:
    return make_organisation("Example Vendor A", OrganisationKind.PRODUCT_DEVELOPER)


@pytest.fixture
def other_vendor_org(db: None) -> Organisation:
    return make_organisation("Example Vendor B", OrganisationKind.PRODUCT_DEVELOPER)


@pytest.fixture
def vendor_member(vendor_org: Organisation) -> User:
    return make_member("psirt@vendor-a.example", vendor_org, Role.VENDOR_MEMBER)


@pytest.fixture
def other_vendor_member(other_vendor_org: Organisation) -> User:
    return make_member("psirt@vendor-b.example", other_vendor_org, Role.VENDOR_MEMBER)


@pytest.fixture
def partner_org(db: None) -> Organisation:
    return make_organisation("Overseas CERT (test)", OrganisationKind.PARTNER_TEAM)


@pytest.fixture
def partner(partner_org: Organisation) -> User:
    return make_member("team@partner.example", partner_org, Role.PARTNER)


@pytest.fixture
def committee_member(db: None) -> User:
    committee = make_organisation("Disclosure review committee (test)", OrganisationKind.COMMITTEE)
    return make_member("member@committee.example", committee, Role.COMMITTEE_MEMBER)


@pytest.fixture
def reporter(db: None) -> User:
    return accounts.create_user("finder@example.net", actor=None, password=PASSWORD, display_name="finder")


def give_totp(user: User) -> None:
    """Set up a TOTP authenticator as a real member would, so MFA-required pages open."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
