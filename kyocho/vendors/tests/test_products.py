"""Product and SBOM actions: who may act, validation, history, and the audit trail."""

from __future__ import annotations

import pytest

from kyocho.accounts.roles import Role
from kyocho.audit.models import AuditEvent
from kyocho.conftest import make_member
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.vendors import actions, products
from kyocho.vendors.models import Product, Registration, Sbom, SbomComponent
from kyocho.vendors.tests.registry_helpers import cyclonedx, fixture_bytes, registered

CPE = "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*"


@pytest.fixture
def registration(vendor_member):
    """``vendor_member`` applies for the developer, so is its vendor admin."""
    return registered(vendor_member)


@pytest.fixture
def product(registration, vendor_member):
    return products.add_product(
        registration.pk, name="Router", versions="1.x, 2.x", cpe=CPE, purl="pkg:npm/router", actor=vendor_member
    )


def last_event():
    return AuditEvent.objects.latest("seq")


def test_a_developer_member_adds_a_product_and_it_is_audited(product, vendor_member):
    assert (product.name, product.versions, product.cpe, product.purl) == ("Router", "1.x, 2.x", CPE, "pkg:npm/router")
    event = last_event()
    assert (event.name, event.actor_id, event.data["name"]) == ("vendors:product:added", vendor_member.pk, "Router")


def test_a_coordinator_may_add_a_product_for_a_developer(registration, coordinator):
    product = products.add_product(registration.pk, name="Camera", actor=coordinator)
    assert (product.cpe, product.purl, product.versions) == ("", "", "")


@pytest.mark.parametrize("who", ["other_vendor_member", "partner", "reporter", "anonymous"])
def test_anyone_else_is_told_the_developer_does_not_exist(registration, product, who, request):
    actor = None if who == "anonymous" else request.getfixturevalue(who)
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        products.add_product(registration.pk, name="Camera", actor=actor)
    with pytest.raises(NotFound):
        products.update_product(product.pk, name="Renamed", actor=actor)
    with pytest.raises(NotFound):
        products.remove_product(product.pk, actor=actor)
    with pytest.raises(NotFound):
        products.upload_sbom(product.pk, product_version="1.0", data=fixture_bytes("spdx-2.3.json"), actor=actor)
    assert AuditEvent.objects.count() == before
    assert Product.objects.get().name == "Router"
    assert not Sbom.objects.exists()


def test_a_member_of_the_developer_sees_but_may_not_change(registration, product):
    member = make_member("member@router.example", registration.organisation, Role.VENDOR_MEMBER)
    with pytest.raises(PermissionDenied):
        products.add_product(registration.pk, name="Camera", actor=member)
    with pytest.raises(PermissionDenied):
        products.update_product(product.pk, name="Renamed", actor=member)
    with pytest.raises(PermissionDenied):
        products.upload_sbom(product.pk, product_version="1.0", data=fixture_bytes("spdx-2.3.json"), actor=member)
    assert Product.objects.get().name == "Router"


def test_a_withdrawn_developer_changes_no_more(registration, product, vendor_member):
    actions.withdraw_registration(registration.pk, actor=vendor_member)
    with pytest.raises(Conflict):
        products.update_product(product.pk, name="Renamed", actor=vendor_member)
    with pytest.raises(Conflict):
        products.remove_product(product.pk, actor=vendor_member)
    with pytest.raises(Conflict):
        products.upload_sbom(
            product.pk, product_version="1.0", data=fixture_bytes("spdx-2.3.json"), actor=vendor_member
        )


def test_unknown_ids_are_not_found(vendor_member):
    with pytest.raises(NotFound):
        products.add_product(99999, name="X", actor=vendor_member)
    with pytest.raises(NotFound):
        products.update_product(99999, name="X", actor=vendor_member)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 301}, "name"),
        ({"name": "Router", "cpe": "cpe:/a:vendor:router"}, "cpe"),
        ({"name": "Router", "purl": "npm/router"}, "purl"),
        ({"name": "Router", "versions": 3}, "versions"),
    ],
)
def test_bad_product_fields_are_refused_and_nothing_is_written(registration, vendor_member, fields, field):
    with pytest.raises(InvalidInput) as refusal:
        products.add_product(registration.pk, actor=vendor_member, **fields)
    assert refusal.value.field == field
    assert not Product.objects.exists()


def test_update_changes_only_what_is_given_and_audits_the_difference(product, vendor_member):
    products.update_product(product.pk, purl="pkg:pypi/Router_Tool", actor=vendor_member)
    product.refresh_from_db()
    assert (product.name, product.cpe, product.purl) == ("Router", CPE, "pkg:pypi/router-tool")
    event = last_event()
    assert event.name == "vendors:product:updated"
    assert event.data == {"purl": {"from": "pkg:npm/router", "to": "pkg:pypi/router-tool"}}


def test_an_update_that_changes_nothing_is_not_audited(product, vendor_member):
    before = AuditEvent.objects.count()
    products.update_product(product.pk, name="Router", actor=vendor_member)
    assert AuditEvent.objects.count() == before


