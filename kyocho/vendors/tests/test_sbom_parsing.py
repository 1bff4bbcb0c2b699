"""Reading SBOM files, purls and CPE 2.3 names (no database)."""

from __future__ import annotations

import pytest

from kyocho.core.errors import InvalidInput
from kyocho.vendors.sbom import package_key, parse_cpe, parse_purl, parse_sbom
from kyocho.vendors.tests.registry_helpers import fixture_bytes

EXPECTED = {
    ("pkg:npm/lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
    (
        "pkg:maven/org.apache.logging.log4j/log4j-core",
        "2.14.1",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
    ),
    ("pkg:pypi/django", "4.2.1", "pkg:pypi/django@4.2.1"),
    ("pkg:deb/debian/openssl", "3.0.2-1", "pkg:deb/debian/openssl@3.0.2-1?arch=amd64"),
    ("", "1.0", ""),
}


@pytest.mark.parametrize(
    ("filename", "sbom_format", "spec"),
    [
        ("cyclonedx-1.4.json", "cyclonedx-json", "1.4"),
        ("cyclonedx-1.5.json", "cyclonedx-json", "1.5"),
        ("cyclonedx-1.6.json", "cyclonedx-json", "1.6"),
        ("cyclonedx-1.4.xml", "cyclonedx-xml", "1.4"),
        ("cyclonedx-1.5.xml", "cyclonedx-xml", "1.5"),
        ("cyclonedx-1.6.xml", "cyclonedx-xml", "1.6"),
        ("spdx-2.3.json", "spdx-json", "2.3"),
    ],
)
def test_every_supported_format_yields_its_components_nested_ones_included(filename, sbom_format, spec):
    parsed = parse_sbom(fixture_bytes(filename))
    assert (parsed.format, parsed.spec_version) == (sbom_format, spec)
    assert {(c.package, c.version, c.purl) for c in parsed.components} == EXPECTED
    assert len(parsed.components) == 5


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("cyclonedx-1.3.json", "CycloneDX 1.3 is not supported"),
        ("spdx-2.2.json", "SPDX-2.2 is not supported"),
        ("spdx-2.3.spdx", "tag-value files are not supported"),
        ("cyclonedx-1.5-malformed.json", "The SBOM is malformed"),
        ("spdx-2.3-malformed.json", "The SPDX document is malformed"),
    ],
)
def test_unsupported_and_malformed_files_are_refused_with_the_reason(filename, reason):
    with pytest.raises(InvalidInput, match=reason) as refusal:
        parse_sbom(fixture_bytes(filename))
    assert refusal.value.field == "data"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "does not hold an SBOM"),
        (b'{"name": "x"}', "neither a CycloneDX BOM nor an SPDX"),
        (b"<bom><unclosed></bom>", "not valid XML"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.2"/>', "CycloneDX 1.2 is not supported"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a CycloneDX BOM"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"hello", "neither a CycloneDX"),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "x", "purl": "pkg:"}]}',
            "The SBOM is malformed",
        ),
    ],
)
def test_broken_input_is_refused(data, reason):
    with pytest.raises(InvalidInput, match=reason):
        parse_sbom(data)


def test_xml_entities_are_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom xmlns="http://cyclonedx.org/schema/bom/1.5">&a;</bom>'
    with pytest.raises(InvalidInput, match="not valid XML"):
        parse_sbom(bomb)


@pytest.mark.parametrize(
    ("purl", "key"),
    [
        ("pkg:PyPI/Django_Rest@1.0", "pkg:pypi/django-rest"),
        ("pkg:npm/%40Angular/Core@16.0.0", "pkg:npm/%40angular/core"),
        ("pkg:maven/Org.Example/Lib@1.0?type=jar#sub", "pkg:maven/Org.Example/Lib"),
        ("pkg:golang/github.com/Gorilla/Mux@v1.8.0", "pkg:golang/github.com/gorilla/mux"),
        ("pkg:deb/debian/OpenSSL@3.0?arch=amd64", "pkg:deb/debian/openssl"),
        ("pkg:generic/Thing@1", "pkg:generic/Thing"),
    ],
)
def test_the_package_key_drops_version_qualifiers_subpath_and_case_where_the_type_ignores_it(purl, key):
    assert package_key(parse_purl(purl)) == key


@pytest.mark.parametrize("purl", ["", "lodash", "pkg:", "pkg:npm", "http://example.com"])
def test_malformed_purls_are_refused(purl):
    with pytest.raises(InvalidInput, match="not a valid package URL"):
        parse_purl(purl)


@pytest.mark.parametrize(
    "cpe",
    [
        "cpe:2.3:a:example:router_firmware:2.0:*:*:*:*:*:*:*",
        "cpe:2.3:o:example:os:-:*:*:*:*:*:*:*",
        "cpe:2.3:h:example:rt\\:100:1.0\\.2:*:*:ja:*:*:*:*",
        "cpe:2.3:a:example:web_server:2.4.*:*:*:*:*:*:*:*",
        "cpe:2.3:a:example:tool:??1:*:*:*:*:*:*:*",
    ],
)
def test_well_formed_cpe_names_are_accepted_with_their_escapes(cpe):
    parsed = parse_cpe(cpe)
    assert parsed.formatted() == cpe
    assert parsed.vendor == "example"


def test_an_escaped_colon_stays_inside_its_field():
    assert parse_cpe("cpe:2.3:h:example:rt\\:100:1.0:*:*:*:*:*:*:*").product == "rt\\:100"


@pytest.mark.parametrize(
    ("cpe", "reason"),
    [
        ("cpe:/a:example:router:2.0", "must start with"),
        ("cpe:2.3:a:example:router:2.0", "13 colon-separated fields, it has 6"),
        ("cpe:2.3:a:example:router:2.0:*:*:*:*:*:*:*:*", "it has 14"),
        ("cpe:2.3:x:example:router:2.0:*:*:*:*:*:*:*", "the part must be"),
        ("cpe:2.3:a:*:router:2.0:*:*:*:*:*:*:*", "vendor and the product must be named"),
        ("cpe:2.3:a:example:-:2.0:*:*:*:*:*:*:*", "vendor and the product must be named"),
        ("cpe:2.3:a:exa mple:router:2.0:*:*:*:*:*:*:*", "vendor field is malformed"),
        ("cpe:2.3:a:example:rou*ter:2.0:*:*:*:*:*:*:*", "product field is malformed"),
        ("cpe:2.3:a:example:router:2.0:*:*:*:*:*:*:", "other field is malformed"),
        ("cpe:2.3:a:example:router:1\\a:*:*:*:*:*:*:*", "version field is malformed"),
    ],
)
def test_malformed_cpe_names_are_refused_with_the_reason(cpe, reason):
    with pytest.raises(InvalidInput, match=reason) as refusal:
        parse_cpe(cpe)
    assert refusal.value.field == "cpe"
