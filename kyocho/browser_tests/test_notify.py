"""A coordinator notifies developers from the staff case page in a real browser, in Japanese and English:
a suspended developer needs a reason (asked for beside it, the choices kept), one click notifies all,
the result comes back as messages; a developer found by name is added and notified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.conftest import give_totp, make_organisation
from kyocho.disclosure.actions import suspend_from_prenotification
from kyocho.messaging.gpgtesting import kill_agent, new_home
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors import actions as vendors
from kyocho.vendors import key_actions

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def psirt_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home, public = new_home(tmp_path_factory, "browser-psirt", "psirt@vendor-a.example")
    yield public
    kill_agent(home)


def register(organisation: Organisation, address: str) -> Organisation:
    contact = {"name": "PSIRT", "email": address, "responsible": True, "language": "en"}
    developer = vendors.clean_developer(
        {"name": organisation.name, "registration_type": "general", "contacts": [contact]}
    )
    vendors.import_developer(developer, actor=None, organisation=organisation)
    return organisation


@pytest.fixture
def desk(coordinator: User, sign_in: Callable[[User], None]) -> User:
    give_totp(coordinator)
    sign_in(coordinator)
    return coordinator


@pytest.fixture
def keyed(vendor_org: Organisation, coordinator: User, psirt_key: str) -> Organisation:
    register(vendor_org, "psirt@vendor-a.example")
    key_actions.add_public_key(vendor_org.registration.pk, armored=psirt_key, actor=coordinator)
    return vendor_org


@pytest.fixture
def suspended(other_vendor_org: Organisation, lead: User) -> Organisation:
    register(other_vendor_org, "psirt@vendor-b.example")
    suspend_from_prenotification(other_vendor_org.pk, reason="broke the date of KYC-OLD", actor=lead)
    return other_vendor_org


@pytest.fixture
def case(coordinator: User, keyed: Organisation, suspended: Organisation) -> Case:
    case = cases.open_case(title="Stored XSS in the admin console", actor=coordinator)
    for developer in (keyed, suspended):
        cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
    return case


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_notify_two_developers_one_of_them_suspended(
    page: Any, desk: User, case: Case, keyed: Organisation, suspended: Organisation, language: str
) -> None:
    page.goto(f"/staff/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator(f"#notify-{keyed.pk}").check()
    page.locator(f"#notify-{suspended.pk}").check()
    page.locator("#notify button[value=notify]").click()

    error = page.locator(f"#override-{suspended.pk}-error")  # the panel is redrawn in place
    error.wait_for()
    assert page.locator(f"#notify-{keyed.pk}").is_checked() and page.locator(f"#notify-{suspended.pk}").is_checked()
    assert "broke the date of KYC-OLD" in page.locator("#notify-error").inner_text()
    assert not OutboundEmail.objects.exists()

    page.locator(f"#override-{suspended.pk}").fill("The only vendor of the library")
    page.locator("#notify button[value=notify]").click()
    page.locator(".messages .message--success").wait_for()
    assert set(case.participations.values_list("status", flat=True)) == {"notified"}
    assert page.locator(f"#notify-{keyed.pk}").count() == 0  # nobody is left to notify
    messages = page.locator(".messages").inner_text()
    if language == "en":
        assert "2 developers were notified." in messages
        assert f"The details went encrypted to every contact of: {keyed.name}." in messages
        assert f"each got only a sign-in notice: {suspended.name}." in messages
    encrypted = OutboundEmail.objects.get(to="psirt@vendor-a.example")
    assert encrypted.encrypt_to and encrypted.purpose == "case:notification"


def test_a_developer_found_by_name_is_added_and_notified(page: Any, desk: User, case: Case) -> None:
    found = register(make_organisation("Camera Works K.K.", OrganisationKind.PRODUCT_DEVELOPER), "psirt@camera.example")
    page.goto(f"/staff/cases/{case.reference}/")
    page.get_by_label("Add a developer by name").fill("camera")
    page.locator("#notify").get_by_role("button", name="Search").click()
    checkbox = page.locator(f"#notify-{found.pk}")
    checkbox.wait_for()
    assert page.url.endswith(f"/staff/cases/{case.reference}/")  # swapped in place by htmx
    checkbox.check()
    page.get_by_role("button", name="Notify the chosen developers").click()
    page.get_by_text("1 developer was notified.").wait_for()
    assert case.participations.get(organisation=found).status == "notified"
    assert OutboundEmail.objects.filter(to="psirt@camera.example").count() == 1
