"""The developer's product, SBOM and contact forms on the portal page, the staff view of the SBOMs,
and the SBOM API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import User
from kyocho.accounts.roles import Role
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.audit.models import AuditEvent
from kyocho.conftest import make_member
from kyocho.vendors import products
from kyocho.vendors.models import Product, Registration, Sbom
from kyocho.vendors.tests.registry_helpers import fixture_bytes, registered

pytestmark = pytest.mark.django_db


def admin_of(registration: Registration) -> User:
    assert registration.applicant is not None
    return User.objects.get(pk=registration.applicant.pk)


@pytest.fixture
def developer() -> Registration:
    return registered()


@pytest.fixture
def router(developer: Registration) -> Product:
    return products.add_product(developer.pk, name="Router", versions="1.x", actor=admin_of(developer))


def page_url(registration: Registration) -> str:
    return f"/portal/registry/{registration.pk}/"


def upload(client: Any, registration: Registration, product: Product, name: str, version: str = "1.0") -> Any:
    return client.post(
        page_url(registration),
        {
            "action": "upload_sbom",
            "id": product.pk,
            "product_version": version,
            "sbom": SimpleUploadedFile(name, fixture_bytes(name)),
        },
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_portal_page_shows_the_forms_in_both_languages(
    client_for: Any, developer: Registration, router: Product, language: str
) -> None:
    html = client_for(admin_of(developer), language).get(page_url(developer)).content.decode()
    for action in ("upload_sbom", "update_product", "update_contact", "details"):
        assert f'value="{action}"' in html, action
    assert 'name="website"' in html and 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_developer_uploads_an_sbom_and_sees_it_listed(
    client_for: Any, developer: Registration, router: Product, language: str
) -> None:
    client = client_for(admin_of(developer), language)
    response = upload(client, developer, router, "cyclonedx-1.5.json")
    assert response.status_code == 302
    sbom = Sbom.objects.get(product=router)
    assert (sbom.product_version, sbom.format, sbom.spec_version) == ("1.0", "cyclonedx-json", "1.5")
    assert sbom.filename == "cyclonedx-1.5.json" and sbom.component_count > 0
    assert AuditEvent.objects.filter(name="vendors:sbom:uploaded").count() == 1
    upload(client, developer, router, "cyclonedx-1.6.json")
    html = client.get(page_url(developer)).content.decode()
    assert "CycloneDX JSON 1.6" in html and "CycloneDX JSON 1.5" in html
    assert f">{sbom.component_count}<" in html
    assert "<time datetime=" in html


def test_current_and_history_are_told_apart(client_for: Any, developer: Registration, router: Product) -> None:
    client = client_for(admin_of(developer))
    upload(client, developer, router, "cyclonedx-1.5.json")
    upload(client, developer, router, "cyclonedx-1.6.json")
    html = client.get(page_url(developer)).content.decode()
    assert html.index("CycloneDX JSON 1.6") < html.index("CycloneDX JSON 1.5")
    assert ">Current<" in html and "History" in html


@pytest.mark.parametrize("name", ["cyclonedx-1.5-malformed.json", "spdx-2.3-malformed.json"])
def test_malformed_sbom_is_shown_by_the_field_and_nothing_stored(
    client_for: Any, developer: Registration, router: Product, name: str
) -> None:
    response = upload(client_for(admin_of(developer)), developer, router, name)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="sbom-error-{router.pk}"' in html and 'aria-invalid="true"' in html
    assert not Sbom.objects.exists()
    assert not AuditEvent.objects.filter(name="vendors:sbom:uploaded").exists()


def test_missing_version_and_oversized_file_are_refused(
    client_for: Any, developer: Registration, router: Product, settings: Any
) -> None:
    client = client_for(admin_of(developer))
    assert b"product version" in upload(client, developer, router, "cyclonedx-1.5.json", version="").content
    settings.KYOCHO = {**settings.KYOCHO, "SBOM_MAX_BYTES": 10}
    response = upload(client, developer, router, "cyclonedx-1.5.json")
    assert response.status_code == 400 and b"too large" in response.content
    assert not Sbom.objects.exists()


def test_another_developers_product_is_a_404(client_for: Any, developer: Registration, router: Product) -> None:
    other = registered(name="Other Maker K.K.")
    client = client_for(admin_of(other))
    assert upload(client, other, router, "cyclonedx-1.5.json").status_code == 404
    assert upload(client, developer, router, "cyclonedx-1.5.json").status_code == 404
    changed = client.post(page_url(other), {"action": "update_product", "id": router.pk, "name": "Mine"})
    assert changed.status_code == 404
    assert not Sbom.objects.exists() and Product.objects.get(pk=router.pk).name == "Router"


def test_vendor_member_sees_but_may_not_upload(client_for: Any, developer: Registration, router: Product) -> None:
    member = make_member("member@routermaker.example", developer.organisation, Role.VENDOR_MEMBER)
    client = client_for(member)
    assert client.get(page_url(developer)).status_code == 200
    assert upload(client, developer, router, "cyclonedx-1.5.json").status_code == 403
    assert not Sbom.objects.exists()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_developer_changes_a_product(client_for: Any, developer: Registration, router: Product, language: str) -> None:
    client = client_for(admin_of(developer), language)
    fields = {"name": "Router X", "versions": "2.x", "cpe": "", "purl": "pkg:generic/routermaker/router-x"}
    response = client.post(page_url(developer), {"action": "update_product", "id": router.pk, **fields})
    assert response.status_code == 302
    router.refresh_from_db()
    assert (router.name, router.versions, router.purl) == ("Router X", "2.x", "pkg:generic/routermaker/router-x")
    assert AuditEvent.objects.filter(name="vendors:product:updated").exists()
    client.post(page_url(developer), {"action": "update_product", "id": router.pk, **fields, "cpe": "cpe:bad"})
    router.refresh_from_db()
    assert router.cpe == ""
    assert b"CPE 2.3" in client.get(page_url(developer)).content


@pytest.mark.parametrize("language", ["ja", "en"])
def test_developer_changes_a_contact_and_the_website(client_for: Any, developer: Registration, language: str) -> None:
    client = client_for(admin_of(developer), language)
    contact = developer.contacts.get()
    fields = {"name": "PSIRT desk", "email": "desk@routermaker.example", "phone": "", "responsible": "on"}
    response = client.post(page_url(developer), {"action": "update_contact", "id": contact.pk, **fields})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email) == ("PSIRT desk", "desk@routermaker.example")
    assert AuditEvent.objects.filter(name="vendors:contact:changed").exists()
    client.post(page_url(developer), {"action": "details", "website": "https://routermaker.example/"})
    developer.refresh_from_db()
    assert developer.website == "https://routermaker.example/"
    assert b"https://routermaker.example/" in client.get(page_url(developer)).content


def test_staff_see_the_sboms_read_only(
    client_for: Any, coordinator: User, developer: Registration, router: Product
) -> None:
    upload(client_for(admin_of(developer)), developer, router, "cyclonedx-1.5.json")
    html = client_for(coordinator).get(f"/staff/registry/{developer.pk}/").content.decode()
    assert "CycloneDX JSON 1.5" in html and "SBOMs of Router" in html
    assert 'value="upload_sbom"' not in html


def api_upload(client: Any, product: Product, name: str = "cyclonedx-1.5.json") -> Any:
    return client.post(
        f"/api/v1/vendor-products/{product.pk}/sboms",
        {"product_version": "1.0", "file": SimpleUploadedFile(name, fixture_bytes(name))},
    )


def test_api_uploads_and_lists_sboms(developer: Registration, router: Product) -> None:
    client = token_client(admin_of(developer))
    created = api_upload(client, router)
    assert created.status_code == 201, created.content
    body = json_of(created)
    assert (body["format"], body["spec_version"], body["current"]) == ("cyclonedx-json", "1.5", True)
    api_upload(client, router, "cyclonedx-1.6.json")
    listing = json_of(client.get(f"/api/v1/vendor-products/{router.pk}/sboms"))
    assert [(s["spec_version"], s["current"]) for s in listing] == [("1.6", True), ("1.5", False)]
    refused = api_upload(client, router, "cyclonedx-1.5-malformed.json")
    assert refused.status_code == 400
    assert Sbom.objects.count() == 2


def test_api_hides_another_developers_product(developer: Registration, router: Product) -> None:
    other = token_client(admin_of(registered(name="Other Maker K.K.")))
    assert api_upload(other, router).status_code == 404
    assert other.get(f"/api/v1/vendor-products/{router.pk}/sboms").status_code == 404
    assert other.get("/api/v1/vendor-products/999999/sboms").status_code == 404
    assert not Sbom.objects.exists()
