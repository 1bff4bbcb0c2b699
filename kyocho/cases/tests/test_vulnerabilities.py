"""Vulnerabilities of a case: CWE, CVE and CVSS vectors validated; scores computed, never stored."""

from __future__ import annotations

import pytest

from kyocho.cases import actions
from kyocho.cases.models import Vulnerability
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.cases.workflow import CaseResolution
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"


def test_add_vulnerability(coordinator, case, vendor_org) -> None:
    with audited() as names:
        vulnerability = actions.add_vulnerability(
            case.pk,
            title=" Stored XSS ",
            description="In the admin page.",
            cwe="cwe-79",
            cvss31_vector=V31,
            cvss40_vector=V40,
            cve_id="cve-2026-12345",
            affected=[{"product": " Router X ", "versions": "< 2.1", "organisation_id": vendor_org.pk}],
            actor=coordinator,
        )
    assert names == ["case:vulnerability:added"]
    assert (vulnerability.title, vulnerability.cwe, vulnerability.cve_id) == ("Stored XSS", "CWE-79", "CVE-2026-12345")
    assert vulnerability.cvss31_vector == V31
    assert vulnerability.affected == [{"product": "Router X", "versions": "< 2.1", "organisation_id": vendor_org.pk}]
    assert last_event("case:vulnerability:added").data["cve_id"] == "CVE-2026-12345"
    # Nothing but the vectors is stored: there is no score column to type into.
    assert not [field.name for field in Vulnerability._meta.get_fields() if "score" in field.name]


def test_vectors_are_kept_in_canonical_order(coordinator, case) -> None:
    vulnerability = actions.add_vulnerability(
        case.pk, title="t", cvss31_vector="CVSS:3.1/AC:L/AV:N/PR:N/UI:R/S:C/C:L/I:L/A:N", actor=coordinator
    )
    assert vulnerability.cvss31_vector == V31


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "Title is required"),
        ("cwe", "79", "CWE-79"),
        ("cwe", "CWE-0", "CWE-79"),
        ("cve_id", "CVE-26-1", "CVE-2026-12345"),
        ("cve_id", "2026-12345", "CVE-2026-12345"),
        ("cvss31_vector", "CVSS:3.1/AV:X/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 'Unknown value "X"'),
        ("cvss31_vector", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/"),
        ("cvss40_vector", "CVSS:4.0/AV:N", "Missing mandatory metrics"),
        ("cvss40_vector", V31, "unsupported CVSS version"),
        ("affected", "Router X", "list"),
        ("affected", [{"name": "Router X"}], "Each affected product"),
        ("affected", [{"product": ""}], "Product is required"),
        ("affected", [{"product": "p", "organisation_id": "x"}], "not a valid id"),
        ("affected", [{"product": "p", "organisation_id": 999_999}], "unknown product developer"),
        ("description", None, "must be text"),
    ],
)
def test_add_vulnerability_bad_input(coordinator, case, field, value, message) -> None:
    arguments = {"title": "t", field: value}
    with audited() as names, pytest.raises(InvalidInput, match=message) as refused:
        actions.add_vulnerability(case.pk, actor=coordinator, **arguments)
    assert refused.value.field == field
    assert names == []


def test_description_none_means_unchanged_only_on_update(coordinator, case) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="t", description="d", actor=coordinator)
    updated = actions.update_vulnerability(vulnerability.pk, title="t2", description=None, actor=coordinator)
    assert (updated.title, updated.description) == ("t2", "d")


def test_same_cve_twice_in_a_case_is_refused(coordinator, case) -> None:
    actions.add_vulnerability(case.pk, title="a", cve_id="CVE-2026-1234", actor=coordinator)
    with pytest.raises(Conflict) as refused:
        actions.add_vulnerability(case.pk, title="b", cve_id="CVE-2026-1234", actor=coordinator)
    assert refused.value.field == "cve_id"


def test_add_vulnerability_permissions_and_closed_case(coordinator, case, vendor_member, partner) -> None:
    with pytest.raises(PermissionDenied):
        actions.add_vulnerability(case.pk, title="t", actor=vendor_member)
    with pytest.raises(NotFound):
        actions.add_vulnerability(case.pk, title="t", actor=partner)
    actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed"):
        actions.add_vulnerability(case.pk, title="t", actor=coordinator)


def test_update_vulnerability(coordinator, case) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="t", cvss31_vector=V31, actor=coordinator)
    with audited() as names:
        updated = actions.update_vulnerability(
            vulnerability.pk, cvss31_vector="", cve_id="CVE-2026-0001", cwe="CWE-352", actor=coordinator
        )
    assert names == ["case:vulnerability:updated"]
    assert (updated.cvss31_vector, updated.cve_id, updated.cwe) == ("", "CVE-2026-0001", "CWE-352")
    assert last_event("case:vulnerability:updated").data["fields"] == ["cve_id", "cvss31_vector", "cwe"]
    with audited() as names:
        actions.update_vulnerability(vulnerability.pk, cwe="CWE-352", actor=coordinator)
    assert names == []


