"""Vulnerabilities through the API: computed scores, what each caller may read (developer A never sees
developer B's products), coordinator-only writes, SSVC and CVE Services (against the local stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.cases import actions as cases
from kyocho.cases.cve_testing import StandIn, cve_services_standin
from kyocho.conftest import coordinating_case, submit_test_report

pytestmark = pytest.mark.django_db

V31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Any:
    return coordinating_case(coordinator, vendor_org, other_vendor_org)


@pytest.fixture
def vulnerability(case: Any, coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Any:
    vulnerability = cases.add_vulnerability(
        case.pk,
        title="Stored XSS",
        description="The status page shows the device name unescaped.",
        cvss31_vector=V31,
        affected=[
            {"product": "Router A", "versions": "< 2.0", "organisation_id": vendor_org.pk},
            {"product": "Camera B", "versions": "< 3.0", "organisation_id": other_vendor_org.pk},
            {"product": "Shared library"},
        ],
        references=[{"url": "https://example.com/advisory"}],
        actor=coordinator,
    )
    cases.record_vulnerability_ssvc(
        vulnerability.pk,
        decision="coordinator_publish",
        inputs={"supplier_involvement": "cooperative", "exploitation": "none", "public_value_added": "precedence"},
        actor=coordinator,
    )
    return vulnerability


def test_coordinator_adds_one_and_reads_computed_scores(case: Any, coordinator: User, vendor_org: Organisation) -> None:
    client = token_client(coordinator)
    response = client.post(
        f"/api/v1/cases/{case.pk}/vulnerabilities",
        {
            "title": "Stored XSS",
            "cwe": "CWE-79",
            "cvss31_vector": "CVSS:3.1/AC:L/AV:N/PR:L/UI:R/S:C/C:L/I:L/A:N",
            "cvss40_vector": V40,
            "affected": [{"product": "Router A", "versions": "< 2.0", "organisation_id": vendor_org.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = json_of(response)
    assert body["cvss31"] == {"vector": V31, "base_score": 5.4, "severity": "medium"}
    assert body["cvss40"] == {"vector": V40, "base_score": 5.3, "severity": "medium"}
    assert body["cve_state"] == "none"
    listed = json_of(client.get(f"/api/v1/cases/{case.pk}/vulnerabilities"))
    assert [item["id"] for item in listed] == [body["id"]]


def test_scores_cannot_be_sent(case: Any, coordinator: User) -> None:
    response = token_client(coordinator).post(
        f"/api/v1/cases/{case.pk}/vulnerabilities",
        {"title": "t", "cvss31_base_score": 9.8},
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "t", "cwe": "79"}, "cwe", "CWE-79"),
        ({"title": "t", "cve_id": "CVE-1"}, "cve_id", "CVE-2026-12345"),
        ({"title": "t", "cvss31_vector": "CVSS:3.1/AV:Q"}, "cvss31_vector", "This vector is not valid"),
        ({"title": "t", "cvss40_vector": "CVSS:4.0/AV:N"}, "cvss40_vector", "Missing mandatory metrics"),
        ({"title": "t", "affected": [{"product": "p", "organisation_id": 999999}]}, "affected", "unknown"),
        ({"title": "t", "references": [{"url": "ftp://x"}]}, "references.0.url", "http"),
    ],
)
def test_bad_input_names_the_field_and_the_reason(
    case: Any, coordinator: User, body: dict[str, Any], field: str, words: str
) -> None:
    response = token_client(coordinator).post(
        f"/api/v1/cases/{case.pk}/vulnerabilities", body, content_type="application/json"
    )
    assert response.status_code == 400
    error = json_of(response)
    assert error["field"] == field
    assert words in error["message"]


def test_a_developer_reads_only_its_own_affected_products_and_no_ssvc(
    vulnerability: Any, vendor_member: User, other_vendor_member: User
) -> None:
    mine = json_of(token_client(vendor_member).get(f"/api/v1/vulnerabilities/{vulnerability.pk}"))
    assert [entry["product"] for entry in mine["affected"]] == ["Router A"]
    assert mine["ssvc"] is None
    assert mine["cvss31"]["base_score"] == 5.4
    theirs = json_of(token_client(other_vendor_member).get(f"/api/v1/cases/{vulnerability.case_id}/vulnerabilities"))
    assert [entry["product"] for entry in theirs[0]["affected"]] == ["Camera B"]
    assert "Router A" not in str(theirs)


def test_staff_and_partners_read_everything(
    vulnerability: Any, coordinator: User, partner: User, partner_org: Organisation
) -> None:
    cases.share_case_with_partner(vulnerability.case_id, organisation_id=partner_org.pk, actor=coordinator)
    for reader in (coordinator, partner):
        body = json_of(token_client(reader).get(f"/api/v1/vulnerabilities/{vulnerability.pk}"))
        assert [entry["product"] for entry in body["affected"]] == ["Router A", "Camera B", "Shared library"]
        assert body["ssvc"]["coordinator_publish"]["outcome"] == "publish"


def test_outsiders_and_reporters_get_404_alike(vulnerability: Any, coordinator: User, reporter: User) -> None:
    from kyocho.accounts.roles import OrganisationKind
    from kyocho.conftest import make_member, make_organisation

    outsider = make_member(
        "psirt@vendor-c.example", make_organisation("Vendor C", OrganisationKind.PRODUCT_DEVELOPER), "vendor_member"
    )
    report = submit_test_report(reporter=reporter)
    from kyocho.intake import actions as intake

    intake.accept_report(report.pk, actor=coordinator, case_id=vulnerability.case_id)
    for caller in (outsider, reporter):
        client = token_client(caller)
        hidden = client.get(f"/api/v1/vulnerabilities/{vulnerability.pk}")
        missing = client.get(f"/api/v1/vulnerabilities/{vulnerability.pk + 1000}")
        assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content) == (404, missing.content)
        assert client.get(f"/api/v1/cases/{vulnerability.case_id}/vulnerabilities").status_code == 404


def test_developers_cannot_write(vulnerability: Any, vendor_member: User, other_vendor_member: User) -> None:
    client = token_client(vendor_member)
    patch = client.patch(f"/api/v1/vulnerabilities/{vulnerability.pk}", {"title": "x"}, content_type="application/json")
    assert patch.status_code == 403
    ssvc = client.post(
        f"/api/v1/vulnerabilities/{vulnerability.pk}/ssvc",
        {"decision": "supplier", "inputs": {}},
        content_type="application/json",
    )
    assert ssvc.status_code == 400  # the inputs are checked before anyone's rights: nothing is learnt
    assert client.post(f"/api/v1/vulnerabilities/{vulnerability.pk}/cve/reserve").status_code == 403
    other = token_client(other_vendor_member)  # also notified in the case: sees it, may not change it
    assert (
        other.patch(
            f"/api/v1/vulnerabilities/{vulnerability.pk}", {"title": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_update_and_ssvc(vulnerability: Any, coordinator: User) -> None:
    client = token_client(coordinator)
    patched = json_of(
        client.patch(
            f"/api/v1/vulnerabilities/{vulnerability.pk}",
            {"cvss31_vector": "", "description_ja": "説明"},
            content_type="application/json",
        )
    )
    assert (patched["cvss31"], patched["description_ja"], patched["title"]) == (None, "説明", "Stored XSS")
    inputs = {
        "exploitation": "active",
        "utility": "laborious",
        "technical_impact": "partial",
        "public_safety_impact": "minimal",
    }
    recorded = json_of(
        client.post(
            f"/api/v1/vulnerabilities/{vulnerability.pk}/ssvc",
            {"decision": "supplier", "inputs": inputs},
            content_type="application/json",
        )
    )
    assert recorded["ssvc"]["supplier"]["outcome"] == "out_of_cycle"
    bad = client.post(
        f"/api/v1/vulnerabilities/{vulnerability.pk}/ssvc",
        {"decision": "supplier", "inputs": {**inputs, "utility": "great"}},
        content_type="application/json",
    )
    assert (bad.status_code, json_of(bad)["field"]) == (400, "utility")


@pytest.fixture
def cve_services(settings: Any) -> Iterator[StandIn]:
    with cve_services_standin() as service:
        settings.KYOCHO = {**settings.KYOCHO, "CVE_SERVICES": service.settings()}
        yield service


def test_cve_reserve_publish_release(cve_services: StandIn, vulnerability: Any, coordinator: User) -> None:
    client = token_client(coordinator)
    reserved = json_of(client.post(f"/api/v1/vulnerabilities/{vulnerability.pk}/cve/reserve"))
    assert reserved["cve_state"] == "reserved" and reserved["cve_id"].startswith("CVE-")
    published = json_of(client.post(f"/api/v1/vulnerabilities/{vulnerability.pk}/cve/publish"))
    assert published["cve_state"] == "published"
    refused = client.post(f"/api/v1/vulnerabilities/{vulnerability.pk}/cve/release")
    assert refused.status_code == 409


def test_cve_services_failure_is_a_bad_gateway(cve_services: StandIn, vulnerability: Any, coordinator: User) -> None:
    cve_services.quota = 0
    response = token_client(coordinator).post(f"/api/v1/vulnerabilities/{vulnerability.pk}/cve/reserve")
    assert response.status_code == 502
    assert json_of(response)["code"] == "cve_services"
    assert "EXCEEDED_ID_QUOTA" in json_of(response)["message"]
