"""The registry's pages: public form and list, the developer's portal page, the staff pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import User
from kyocho.audit.models import AuditEvent
from kyocho.disclosure.queries import is_suspended
from kyocho.vendors.models import Registration
from kyocho.vendors.tests.helpers import TERMS, listed, publish_terms, reload
from kyocho.vendors.tests.test_import import BAD, GOOD

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Page Vendor",
    "name_en": "Page Vendor Inc.",
    "registration_type": "individual",
    "responsible_name": "Rie",
    "responsible_email": "rie@page.example",
    "keywords": "camera; nvr",
    "products": "Cam X | 1.0 | | pkg:generic/page/cam-x\nNVR",
    "terms_version": TERMS,
    "accept_terms": "on",
    "listed_publicly": "on",
    "applicant_email": "rie@page.example",
    "password": "a long enough passphrase 1",
}


def admin_of(registration: Registration) -> User:
    assert registration.applicant is not None
    return User.objects.get(pk=registration.applicant.pk)


def test_registration_form_creates_an_application(client_for: Any, lead: User) -> None:
    publish_terms(lead)
    client = client_for(None)
    page = client.get("/developers/register/")
    assert page.status_code == 200
    assert b"Terms text" in page.content
    response = client.post("/developers/register/", FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get(organisation__name="Page Vendor")
    assert registration.registration_type == "individual"
    assert [p.name for p in registration.products.order_by("name")] == ["Cam X", "NVR"]
    assert registration.applicant is not None and registration.applicant.email == "rie@page.example"


def test_registration_form_shows_domain_errors_by_the_field(client_for: Any, lead: User) -> None:
    publish_terms(lead)
    response = client_for(None).post("/developers/register/", {**FORM, "products": "Cam | | cpe:bad |"})
    assert response.status_code == 200
    assert b"is not a CPE 2.3 name" in response.content
    assert not Registration.objects.exists()


def test_registration_is_closed_without_terms(client_for: Any) -> None:
    assert b"not open yet" in client_for(None).get("/developers/register/").content


def test_public_list_in_both_languages(client_for: Any, lead: User, coordinator: User) -> None:
    listed(lead, coordinator)
    listed(lead, coordinator, name="Hidden KK", email="h@hidden.example", listed_publicly=False)
    japanese = client_for(None, "ja").get("/developers/").content.decode()
    english = client_for(None, "en").get("/developers/").content.decode()
    assert "株式会社サンプル" in japanese and "Sample Corp." in english
    assert "Hidden KK" not in japanese + english


def test_portal_page_changes_own_data_and_hides_others(client_for: Any, lead: User, coordinator: User) -> None:
    mine = listed(lead, coordinator)
    theirs = listed(lead, coordinator, name="Other KK", email="o@other.example")
    client = client_for(admin_of(mine))
    assert client.get("/portal/registry/").status_code == 302
    assert client.get(f"/portal/registry/{mine.pk}/").status_code == 200
    assert client.get(f"/portal/registry/{theirs.pk}/").status_code == 404
    assert client.post(f"/portal/registry/{theirs.pk}/", {"action": "details", "phone": "1"}).status_code == 404
    other_contact = theirs.contacts.first()
    assert other_contact is not None
    response = client.post(f"/portal/registry/{mine.pk}/", {"action": "remove_contact", "id": other_contact.pk})
    assert response.status_code == 404
    client.post(f"/portal/registry/{mine.pk}/", {"action": "details", "phone": "+81 3-0000-0000", "keywords": "a; b"})
    assert reload(mine).keywords == ["a", "b"]
    assert not reload(mine).listed_publicly  # an unticked box means "do not list"


def test_portal_banner_and_acceptance_of_new_terms(client_for: Any, lead: User, coordinator: User) -> None:
    mine = listed(lead, coordinator)
    publish_terms(lead, "2026-09")
    client = client_for(admin_of(mine))
    assert b"New registration terms are waiting" in client.get("/portal/").content
    client.post(f"/portal/registry/{mine.pk}/", {"action": "accept_terms", "terms_version": "2026-09"})
    assert b"New registration terms are waiting" not in client.get("/portal/").content


def test_staff_review_from_the_page(client_for: Any, lead: User, coordinator: User) -> None:
    from kyocho.vendors.tests.helpers import apply

    publish_terms(lead)
    registration = apply()
    client = client_for(coordinator)
    assert b"Applications to review" in client.get("/staff/registry/").content
    client.post(f"/staff/registry/{registration.pk}/", {"action": "request_info", "note": "Which products?"})
    assert reload(registration).status == "needs_info"
    client.post(f"/staff/registry/{registration.pk}/", {"action": "reject", "note": "No reply."})
    assert reload(registration).status == "rejected"


def test_staff_pages_are_404_for_developers(client_for: Any, lead: User, coordinator: User) -> None:
    mine = listed(lead, coordinator)
    client = client_for(admin_of(mine))
    for url in (
        "/staff/registry/",
        f"/staff/registry/{mine.pk}/",
        "/staff/registry/changes/",
        "/staff/registry/terms/",
    ):
        assert client.get(url).status_code == 404, url


def test_lead_suspends_and_lifts_from_the_developer_page(client_for: Any, lead: User, coordinator: User) -> None:
    registration = listed(lead, coordinator)
    client = client_for(lead)
    client.post(
        f"/staff/registry/{registration.pk}/",
        {"action": "suspend", "reason": "Broke the date of JVNVU#12345678", "until": "2099-01-31T12:00"},
    )
    assert is_suspended(registration.organisation_id)
    assert b"Broke the date" in client.get(f"/staff/registry/{registration.pk}/").content
    client.post(f"/staff/registry/{registration.pk}/", {"action": "lift", "reason": "Talked it over"})
    assert not is_suspended(registration.organisation_id)
    # A coordinator who is not lead is refused by the disclosure action.
    client_for(coordinator).post(f"/staff/registry/{registration.pk}/", {"action": "suspend", "reason": "x"})
    assert not is_suspended(registration.organisation_id)


def test_recent_changes_and_terms_pages(client_for: Any, lead: User, coordinator: User) -> None:
    mine = listed(lead, coordinator)
    client_for(admin_of(mine)).post(
        f"/portal/registry/{mine.pk}/", {"action": "add_contact", "name": "New", "email": "new@sample.example"}
    )
    assert b"vendors:contact:added" in client_for(coordinator).get("/staff/registry/changes/").content
    client_for(lead).post(
        "/staff/registry/terms/", {"action": "publish", "version": "v9", "text_ja": "新", "text_en": "New"}
    )
    page = client_for(coordinator).get("/staff/registry/terms/").content.decode()
    assert "v9" in page and "株式会社サンプル" in page  # has not accepted v9 yet


def test_import_upload_dry_run_then_real(client_for: Any, lead: User) -> None:
    client = client_for(lead)
    bad = client.post(
        "/staff/registry/import/", {"file": SimpleUploadedFile("list.csv", BAD.encode()), "dry_run": "on"}
    )
    assert b"Choose general or individual registration." in bad.content
    client.post("/staff/registry/import/", {"file": SimpleUploadedFile("list.csv", GOOD.encode())})
    assert Registration.objects.count() == 2
    assert AuditEvent.objects.filter(name="vendors:registration:imported").count() == 2


def test_every_registry_page_renders_in_japanese(client_for: Any, lead: User, coordinator: User) -> None:
    registration = listed(lead, coordinator)
    staff = client_for(lead, "ja")
    for url in (
        "/staff/registry/",
        f"/staff/registry/{registration.pk}/",
        "/staff/registry/changes/",
        "/staff/registry/terms/",
        "/staff/registry/import/",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert b'lang="ja"' in response.content
    developer = client_for(admin_of(registration), "ja")
    assert developer.get(f"/portal/registry/{registration.pk}/").status_code == 200
    assert client_for(None, "ja").get("/developers/register/").status_code == 200