def test_update_vulnerability_refusals(coordinator, case, vendor_member, other_vendor_member) -> None:
    first = actions.add_vulnerability(case.pk, title="a", cve_id="CVE-2026-1111", actor=coordinator)
    second = actions.add_vulnerability(case.pk, title="b", actor=coordinator)
    with pytest.raises(InvalidInput, match="Nothing to change"):
        actions.update_vulnerability(second.pk, actor=coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.update_vulnerability(second.pk, cvss40_vector="nonsense", actor=coordinator)
    assert refused.value.field == "cvss40_vector"
    with pytest.raises(Conflict):
        actions.update_vulnerability(second.pk, cve_id="CVE-2026-1111", actor=coordinator)
    actions.update_vulnerability(first.pk, cve_id="CVE-2026-1111", actor=coordinator)  # its own id is fine
    with pytest.raises(PermissionDenied):
        actions.update_vulnerability(second.pk, title="x", actor=vendor_member)
    with pytest.raises(NotFound):
        actions.update_vulnerability(second.pk, title="x", actor=other_vendor_member)
    with pytest.raises(NotFound):
        actions.update_vulnerability(999_999, title="x", actor=coordinator)


def test_japanese_description_and_references(coordinator, case) -> None:
    vulnerability = actions.add_vulnerability(
        case.pk,
        title="t",
        description_ja=" 日本語の説明 ",
        references=[{"url": "https://vendor.example/advisory", "title": "Advisory"}],
        actor=coordinator,
    )
    assert vulnerability.description_ja == "日本語の説明"
    assert vulnerability.references == [{"url": "https://vendor.example/advisory", "title": "Advisory"}]
    updated = actions.update_vulnerability(vulnerability.pk, references=[], actor=coordinator)
    assert updated.references == []


@pytest.mark.parametrize(
    ("references", "field"),
    [
        ("https://vendor.example", "references"),
        ([{"url": "javascript:alert(1)"}], "references.0.url"),
        ([{"url": "https://ok.example"}, {"link": "https://vendor.example"}], "references.1"),
    ],
)
def test_bad_references_are_refused(coordinator, case, references, field) -> None:
    with audited() as names, pytest.raises(InvalidInput) as refused:
        actions.add_vulnerability(case.pk, title="t", references=references, actor=coordinator)
    assert refused.value.field == field
    assert names == []


SUPPLIER = {
    "exploitation": "active",
    "utility": "super_effective",
    "technical_impact": "total",
    "public_safety_impact": "minimal",
}
PUBLISH = {"supplier_involvement": "cooperative", "exploitation": "none", "public_value_added": "precedence"}


def test_record_both_ssvc_decisions(coordinator, case) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="t", actor=coordinator)
    with audited() as names:
        actions.record_vulnerability_ssvc(vulnerability.pk, decision="supplier", inputs=SUPPLIER, actor=coordinator)
        recorded = actions.record_vulnerability_ssvc(
            vulnerability.pk, decision="coordinator_publish", inputs=PUBLISH, actor=coordinator
        )
    assert names == ["case:vulnerability:ssvc_recorded"] * 2
    recorded.refresh_from_db()
    assert recorded.ssvc["supplier"]["inputs"] == SUPPLIER
    assert recorded.ssvc["supplier"]["outcome"] == "immediate"
    assert recorded.ssvc["coordinator_publish"]["outcome"] == "publish"
    assert last_event("case:vulnerability:ssvc_recorded").data == {
        "vulnerability": vulnerability.pk,
        "decision": "coordinator_publish",
        "inputs": PUBLISH,
        "outcome": "publish",
    }
    # Recording again replaces that decision only.
    again = actions.record_vulnerability_ssvc(
        vulnerability.pk, decision="supplier", inputs={**SUPPLIER, "exploitation": "none"}, actor=coordinator
    )
    assert again.ssvc["supplier"]["outcome"] == "out_of_cycle"
    assert again.ssvc["coordinator_publish"]["outcome"] == "publish"


@pytest.mark.parametrize(
    ("decision", "inputs", "field"),
    [
        ("triage", SUPPLIER, "decision"),
        (None, SUPPLIER, "decision"),
        ("supplier", {**SUPPLIER, "utility": "high"}, "utility"),
        ("supplier", PUBLISH, "public_value_added"),  # the first input foreign to the table
        ("coordinator_publish", {**PUBLISH, "public_value_added": ""}, "public_value_added"),
        ("coordinator_publish", "publish", "inputs"),
    ],
)
def test_ssvc_inputs_outside_the_tables_are_refused(coordinator, case, decision, inputs, field) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="t", actor=coordinator)
    with audited() as names, pytest.raises(InvalidInput) as refused:
        actions.record_vulnerability_ssvc(vulnerability.pk, decision=decision, inputs=inputs, actor=coordinator)
    assert refused.value.field == field
    assert names == []
    vulnerability.refresh_from_db()
    assert vulnerability.ssvc == {}


def test_ssvc_permissions_and_closed_case(coordinator, case, vendor_member, other_vendor_member) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="t", actor=coordinator)
    with pytest.raises(PermissionDenied):
        actions.record_vulnerability_ssvc(vulnerability.pk, decision="supplier", inputs=SUPPLIER, actor=vendor_member)
    with pytest.raises(NotFound):
        actions.record_vulnerability_ssvc(
            vulnerability.pk, decision="supplier", inputs=SUPPLIER, actor=other_vendor_member
        )
    actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed"):
        actions.record_vulnerability_ssvc(vulnerability.pk, decision="supplier", inputs=SUPPLIER, actor=coordinator)
