"""The three public report forms, in English and Japanese, through Django's test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import User
from kyocho.audit.queries import events_for
from kyocho.intake.models import Report
from kyocho.intake.queries import triage_queue
from kyocho.intake.tests.formhelpers import (
    FORM_DATA,
    PNG,
    SLUGS,
    _data_dir,
    _fresh_rate_limits,
    post_report,
    submit_and_track,
)
from kyocho.messaging.models import OutboundEmail

__all__ = ["_data_dir", "_fresh_rate_limits"]
pytestmark = pytest.mark.django_db

REQUIRED = {
    "software": ("reporter_email", "product_name", "description", "found_lawfully"),
    "web": ("reporter_email", "product_name", "description", "site_url", "found_lawfully"),
    "self": ("reporter_email", "product_name", "description", "developer_name", "found_lawfully"),
}
KINDS = {"software": "software", "web": "web_application", "self": "self_report"}
REQUIRED_MESSAGE = {"en": "This field is required.", "ja": "このフィールドは必須です。"}


def field_errors(html: str, name: str) -> str:
    """The markup of one field's block, where its error must appear."""
    start = html.index(f'id="field-{name}"')
    end = html.find('id="field-', start + 1)
    return html[start : end if end != -1 else None]


def stored_files(settings: Any) -> list[Any]:
    directory = settings.DATA_DIR / "attachments"
    return list(directory.iterdir()) if directory.exists() else []


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("slug", SLUGS)
def test_chooser_and_each_form_render_in_both_languages(client_for: Any, slug: str, language: str) -> None:
    client = client_for(None, language)
    chooser = client.get("/report/")
    assert chooser.status_code == 200
    assert f'href="/report/{slug}/"' in chooser.content.decode()
    page = client.get(f"/report/{slug}/").content.decode()
    assert f'lang="{language}"' in page
    assert 'name="found_lawfully"' in page
    assert ('name="site_url"' in page) is (slug == "web")
    assert 'class="helptext"' in page


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("slug", SLUGS)
def test_valid_report_is_stored_acknowledged_and_tracked(client_for: Any, slug: str, language: str) -> None:
    client = client_for(None, language)
    response = post_report(client, slug, reproduction="1. open /admin", other_coordinators="CERT/CC VU#123456")
    assert response.status_code == 302
    assert response["Location"] == "/report/received/"
    report = Report.objects.get()
    assert (report.kind, report.language, report.status) == (KINDS[slug], language, "received")
    assert report.reporter is None
    assert report.other_coordinators == "CERT/CC VU#123456"
    assert report.already_public == "no"
    assert report.site_url == ("https://shop.example.jp/" if slug == "web" else "")
    assert [event.name for event in events_for(report)] == ["intake:report:received"]
    assert OutboundEmail.objects.get(purpose="report:acknowledgement").to == "hanako@finder.example"
    acknowledgement = client.get("/report/received/").content.decode()
    assert report.reference in acknowledgement
    assert "http://testserver/track/" in acknowledgement
    # The link is shown once: the page does not show it again.
    assert client.get("/report/received/").status_code == 302


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(("slug", "missing"), [(slug, name) for slug, names in REQUIRED.items() for name in names])
def test_each_required_field_is_refused_next_to_the_field(
    client_for: Any, slug: str, missing: str, language: str
) -> None:
    response = post_report(client_for(None, language), slug, **{missing: None})
    assert response.status_code == 400
    html = response.content.decode()
    block = field_errors(html, missing)
    assert 'class="errorlist' in block
    if missing != "found_lawfully":
        assert REQUIRED_MESSAGE[language] in block
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a valid email address."), ("ja", "有効なメールアドレスを入力してください。")],
)
def test_bad_email_is_refused_in_the_page_language(client_for: Any, language: str, message: str) -> None:
    response = post_report(client_for(None, language), reporter_email="not-an-address")
    assert response.status_code == 400
    assert message in field_errors(response.content.decode(), "reporter_email")
    assert not Report.objects.exists()


def test_lawful_statement_must_be_ticked(client_for: Any) -> None:
    response = post_report(client_for(None), found_lawfully=None)
    assert "Please confirm that the vulnerability was found without breaking the law." in field_errors(
        response.content.decode(), "found_lawfully"
    )
    assert not Report.objects.exists()


def test_action_refusal_lands_next_to_its_field(client_for: Any) -> None:
    """Credit by name needs a name: the action says so, and the page puts it at the name field."""
    response = post_report(client_for(None), reporter_name="")
    assert response.status_code == 400
    assert "Give the name to credit" in field_errors(response.content.decode(), "reporter_name")
    assert not Report.objects.exists()


