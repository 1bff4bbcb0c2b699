"""A coordinator logs a phone call to a silent developer in a real browser and sees the unreachable
progress move, in Japanese and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases.models import ContactAttempt
from kyocho.conftest import coordinating_case, give_totp

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_a_coordinator_logs_a_phone_call_and_sees_the_progress(
    page: Any, coordinator: User, vendor_org: Organisation, sign_in: Callable[[User], None], language: str
) -> None:
    case = coordinating_case(coordinator, vendor_org, title="Command injection in the NAS web UI")
    give_totp(coordinator)
    sign_in(coordinator)
    page.goto(f"/staff/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("#participants-heading").wait_for()
    page.get_by_role("link", name="Example Vendor A").click()  # the case page's developer list links here
    page.wait_for_url(f"**/staff/cases/{case.reference}/developers/{vendor_org.pk}/")
    progress = page.locator("#unreachable-progress .progress-line")
    assert (progress.get_attribute("data-attempts"), progress.get_attribute("data-channels")) == ("1", "1")

    page.locator("#id_channel").select_option("phone")
    page.locator("#id_outcome").select_option("no_answer")
    page.locator("#id_address").fill("+81-3-1234-5678")
    page.locator("#id_note").fill("Rang the PSIRT desk; voicemail")
    page.locator("#log-attempt button[name=action][value=log]").click()

    page.locator(".message--success").wait_for()
    progress = page.locator("#unreachable-progress .progress-line")
    assert (progress.get_attribute("data-attempts"), progress.get_attribute("data-channels")) == ("2", "2")
    row = page.locator("#contact-log tr.attempt--phone")
    assert row.count() == 1 and "+81-3-1234-5678" in row.inner_text() and "voicemail" in row.inner_text()
    if language == "en":
        assert progress.inner_text() == "2 of 3 attempts, 0 of 30 days, 2 of 2 channels"
        assert page.locator(".message--success").inner_text() == "The contact attempt is logged."
    attempt = ContactAttempt.objects.get(channel="phone")
    assert (attempt.outcome, attempt.recorded_by) == ("no_answer", coordinator)
