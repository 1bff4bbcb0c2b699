"""The CVE JSON 5 CNA container: built from vulnerability data alone and valid against the schema in cvelib."""

from __future__ import annotations

import pytest

from kyocho.publishing.formats.cve import (
    AffectedProduct,
    CveVulnerability,
    Reference,
    affected_versions,
    cna_container,
    schema_problems,
)

ORG_ID = "9b3f1c0e-4d7a-4c55-9a8e-2f7f3c1b6a10"
FULL = CveVulnerability(
    title="Stored XSS in the device name",
    description_en="The status page shows the device name without escaping it.",
    description_ja="状態表示ページが機器名をエスケープせずに表示します。",
    cwe="CWE-79",
    cvss31_vector="CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
    cvss40_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
    affected=(
        AffectedProduct("Example Vendor A", "Router RT-500", "< 2.4.2"),
        AffectedProduct("", "Unattributed component", ""),
    ),
    references=(
        Reference("https://vendor-a.example/advisory/1", "Vendor advisory"),
        Reference("https://jvn.example/1"),
    ),
)
MINIMAL = CveVulnerability(
    title="t",
    description_en="d",
    description_ja="",
    cwe="",
    cvss31_vector="",
    cvss40_vector="",
    affected=(AffectedProduct("V", "P", "1.0"),),
    references=(Reference("https://example.com/a"),),
)


def test_a_full_container_is_valid() -> None:
    container = cna_container(FULL, provider_org_id=ORG_ID)
    assert schema_problems(container) == []
    assert [d["lang"] for d in container["descriptions"]] == ["en", "ja"]
    assert container["affected"][1] == {
        "vendor": "N/A",
        "product": "Unattributed component",
        "defaultStatus": "unknown",
    }
    assert container["references"][1] == {"url": "https://jvn.example/1"}
    v4, v31 = (metric for metric in container["metrics"])
    assert v4["cvssV4_0"] == {
        "version": "4.0",
        "vectorString": FULL.cvss40_vector,
        "baseScore": 5.3,
        "baseSeverity": "MEDIUM",
    }
    assert (v31["cvssV3_1"]["baseScore"], v31["cvssV3_1"]["baseSeverity"]) == (5.4, "MEDIUM")


def test_optional_parts_are_left_out() -> None:
    container = cna_container(MINIMAL, provider_org_id=ORG_ID)
    assert schema_problems(container) == []
    assert "metrics" not in container and "problemTypes" not in container
    assert container["descriptions"] == [{"lang": "en", "value": "d"}]


def test_schema_problems_name_what_is_wrong() -> None:
    container = cna_container(MINIMAL, provider_org_id=ORG_ID)
    container["references"] = []
    del container["providerMetadata"]
    problems = schema_problems(container)
    assert "'providerMetadata' is a required property" in problems
    assert "[] should be non-empty" in problems


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("", []),
        ("2.1.7", [{"version": "2.1.7", "status": "affected"}]),
        ("= 2.1.7", [{"version": "2.1.7", "status": "affected"}]),
        ("< 2.4.2", [{"version": "0", "lessThan": "2.4.2", "status": "affected", "versionType": "custom"}]),
        ("<=1.9", [{"version": "0", "lessThanOrEqual": "1.9", "status": "affected", "versionType": "custom"}]),
        (">= 1.0 < 1.4", [{"version": "1.0", "lessThan": "1.4", "status": "affected", "versionType": "custom"}]),
        (">= 3.0", [{"version": "3.0", "lessThan": "*", "status": "affected", "versionType": "custom"}]),
        (
            "< 1.2; 2.0, firmware before 2019",
            [
                {"version": "0", "lessThan": "1.2", "status": "affected", "versionType": "custom"},
                {"version": "2.0", "status": "affected"},
                {"version": "firmware before 2019", "status": "affected"},
            ],
        ),
    ],
)
def test_version_text_becomes_cve_version_entries(text: str, entries: list[dict[str, str]]) -> None:
    assert affected_versions(text) == entries
    if entries:
        product = AffectedProduct("V", "P", text)
        container = cna_container(
            CveVulnerability("t", "d", "", "", "", "", (product,), (Reference("https://example.com"),)),
            provider_org_id=ORG_ID,
        )
        assert schema_problems(container) == []