def test_web_form_refuses_an_address_that_is_not_a_web_address(client_for: Any) -> None:
    response = post_report(client_for(None), "web", site_url="javascript:alert(1)")
    assert "https://" in field_errors(response.content.decode(), "site_url")
    assert not Report.objects.exists()


def test_attachments_are_stored_with_the_report(client_for: Any) -> None:
    files = [SimpleUploadedFile("shot.png", PNG, "image/png"), SimpleUploadedFile("log.txt", b"GET /admin\n")]
    response = post_report(client_for(None), attachments=files)
    assert response.status_code == 302
    stored = Report.objects.get().attachments.order_by("filename")
    assert [(item.filename, item.kind) for item in stored] == [("log.txt", "text"), ("shot.png", "png")]


def test_oversized_attachment_is_refused_and_nothing_is_stored(client_for: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "ATTACHMENT_MAX_BYTES": 16}
    response = post_report(client_for(None), attachments=[SimpleUploadedFile("shot.png", PNG)])
    assert response.status_code == 400
    assert "“shot.png” is too large (at most 16 bytes)." in field_errors(response.content.decode(), "attachments")
    assert not Report.objects.exists()
    assert not stored_files(settings)


def test_too_many_attachments_are_refused(client_for: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "ATTACHMENT_MAX_COUNT": 1}
    files = [SimpleUploadedFile(f"{n}.txt", b"text") for n in range(2)]
    response = post_report(client_for(None), attachments=files)
    assert "Attach at most 1 files." in field_errors(response.content.decode(), "attachments")
    assert not Report.objects.exists()


def test_attachment_of_a_forbidden_type_is_refused_whatever_its_name(client_for: Any, settings: Any) -> None:
    executable = SimpleUploadedFile("poc.png", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)), "image/png")
    response = post_report(client_for(None), attachments=[executable])
    assert response.status_code == 400
    assert "“poc.png” is not a file type we accept" in field_errors(response.content.decode(), "attachments")
    assert not Report.objects.exists()
    assert not stored_files(settings)


def test_honeypot_keeps_the_report_as_spam_and_the_bot_sees_an_acknowledgement(client_for: Any) -> None:
    client = client_for(None)
    response = post_report(client, homepage="https://spam.example/")
    assert response.status_code == 302
    assert "/track/" in client.get(response["Location"]).content.decode()
    report = Report.objects.get()
    assert report.status == "spam"
    assert [event.name for event in events_for(report)] == ["intake:report:received", "intake:report:spam"]
    assert events_for(report).latest("seq").data["honeypot"] is True
    assert not OutboundEmail.objects.exists()


def test_spam_is_never_in_the_triage_queue(client_for: Any, coordinator: User) -> None:
    post_report(client_for(None), homepage="x")
    post_report(client_for(None), reporter_email="real@finder.example")
    assert [report.reporter_email for report in triage_queue(coordinator)] == ["real@finder.example"]


def test_rate_limit_per_address_answers_429_and_stores_nothing(client_for: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REPORT_LIMIT_PER_EMAIL": 2}
    client = client_for(None)
    for _ in range(2):
        assert post_report(client).status_code == 302
    refused = post_report(client)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert Report.objects.count() == 2
    assert post_report(client, reporter_email="other@finder.example").status_code == 302


def test_rate_limit_per_ip(client_for: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REPORT_LIMIT_PER_IP": 1}
    client = client_for(None)
    assert post_report(client).status_code == 302
    assert post_report(client, reporter_email="second@finder.example").status_code == 429
    assert Report.objects.count() == 1


def test_japanese_rate_limit_page(client_for: Any, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REPORT_LIMIT_PER_IP": 1}
    client = client_for(None, "ja")
    post_report(client)
    refused = post_report(client)
    assert refused.status_code == 429
    assert 'lang="ja"' in refused.content.decode()


def test_signed_in_reporter_gets_the_report_on_the_account(client_for: Any, reporter: User) -> None:
    client = client_for(reporter)
    response = post_report(client, reporter_email="")
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.reporter == reporter
    assert report.reporter_email == reporter.email
    assert report.tracking_token_hash == ""
    acknowledgement = client.get("/report/received/").content.decode()
    assert "/track/" not in acknowledgement
    assert "/portal/" in acknowledgement


def test_unknown_form_is_404(client_for: Any) -> None:
    assert client_for(None).get("/report/hardware/").status_code == 404


def test_submitted_text_is_rendered_as_safe_markdown(client_for: Any) -> None:
    client = client_for(None)
    _report, tracking_path = submit_and_track(client, description="**bold** <script>alert(1)</script>")
    html = client.get(tracking_path).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html


def test_form_data_covers_every_field_it_names() -> None:
    from kyocho.public.forms import ReportForm

    assert set(FORM_DATA) <= set(ReportForm.base_fields)
