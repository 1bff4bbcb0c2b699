"""Finding the affected developers: purl + vers across schemes, CPE, keywords, ranking."""

from __future__ import annotations

import pytest

from kyocho.core.errors import InvalidInput, PermissionDenied
from kyocho.vendors import products
from kyocho.vendors.matching import CPE, KEYWORD, SBOM, find_candidates
from kyocho.vendors.tests.registry_helpers import cyclonedx, product_with_sbom, registered
from kyocho.vendors.workflow import RegistrationStatus


@pytest.fixture
def registration(vendor_member):
    return registered(vendor_member, name="Vendor A", keywords=["Router", "OpenSSL"])


@pytest.fixture
def other_registration(other_vendor_member):
    return registered(other_vendor_member, name="Vendor B", keywords=["camera"])


def names(candidates):
    return [candidate.organisation for candidate in candidates]


# Each scheme: the component version stored, the range, and whether it must match.
SCHEME_CASES = [
    ("pkg:maven/org.apache.logging.log4j/log4j-core", "2.14.1", "vers:maven/>=2.0-beta9|<2.15.0", True),
    ("pkg:maven/org.apache.logging.log4j/log4j-core", "2.15.0", "vers:maven/>=2.0-beta9|<2.15.0", False),
    ("pkg:maven/org.apache.logging.log4j/log4j-core", "2.0-beta9", "vers:maven/>=2.0-beta9|<2.15.0", True),
    ("pkg:maven/org.apache.logging.log4j/log4j-core", "2.0-alpha1", "vers:maven/>=2.0-beta9|<2.15.0", False),
    ("pkg:npm/lodash", "4.17.20", "vers:npm/<4.17.21", True),
    ("pkg:npm/lodash", "4.17.21", "vers:npm/<4.17.21", False),
    ("pkg:npm/lodash", "1.0.0", "vers:npm/>=1.0.0|<1.2.3", True),
    ("pkg:npm/lodash", "1.2.3", "vers:npm/>=1.0.0|<1.2.3", False),
    ("pkg:pypi/django", "4.2.1", "vers:pypi/>=4.2|<4.2.2", True),
    ("pkg:pypi/django", "4.2.2", "vers:pypi/>=4.2|<4.2.2", False),
    ("pkg:pypi/django", "4.1", "vers:pypi/>=4.2|<4.2.2", False),
    ("pkg:deb/debian/openssl", "3.0.1-5", "vers:deb/<3.0.2-1", True),
    ("pkg:deb/debian/openssl", "3.0.2-1", "vers:deb/<3.0.2-1", False),
    ("pkg:deb/debian/openssl", "3.0.2-1", "vers:deb/<=3.0.2-1", True),
    ("pkg:golang/github.com/gorilla/mux", "v1.5.0", "vers:golang/>=v1.2.0|<v1.5.1", True),
    ("pkg:golang/github.com/gorilla/mux", "v1.5.1", "vers:golang/>=v1.2.0|<v1.5.1", False),
    ("pkg:golang/github.com/gorilla/mux", "v1.1.9", "vers:golang/>=v1.2.0|<v1.5.1", False),
    ("pkg:generic/busybox", "1.5", "vers:generic/>=1.0|<2.0", True),
    ("pkg:generic/busybox", "2.0", "vers:generic/>=1.0|<2.0", False),
    ("pkg:generic/busybox", "1.0", "vers:generic/>=1.0|<2.0", True),
    ("pkg:npm/lodash", "0.1.0", "vers:all/*", True),
]


@pytest.mark.parametrize(("package", "version", "vers", "expected"), SCHEME_CASES)
def test_a_component_matches_when_its_version_is_inside_the_range(
    registration, vendor_member, coordinator, package, version, vers, expected
):
    product_with_sbom(registration, vendor_member, (package, version), version="3.1")
    found = find_candidates(coordinator, purl=package, vers=vers)
    assert bool(found) is expected
    if expected:
        [evidence] = found[0].evidence
        assert (evidence.kind, evidence.product, evidence.product_version) == (SBOM, "Router", "3.1")
        assert evidence.component_version == version
        assert evidence.component_purl.startswith(package)


def test_the_purl_is_normalised_before_the_lookup(registration, vendor_member, coordinator):
    product_with_sbom(registration, vendor_member, ("pkg:pypi/django", "4.2.1"))
    assert names(find_candidates(coordinator, purl="pkg:PyPI/Django@4.2.1")) == ["Vendor A"]
    assert find_candidates(coordinator, purl="pkg:pypi/django@4.2.2") == []
    assert names(find_candidates(coordinator, purl="pkg:pypi/django")) == ["Vendor A"]  # every version


def test_only_current_sboms_count(registration, vendor_member, coordinator):
    product, _old = product_with_sbom(registration, vendor_member, ("pkg:npm/lodash", "4.17.20"), version="1.0")
    assert find_candidates(coordinator, purl="pkg:npm/lodash", vers="vers:npm/<4.17.21")
    products.upload_sbom(
        product.pk, product_version="1.0", data=cyclonedx(("pkg:npm/lodash", "4.17.21")), actor=vendor_member
    )
    assert find_candidates(coordinator, purl="pkg:npm/lodash", vers="vers:npm/<4.17.21") == []


def test_every_matching_component_is_evidence(registration, vendor_member, coordinator):
    product, _ = product_with_sbom(registration, vendor_member, ("pkg:npm/lodash", "4.17.19"), version="1.0")
    products.upload_sbom(
        product.pk, product_version="2.0", data=cyclonedx(("pkg:npm/lodash", "4.17.20")), actor=vendor_member
    )
    [candidate] = find_candidates(coordinator, purl="pkg:npm/lodash", vers="vers:npm/<4.17.21")
    assert sorted((e.product_version, e.component_version) for e in candidate.evidence) == [
        ("1.0", "4.17.19"),
        ("2.0", "4.17.20"),
    ]


