"""Answers, statements and their review in a real browser, in Japanese and English: a developer confirms
receipt, answers and writes a statement; a coordinator returns one answer with a comment and approves
another, and the developer reads the comment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.cases.models import Answer, Case, Participation, Statement
from kyocho.conftest import coordinating_case, give_totp

pytestmark = pytest.mark.browser
LANGUAGES = pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    case = coordinating_case(coordinator, vendor_org, other_vendor_org, title="Overflow in the shared parser")
    for title in ("Heap overflow", "Path traversal"):
        cases.add_vulnerability(
            case.pk,
            title=title,
            cwe="CWE-122",
            cvss31_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            affected=[
                {"product": "Router X", "versions": "< 2.1", "organisation_id": vendor_org.pk},
                {"product": "Camera Secret-Name", "organisation_id": other_vendor_org.pk},
            ],
            actor=coordinator,
        )
    return case


@pytest.fixture
def mine(case: Case, vendor_org: Organisation) -> Participation:
    return case.participations.get(organisation=vendor_org)


def signed_in(user: User, sign_in: Callable[[User], None]) -> None:
    give_totp(user)
    sign_in(User.objects.get(pk=user.pk))


def submit(page: Any, form: Any) -> None:
    """Submit a form and wait for the page it leads to (POST, redirect, GET)."""
    click_and_wait(page, form.locator("button[type=submit]"))


def click_and_wait(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()


@LANGUAGES
def test_a_developer_answers_and_writes_a_statement(
    page: Any, case: Case, mine: Participation, vendor_member: User, sign_in: Callable[[User], None], language: str
) -> None:
    signed_in(vendor_member, sign_in)
    page.goto(f"/portal/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    assert "Camera Secret-Name" not in page.content() and "Example Vendor B" not in page.content()
    assert page.locator(".answer-form").count() == 0  # answering opens once receipt is confirmed

    submit(page, page.locator(f"#receipt-{mine.pk} form"))
    assert page.locator(".message--success").count() == 1
    first, second = case.vulnerabilities.order_by("pk")
    fixed = page.locator(f"#cell-{mine.pk}-{first.pk}-0")
    fixed.locator("select[name=status]").select_option("fixed")
    fixed.locator("input[name=fixed_version]").fill("2.1.0")
    submit(page, fixed.locator("form"))
    not_affected = page.locator(f"#cell-{mine.pk}-{second.pk}-0")
    not_affected.locator("select[name=status]").select_option("not_affected")
    submit(page, not_affected.locator("form"))  # without a justification: refused, beside the form
    refused = page.locator(f"#cell-{mine.pk}-{second.pk}-0")
    assert refused.locator("[aria-invalid=true]").count() == 1
    assert refused.locator(".errorlist").count() == 1
    refused.locator("select[name=justification]").select_option("vulnerable_code_not_present")
    submit(page, refused.locator("form"))

    statement = page.locator(f"#statement-{mine.pk}")
    statement.locator("textarea[name=text_ja]").fill("2.1.0 で修正しました。")
    statement.locator("textarea[name=text_en]").fill("Fixed in 2.1.0.")
    statement.locator("textarea[name=references]").fill("https://vendor-a.example/psirt/sa-2026-01")
    submit(page, statement.locator("form"))
    assert page.locator(f"#statement-{mine.pk} .review-pending").count() == 1

    answers = {(a.vulnerability_id, a.status, a.fixed_version, a.justification) for a in Answer.objects.all()}
    assert answers == {(first.pk, "fixed", "2.1.0", ""), (second.pk, "not_affected", "", "vulnerable_code_not_present")}
    saved = Statement.objects.get()
    assert (saved.text_ja, saved.references, saved.review_status) == (
        "2.1.0 で修正しました。",
        ["https://vendor-a.example/psirt/sa-2026-01"],
        "pending",
    )
    if language == "en":
        assert page.get_by_text("Statement saved. A coordinator will review it.").count() == 1


@LANGUAGES
def test_a_coordinator_returns_one_answer_and_approves_another(
    page: Any,
    case: Case,
    mine: Participation,
    coordinator: User,
    vendor_member: User,
    sign_in: Callable[[User], None],
    language: str,
) -> None:
    cases.acknowledge_participation(mine.pk, actor=vendor_member)
    first, second = (
        cases.record_answer(mine.pk, vulnerability_id=v.pk, product="Router X", status="affected", actor=vendor_member)
        for v in case.vulnerabilities.order_by("pk")
    )
    signed_in(coordinator, sign_in)
    page.goto(f"/staff/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    panel = page.locator("#reviews")
    assert panel.locator(".answer-overview").count() == 1

    to_return = page.locator(f"#review-answer-{first.pk}")
    to_return.locator("textarea[name=comment]").fill("Is 2.0 affected as well?")
    click_and_wait(page, to_return.locator("button[value=return_answer]"))
    assert page.locator(".message--success").count() == 1
    click_and_wait(page, page.locator(f"#review-answer-{second.pk} button[value=approve_answer]"))
    assert (
        page.locator(f"#review-answer-{first.pk}").count() == 0
        and page.locator(f"#review-answer-{second.pk}").count() == 0
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.review_status, first.review_comment, second.review_status) == (
        "returned",
        "Is 2.0 affected as well?",
        "approved",
    )

    # The developer reads the comment beside the answer that came back.
    signed_in(vendor_member, sign_in)
    page.goto(f"/portal/cases/{case.reference}/")
    returned = page.locator(f"#cell-{mine.pk}-{first.vulnerability_id}-0")
    assert "Is 2.0 affected as well?" in returned.inner_text()
    assert page.locator(f"#cell-{mine.pk}-{second.vulnerability_id}-0 .review-approved").count() == 1
