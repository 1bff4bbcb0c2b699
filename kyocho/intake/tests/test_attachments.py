"""Attachments: the content sniffer, storage outside the web root, and who may download them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import User
from kyocho.core.attachments import Upload, check_uploads, sniff, storage_dir
from kyocho.core.errors import InvalidInput
from kyocho.intake import actions
from kyocho.intake.models import Report
from kyocho.intake.tests.formhelpers import PNG, _data_dir, _fresh_rate_limits, post_report, submit_and_track
from kyocho.intake.tests.helpers import SOFTWARE_REPORT

__all__ = ["_data_dir", "_fresh_rate_limits"]

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", "pcap"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", "pcapng"),
        ("ログ: GET /admin\r\n\tok\n".encode(), "text"),
    ],
)
def test_sniffer_recognises_each_allowed_type(content: bytes, kind: str) -> None:
    assert sniff(content) == kind


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00", b"\x7fELF\x02\x01", b"text with a NUL\x00 inside", b"\xff\xfe\x00bad utf8 \xc3\x28", b"<svg\x01>"],
)
def test_sniffer_refuses_everything_else(content: bytes) -> None:
    assert sniff(content) is None


def test_checks_refuse_empty_files_and_keep_only_the_base_name() -> None:
    with pytest.raises(InvalidInput) as empty:
        check_uploads([Upload("empty.txt", b"")])
    assert empty.value.field == "attachments"
    [checked] = check_uploads([Upload("../../etc/pass\x00wd.txt", b"hello")])
    assert checked.filename == "passwd.txt"


@pytest.mark.django_db
def test_files_are_stored_under_random_names_outside_the_web_root(settings: Any) -> None:
    report, _token = actions.submit_report(
        kind="software",
        fields=SOFTWARE_REPORT,
        actor=None,
        language="en",
        files=[Upload("proof.pdf", PDF)],
    )
    attachment = report.attachments.get()
    path = storage_dir() / attachment.stored_name
    assert path.read_bytes() == PDF
    assert path.parent == settings.DATA_DIR / "attachments"
    assert settings.STATIC_ROOT not in path.parents
    assert "proof" not in attachment.stored_name
    assert (attachment.size, attachment.kind, len(attachment.sha256)) == (len(PDF), "pdf", 64)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_a_failed_submission_leaves_no_file_behind(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(actions, "_tell_reporter", broken)
    with pytest.raises(RuntimeError):
        actions.submit_report(
            kind="software", fields=SOFTWARE_REPORT, actor=None, language="en", files=[Upload("a.txt", b"x")]
        )
    assert not any(storage_dir().iterdir())
    assert not Report.objects.exists()


def assert_download(response: Any, content: bytes, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename in response["Content-Disposition"]
    assert response.content == content


@pytest.fixture
def tracked_with_file(client_for: Any) -> tuple[Any, Report, str, str]:
    client = client_for(None)
    report, path = submit_and_track(client, attachments=[SimpleUploadedFile("page.html.txt", b"<script>x</script>")])
    attachment = report.attachments.get()
    return client, report, path, f"{path}attachments/{attachment.pk}/"


@pytest.mark.django_db
def test_reporter_downloads_through_the_tracking_link(tracked_with_file: Any) -> None:
    client, _report, path, download = tracked_with_file
    assert download in client.get(path).content.decode()
    assert_download(client.get(download), b"<script>x</script>", "page.html.txt")


@pytest.mark.django_db
def test_another_reports_link_cannot_download(tracked_with_file: Any, client_for: Any) -> None:
    _client, report, _path, _download = tracked_with_file
    other_client = client_for(None)
    _other, other_path = submit_and_track(other_client, reporter_email="other@finder.example")
    attachment_id = report.attachments.get().pk
    assert other_client.get(f"{other_path}attachments/{attachment_id}/").status_code == 404


@pytest.mark.django_db
def test_revoked_link_cannot_download(tracked_with_file: Any, coordinator: User) -> None:
    client, report, _path, download = tracked_with_file
    actions.revoke_tracking_token(report.pk, actor=coordinator)
    assert client.get(download).status_code == 404


@pytest.mark.django_db
def test_staff_download_and_vendors_and_strangers_get_404(
    tracked_with_file: Any, client_for: Any, coordinator: User, vendor_member: User, reporter: User
) -> None:
    _client, report, _path, _download = tracked_with_file
    url = f"/portal/reports/{report.reference}/attachments/{report.attachments.get().pk}/"
    assert_download(client_for(coordinator).get(url), b"<script>x</script>", "page.html.txt")
    assert client_for(vendor_member).get(url).status_code == 404
    assert client_for(reporter).get(url).status_code == 404  # another reporter's account


@pytest.mark.django_db
def test_signed_in_reporter_downloads_from_the_portal(client_for: Any, reporter: User) -> None:
    client = client_for(reporter)
    assert (
        post_report(client, reporter_email="", attachments=[SimpleUploadedFile("日本語.png", PNG)]).status_code == 302
    )
    report = Report.objects.get(reporter=reporter)
    url = f"/portal/reports/{report.reference}/attachments/{report.attachments.get().pk}/"
    response = client.get(url)
    assert_download(response, PNG, "filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.png")
