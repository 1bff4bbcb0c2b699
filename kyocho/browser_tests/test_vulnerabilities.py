"""A coordinator describes a vulnerability in a real browser, in Japanese and in English: the CVSS
vectors go in, the page shows the scores computed from them; an invalid vector is refused with the
cvss library's reason beside the field; an SSVC decision is recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases.models import Vulnerability
from kyocho.conftest import coordinating_case, give_totp

pytestmark = pytest.mark.browser

V31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"


@pytest.fixture
def coordinator_signed_in(coordinator: User, sign_in: Callable[[User], None]) -> User:
    give_totp(coordinator)
    sign_in(coordinator)
    return coordinator


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_add_a_vulnerability_and_see_the_computed_scores(
    page: Any, coordinator_signed_in: User, vendor_org: Organisation, language: str
) -> None:
    case = coordinating_case(coordinator_signed_in, vendor_org)
    page.goto(f"/staff/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator(f'a[href="/staff/cases/{case.reference}/vulnerabilities/new/"]').click()
    page.locator("#id_title").fill("Stored XSS in the device name")
    page.locator("#id_cwe").fill("CWE-79")
    page.locator("#id_cvss31_vector").fill(V31)
    page.locator("#id_cvss40_vector").fill(V40)
    page.locator("#id_affected-0-product").fill("Router RT-500")
    page.locator("#id_affected-0-versions").fill("< 2.4.2")
    page.locator("#id_affected-0-organisation_id").select_option(str(vendor_org.pk))
    page.locator("form.form button[type=submit]").first.click()
    page.locator("#score-cvss31").wait_for()
    assert page.locator("#score-cvss31").inner_text().startswith("5.4")
    assert page.locator("#score-cvss40").inner_text().startswith("5.3")
    vulnerability = Vulnerability.objects.get(case=case)
    assert vulnerability.affected == [
        {"product": "Router RT-500", "versions": "< 2.4.2", "organisation_id": vendor_org.pk}
    ]
    if language == "en":
        assert "Medium" in page.locator("#score-cvss31").inner_text()
    page.goto(f"/staff/cases/{case.reference}/")
    panel = page.locator("#vulnerabilities")
    assert "Stored XSS in the device name" in panel.inner_text()
    assert "5.4" in panel.inner_text() and "5.3" in panel.inner_text()


def test_an_invalid_vector_is_refused_with_the_reason(
    page: Any, coordinator_signed_in: User, vendor_org: Organisation
) -> None:
    case = coordinating_case(coordinator_signed_in, vendor_org)
    page.goto(f"/staff/cases/{case.reference}/vulnerabilities/new/")
    page.get_by_label("Title").fill("XSS")
    page.get_by_label("CVSS v3.1 vector").fill("CVSS:3.1/AV:X/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
    page.get_by_role("button", name="Save the vulnerability").click()
    field = page.locator("#field-cvss31_vector")
    field.locator(".errorlist").wait_for()
    assert "This vector is not valid" in field.inner_text() and 'Unknown value "X"' in field.inner_text()
    assert not Vulnerability.objects.exists()


def test_record_the_supplier_decision(page: Any, coordinator_signed_in: User, vendor_org: Organisation) -> None:
    from kyocho.cases import actions

    case = coordinating_case(coordinator_signed_in, vendor_org)
    vulnerability = actions.add_vulnerability(case.pk, title="XSS", actor=coordinator_signed_in)
    page.goto(f"/staff/cases/{case.reference}/vulnerabilities/{vulnerability.pk}/")
    for choice in (
        "exploitation-active",
        "utility-laborious",
        "technical_impact-partial",
        "public_safety_impact-minimal",
    ):
        page.locator(f"#ssvc-supplier-{choice}").check()
    page.get_by_role("button", name="Record the Supplier (patch development priority) decision").click()
    page.get_by_text("SSVC decision recorded: Out-of-cycle.").wait_for()
    assert page.locator("#ssvc-supplier-outcome").inner_text() == "Out-of-cycle"