def test_an_update_may_clear_the_cpe(product, coordinator):
    products.update_product(product.pk, cpe="", actor=coordinator)
    product.refresh_from_db()
    assert product.cpe == ""


def test_removing_a_product_removes_its_sboms_and_is_audited(product, vendor_member):
    products.upload_sbom(
        product.pk, product_version="1.0", data=fixture_bytes("cyclonedx-1.6.xml"), actor=vendor_member
    )
    products.remove_product(product.pk, actor=vendor_member)
    assert not Product.objects.exists()
    assert not SbomComponent.objects.exists()
    event = last_event()
    assert (event.name, event.data["name"]) == ("vendors:product:removed", "Router")


def test_an_sbom_upload_stores_its_components_and_is_audited(product, vendor_member):
    sbom = products.upload_sbom(
        product.pk,
        product_version="2.0",
        data=fixture_bytes("spdx-2.3.json"),
        filename="router.spdx.json",
        actor=vendor_member,
    )
    assert (sbom.format, sbom.spec_version, sbom.current, sbom.component_count) == ("spdx-json", "2.3", True, 5)
    assert (sbom.filename, sbom.uploaded_by_id, len(sbom.sha256)) == ("router.spdx.json", vendor_member.pk, 64)
    stored = set(sbom.components.values_list("package", "version", "name"))
    assert ("pkg:npm/lodash", "4.17.20", "lodash") in stored
    assert ("", "1.0", "in-house-helper") in stored
    event = last_event()
    assert (event.name, event.data["sbom"], event.data["components"]) == ("vendors:sbom:uploaded", sbom.pk, 5)


def test_a_new_sbom_for_the_same_version_keeps_the_old_one_as_history(product, vendor_member):
    first = products.upload_sbom(
        product.pk, product_version="2.0", data=cyclonedx(("pkg:npm/a", "1.0")), actor=vendor_member
    )
    other_version = products.upload_sbom(
        product.pk, product_version="1.0", data=cyclonedx(("pkg:npm/a", "0.9")), actor=vendor_member
    )
    second = products.upload_sbom(
        product.pk, product_version="2.0", data=cyclonedx(("pkg:npm/a", "1.1")), actor=vendor_member
    )
    first.refresh_from_db()
    other_version.refresh_from_db()
    assert (first.current, other_version.current, second.current) == (False, True, True)
    assert first.components.get().version == "1.0"  # history keeps its components


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        ("text, not bytes", "uploaded as a file"),
        (fixture_bytes("cyclonedx-1.3.json"), "not supported"),
        (fixture_bytes("spdx-2.3-malformed.json"), "malformed"),
    ],
)
def test_a_refused_sbom_changes_nothing(product, vendor_member, data, reason):
    kept = products.upload_sbom(
        product.pk, product_version="2.0", data=fixture_bytes("cyclonedx-1.4.json"), actor=vendor_member
    )
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput, match=reason) as refusal:
        products.upload_sbom(product.pk, product_version="2.0", data=data, actor=vendor_member)
    assert refusal.value.field == "data"
    kept.refresh_from_db()
    assert kept.current
    assert Sbom.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_an_oversized_sbom_is_refused_before_it_is_read(product, vendor_member, settings):
    settings.KYOCHO = {**settings.KYOCHO, "SBOM_MAX_BYTES": 1024}
    data = fixture_bytes("cyclonedx-1.5.json")
    assert len(data) > 1024
    with pytest.raises(InvalidInput, match=r"too large \(\d+ bytes; the limit is 1024 bytes\)"):
        products.upload_sbom(product.pk, product_version="2.0", data=data, actor=vendor_member)
    assert not Sbom.objects.exists()


def test_the_product_version_is_required(product, vendor_member):
    with pytest.raises(InvalidInput) as refusal:
        products.upload_sbom(
            product.pk, product_version=" ", data=fixture_bytes("cyclonedx-1.5.json"), actor=vendor_member
        )
    assert refusal.value.field == "product_version"


def test_the_demo_gives_registered_developers_a_product_with_an_sbom_once(db):
    from kyocho import demo
    from kyocho.vendors.workflow import RegistrationStatus

    demo.seed()
    listed = Registration.objects.filter(organisation__name__endswith="(demo)", status=RegistrationStatus.LISTED)
    assert sorted(r.organisation.name for r in listed) == ["Example Router Co. (demo)", "Sample Firmware Inc. (demo)"]
    before = (Product.objects.count(), Sbom.objects.count(), SbomComponent.objects.count())
    for registration in listed:
        [console] = registration.products.filter(purl="pkg:npm/demo-console")
        assert console.sboms.filter(current=True).count() == 1
    demo.seed()
    assert (Product.objects.count(), Sbom.objects.count(), SbomComponent.objects.count()) == before
    assert sorted(SbomComponent.objects.values_list("version", flat=True)) == ["4.17.20", "4.17.21"]
