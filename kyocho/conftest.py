"""Fixtures shared by every app's tests: people in each role, built through the real actions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role

if TYPE_CHECKING:
    from kyocho.cases.models import Case
    from kyocho.intake.models import Report

from kyocho.messaging.testing import smtp_server  # a real in-process SMTP server for any test that asks

__all__ = ["smtp_server"]

PASSWORD = "correct horse battery staple 42"


class QuickArgon2Hasher(Argon2PasswordHasher):
    """Argon2id as in production, with test-sized cost: the production 100 MiB per hash made every
    fixture user and every sign-in take most of a second."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["kyocho.conftest.QuickArgon2Hasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> None:
    """Tests read messages in English unless they switch language on purpose."""
    from django.utils import translation

    translation.activate("en")


def make_organisation(name: str, kind: str) -> Organisation:
    return accounts.create_organisation(name, kind=kind, actor=None)


def make_member(email: str, organisation: Organisation, role: str) -> User:
    """A member with a password. A notification may already have made the contact's account (without a
    password, as a vendor member): then that is the person, who has now set a password."""
    from kyocho.accounts.models import Membership

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = accounts.create_user(email, actor=None, password=PASSWORD, display_name=email.split("@")[0])
    elif not user.has_usable_password():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    if not Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
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


def give_totp(user: User) -> str:
    """Set up a TOTP authenticator as a real member would, so MFA-required pages open; returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, seconds_needed: float = 1.0) -> str:
    """The code an authenticator app would show now for ``secret``.

    When fewer than ``seconds_needed`` are left in the period, the code would expire before it is
    submitted (the server allows no tolerance), so this waits for the next period, as a person would.
    A browser on a loaded machine needs several seconds.
    """
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < seconds_needed:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def submit_test_report(*, reporter: User | None = None, product_name: str = "Example Router", **fields: Any) -> Report:
    """A software report filed through intake's own action; by ``reporter`` (an account) or anonymously."""
    from kyocho.intake.actions import submit_report

    details = {
        "reporter_email": reporter.email if reporter else "anonymous@example.net",
        "product_name": product_name,
        "description": "Stored cross-site scripting in the admin page.",
        "credit": "anonymous",
        "found_lawfully": True,
        **fields,
    }
    report, _token = submit_report(kind="software", fields=details, actor=reporter, language="en")
    return report


# Vendor A's two contacts in the mail tests: the PSIRT (English) gets a key, 大川 (Japanese) none.
VENDOR_A_CONTACTS = [
    {"name": "PSIRT", "email": "psirt@vendor-a.example", "responsible": True, "language": "en"},
    {"name": "大川", "email": "okawa@vendor-a.example", "responsible": False, "language": "ja"},
]


def list_developer(organisation: Organisation, contacts: list[dict[str, Any]], *keys: str, actor: User) -> Organisation:
    """``organisation`` listed in the registry with ``contacts`` and each armoured key in ``keys``."""
    from kyocho.vendors import actions as vendors
    from kyocho.vendors import key_actions

    developer = vendors.clean_developer(
        {"name": organisation.name, "registration_type": "general", "contacts": contacts}
    )
    registration = vendors.import_developer(developer, actor=None, organisation=organisation)
    for armored in keys:
        key_actions.add_public_key(registration.pk, armored=armored, actor=actor)
    return organisation


def coordinating_case(
    coordinator: User, *developers: Organisation, title: str = "XSS in Example Router", international: bool = False
) -> Case:
    """A case opened by ``coordinator`` with each developer added and notified (so it is coordinating)."""
    from kyocho.cases import actions as cases

    case = cases.open_case(title=title, actor=coordinator, international=international)
    for developer in developers:
        participation = cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
        cases.notify_participant(participation.pk, actor=coordinator)
    case.refresh_from_db()
    return case


@pytest.fixture
def client_for(db: None) -> Callable[..., Any]:
    """A test client signed in as ``user`` (members get their TOTP authenticator first), reading ``language``."""
    from django.test import Client

    from kyocho.accounts.middleware import has_authenticator
    from kyocho.accounts.permissions import needs_mfa

    def client_for(user: User | None, language: str = "en") -> Client:
        client = Client()
        client.cookies[LANGUAGE_COOKIE] = language
        if user is not None:
            if needs_mfa(user) and not has_authenticator(user):
                give_totp(user)
            client.force_login(user)
        return client

    return client_for


LANGUAGE_COOKIE = "kyocho_language"


# ---- browser tests: Playwright driving Debian's chromium against pytest-django's live_server ----

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium per test process. Never downloaded: a missing /usr/bin/chromium fails loudly."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM}: run `make browser-deps`")
    # Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_locale() -> str:
    """The language the browser asks for; a test overrides it with ``@pytest.mark.parametrize``."""
    return "en-US"


@pytest.fixture
def browser_context(browser: Any, live_server: Any, transactional_db: None, browser_locale: str) -> Iterator[Any]:
    """A fresh browser profile (no cookies) pointed at the live server, refusing every other host."""
    context = browser.new_context(
        base_url=live_server.url, locale=browser_locale, viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(10_000)
    outside: list[str] = []

    def keep_local(route: Any) -> None:
        if route.request.url.startswith(live_server.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", keep_local)
    yield context
    context.close()
    assert not outside, f"pages asked for resources outside the server: {outside}"


@pytest.fixture
def page(browser_context: Any) -> Any:
    return browser_context.new_page()


@pytest.fixture
def sign_in(browser_context: Any, live_server: Any) -> Callable[[User], None]:
    """Give the browser a signed-in session for a user without going through the sign-in pages."""
    from django.conf import settings
    from django.test import Client

    def sign_in(user: User) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        browser_context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    return sign_in
