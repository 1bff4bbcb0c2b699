"""A coordinator and a developer exchange messages with attachments in a real browser, in Japanese and
English: the coordinator starts the conversation from the case page, the developer finds it on the
portal's case page, downloads the file and answers; the coordinator sees the answer as unread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases.models import Message
from kyocho.conftest import coordinating_case, give_totp

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _attachments_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def write(page: Any, body: str, attachment: Path) -> None:
    page.locator("form.conversation-form textarea[name=body]").fill(body)
    page.locator("form.conversation-form input[type=file]").set_input_files(str(attachment))
    page.locator("form.conversation-form button[type=submit]").click()


@pytest.mark.parametrize(("browser_locale", "language"), [("ja-JP", "ja"), ("en-US", "en")])
def test_coordinator_and_developer_exchange_messages_with_files(
    page: Any,
    browser_context: Any,
    sign_in: Callable[[User], None],
    coordinator: User,
    vendor_org: Organisation,
    vendor_member: User,
    tmp_path: Path,
    language: str,
) -> None:
    case = coordinating_case(coordinator, vendor_org, title="Stored XSS in Example Router")
    give_totp(coordinator)
    give_totp(vendor_member)
    logs = tmp_path / "crash-log.txt"
    logs.write_text("segfault at 0x0\n")
    patch = tmp_path / "fix-notes.txt"
    patch.write_text("fixed in 2.4.2\n")

    # The coordinator starts the private conversation from the developer's row on the case page.
    sign_in(coordinator)
    page.goto(f"/staff/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("#conversation-developers tbody tr", has_text="Example Vendor A").locator("button").click()
    page.wait_for_url("**/threads/*/")
    write(page, "Please confirm receipt; the **crash log** is attached.", logs)
    page.locator(".conversation__message").first.wait_for()
    assert "crash log" in page.locator(".conversation__message").first.inner_text()
    assert page.locator(".conversation .attachments a", has_text="crash-log.txt").count() == 1

    # The developer finds it on the portal's case page, reads it, downloads the file and answers.
    browser_context.clear_cookies()
    sign_in(vendor_member)
    page.goto(f"/portal/cases/{case.reference}/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("#conversations a").first.click()
    page.wait_for_url("**/threads/*/")
    assert "crash log" in page.locator(".conversation__message").first.inner_text()
    with page.expect_download() as download:
        page.locator(".conversation .attachments a", has_text="crash-log.txt").click()
    assert Path(download.value.path()).read_text() == "segfault at 0x0\n"
    write(page, "Received. Our fix notes are attached.", patch)
    page.locator(".conversation__message--mine", has_text="Our fix notes").wait_for()

    # Back on the case page the coordinator sees the answer waiting, and reads it.
    browser_context.clear_cookies()
    sign_in(coordinator)
    page.goto(f"/staff/cases/{case.reference}/")
    row = page.locator("#conversation-developers tbody tr", has_text="Example Vendor A")
    assert row.locator(".badge--warn").count() == 1  # one unread message
    row.locator("a").click()
    page.wait_for_url("**/threads/*/")
    newest = page.locator(".conversation__message").first
    assert "Our fix notes" in newest.inner_text() and "Example Vendor A" in newest.inner_text()
    assert newest.locator(".attachments a", has_text="fix-notes.txt").count() == 1
    assert [message.author for message in Message.objects.order_by("pk")] == [coordinator, vendor_member]