def test_unreadable_versions_are_not_evidence(registration, vendor_member, coordinator):
    product_with_sbom(registration, vendor_member, ("pkg:npm/lodash", "not-a-version"))
    assert find_candidates(coordinator, purl="pkg:npm/lodash", vers="vers:npm/<4.17.21") == []


@pytest.mark.parametrize(
    ("wanted", "product_cpe", "expected"),
    [
        (
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            True,
        ),
        (
            "cpe:2.3:a:Vendor-A:Router_Firmware:2.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:*:*:*:*:*:*:*:*",
            True,
        ),
        (
            "cpe:2.3:a:vendor-a:router_firmware:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            True,
        ),
        (
            "cpe:2.3:a:vendor-a:router_firmware:2.*:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0.1:*:*:*:*:*:*:*",
            True,
        ),
        (
            "cpe:2.3:a:vendor-a:router_firmware:3.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            False,
        ),
        (
            "cpe:2.3:o:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            False,
        ),
        ("cpe:2.3:a:vendor-a:router:2.0:*:*:*:*:*:*:*", "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*", False),
        (
            "cpe:2.3:a:vendor-b:router_firmware:2.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor-a:router_firmware:2.0:*:*:*:*:*:*:*",
            False,
        ),
    ],
)
def test_cpe_matches_vendor_and_product_with_version_wildcards(
    registration, vendor_member, coordinator, wanted, product_cpe, expected
):
    products.add_product(registration.pk, name="Router firmware", cpe=product_cpe, actor=vendor_member)
    found = find_candidates(coordinator, cpe=wanted)
    assert bool(found) is expected
    if expected:
        assert [(e.kind, e.product, e.cpe) for e in found[0].evidence] == [(CPE, "Router firmware", product_cpe)]


def test_keywords_match_case_insensitively(registration, other_registration, coordinator):
    found = find_candidates(coordinator, keywords="openssl, CAMERA, nothing")
    assert names(found) == ["Vendor A", "Vendor B"]
    assert [(e.kind, e.keyword) for e in found[0].evidence] == [(KEYWORD, "OpenSSL")]
    assert find_candidates(coordinator, keywords=["router"])[0].organisation == "Vendor A"


def test_ranking_puts_sbom_before_cpe_before_keywords_then_more_evidence_first(
    registration, other_registration, vendor_member, other_vendor_member, coordinator
):
    # A: SBOM only; B: CPE and a keyword; C: two keywords; D: keyword only.
    product_with_sbom(registration, vendor_member, ("pkg:npm/lodash", "4.17.20"))
    products.add_product(
        other_registration.pk, name="Cam", cpe="cpe:2.3:a:lodash:lodash:*:*:*:*:*:*:*:*", actor=other_vendor_member
    )
    registered(name="Vendor C", keywords=["lodash", "camera"])
    registered(name="Vendor D", keywords=["lodash"])
    found = find_candidates(
        coordinator,
        purl="pkg:npm/lodash",
        vers="vers:npm/<4.17.21",
        cpe="cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:*:*:*",
        keywords="lodash, camera",
    )
    assert names(found) == ["Vendor A", "Vendor B", "Vendor C", "Vendor D"]
    assert [c.strongest for c in found] == [SBOM, CPE, KEYWORD, KEYWORD]
    assert [len(c.evidence) for c in found] == [1, 2, 2, 1]


def test_rejected_and_withdrawn_developers_are_not_proposed(coordinator):
    for status in (RegistrationStatus.REJECTED, RegistrationStatus.WITHDRAWN):
        registered(name=f"Gone {status}", keywords=["router"], status=status)
    assert find_candidates(coordinator, keywords="router") == []


@pytest.mark.parametrize("who", ["vendor_member", "partner", "reporter", "committee_member"])
def test_only_staff_may_look_for_candidates(registration, who, request):
    with pytest.raises(PermissionDenied):
        find_candidates(request.getfixturevalue(who), keywords="router")
    with pytest.raises(PermissionDenied):
        find_candidates(None, keywords="router")


def test_intake_staff_may_look_too(registration, intake_staff):
    assert names(find_candidates(intake_staff, keywords="router")) == ["Vendor A"]


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({}, None, "Give a purl"),
        ({"keywords": " , "}, None, "Give a purl"),
        ({"vers": "vers:npm/<1.0"}, "purl", "needs the purl"),
        ({"purl": "lodash"}, "purl", "not a valid package URL"),
        ({"purl": "pkg:npm/lodash", "vers": ">=1.0"}, "vers", "is not a vers range"),
        ({"purl": "pkg:npm/lodash", "vers": "vers:nosuch/1.0"}, "vers", "is not a vers range"),
        ({"purl": "pkg:npm/lodash", "vers": "vers:pypi/<1.0"}, "vers", "does not fit"),
        ({"cpe": "cpe:2.3:a:x"}, "cpe", "not a CPE 2.3 name"),
        ({"keywords": ",".join(f"k{i}" for i in range(21))}, "keywords", "at most 20"),
        ({"keywords": ["ok", 3]}, "keywords", "must be text"),
    ],
)
def test_bad_inputs_are_refused_with_the_field(coordinator, arguments, field, reason):
    with pytest.raises(InvalidInput, match=reason) as refusal:
        find_candidates(coordinator, **arguments)
    assert refusal.value.field == field
