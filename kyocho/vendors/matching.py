"""Finding the developers a vulnerability may affect (staff only; a queries module, it writes nothing).

Three kinds of evidence, strongest first:
- an SBOM component: a *current* SBOM of one of the developer's products holds the vulnerable
  package (purl) at a version inside the ``vers`` range;
- a CPE: one of the developer's products carries a CPE 2.3 name with the same vendor and product
  (and a compatible version);
- a keyword: one of the developer's technology keywords.
Components are found through the index on their package key, and each distinct version is tested
against the range once: the cost follows the number of versions of that package, not the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from packageurl import PackageURL
from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange

from kyocho.accounts import permissions
from kyocho.core.errors import InvalidInput, PermissionDenied
from kyocho.vendors.models import Product, Registration, SbomComponent
from kyocho.vendors.sbom import ANY, NOT_APPLICABLE, Cpe, package_key, parse_cpe, parse_purl
from kyocho.vendors.validation import clean_keywords
from kyocho.vendors.workflow import RegistrationStatus

SBOM, CPE, KEYWORD = "sbom", "cpe", "keyword"
# Schemes that apply to any package type; any other scheme must be the purl's own type.
UNTYPED_SCHEMES = frozenset({"generic", "all", "none", "intdot", "lexicographic", "datetime", "semver"})
# Developers no longer (or not) in the registry are not proposed.
GONE = (RegistrationStatus.REJECTED, RegistrationStatus.WITHDRAWN)
MAX_KEYWORDS = 20


@dataclass(frozen=True)
class Evidence:
    kind: str  # SBOM, CPE or KEYWORD
    product_id: int | None = None
    product: str = ""
    product_version: str = ""  # the product version whose SBOM holds the component
    component_purl: str = ""
    component_version: str = ""
    cpe: str = ""
    keyword: str = ""


@dataclass
class Candidate:
    organisation_id: int
    organisation: str
    registration_id: int
    evidence: list[Evidence] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for item in self.evidence if item.kind == kind)

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """SBOM evidence outranks CPE, which outranks keywords; then the more evidence the higher."""
        return (self.count(SBOM) > 0, self.count(CPE) > 0, self.count(KEYWORD) > 0, len(self.evidence))  # type: ignore[return-value]

    @property
    def strongest(self) -> str:
        return next(kind for kind in (SBOM, CPE, KEYWORD) if self.count(kind))


@dataclass(frozen=True)
class ComponentHit:
    """A component of a current SBOM that matched, with what the evidence shows of it."""

    registration_id: int
    product_id: int
    product: str
    product_version: str
    purl: str
    version: str


def find_candidates(
    actor: Any,
    *,
    purl: str | None = None,
    vers: str | None = None,
    cpe: str | None = None,
    keywords: str | Iterable[str] | None = None,
) -> list[Candidate]:
    """The developers matching any of the given inputs, best first, each with its evidence."""
    if not permissions.is_staff_member(actor):
        raise PermissionDenied(_("Only coordinators can look for affected developers."))
    package, version_range = parse_component_query(purl, vers)
    cpe_name = parse_cpe(cpe) if cpe and cpe.strip() else None
    words = parse_keywords(keywords)
    if not package and cpe_name is None and not words:
        raise InvalidInput(_("Give a purl (with an optional vers range), a CPE name or keywords."))
    evidence: dict[int, list[Evidence]] = {}
    if package:
        for hit in component_hits(package, version_range):
            evidence.setdefault(hit.registration_id, []).append(
                Evidence(
                    SBOM,
                    product_id=hit.product_id,
                    product=hit.product,
                    product_version=hit.product_version,
                    component_purl=hit.purl,
                    component_version=hit.version,
                )
            )
    if cpe_name is not None:
        for product in cpe_products(cpe_name):
            evidence.setdefault(product.registration_id, []).append(
                Evidence(CPE, product_id=product.pk, product=product.name, cpe=product.cpe)
            )
    for registration_id, keyword in keyword_hits(words):
        evidence.setdefault(registration_id, []).append(Evidence(KEYWORD, keyword=keyword))
    return _ranked(evidence)


def _ranked(evidence: dict[int, list[Evidence]]) -> list[Candidate]:
    registrations = Registration.objects.filter(pk__in=evidence).exclude(status__in=GONE).select_related("organisation")
    candidates = [
        Candidate(
            organisation_id=registration.organisation_id,
            organisation=registration.organisation.name,
            registration_id=registration.pk,
            evidence=evidence[registration.pk],
        )
        for registration in registrations
    ]
    candidates.sort(key=lambda candidate: candidate.organisation)
    candidates.sort(key=lambda candidate: candidate.rank, reverse=True)
    return candidates


# --- purl + vers ---------------------------------------------------------------------------------


def parse_component_query(purl: str | None, vers: str | None) -> tuple[str, VersionRange | None]:
    """The package key to look up and the range to test, from the user's purl and vers strings."""
    purl_text, vers_text = (purl or "").strip(), (vers or "").strip()
    if not purl_text:
        if vers_text:
            raise InvalidInput(_("A vers range needs the purl of the package it applies to."), field="purl")
        return "", None
    package = parse_purl(purl_text)
    return package_key(package), (parse_vers(vers_text, package) if vers_text else _exact_version(package))


def parse_vers(text: str, package: PackageURL) -> VersionRange:
    try:
        version_range = VersionRange.from_string(text)
    except Exception as error:  # univers raises ValueError, TypeError or its own errors
        raise InvalidInput(
            _("“%(vers)s” is not a vers range (for example vers:npm/>=1.0.0|<1.2.3): %(error)s")
            % {"vers": text, "error": error},
            field="vers",
        ) from error
    scheme = version_range.scheme
    if scheme not in UNTYPED_SCHEMES and scheme != package.type and package.type in RANGE_CLASS_BY_SCHEMES:
        raise InvalidInput(
            _("The vers scheme “%(scheme)s” does not fit a “%(type)s” package.")
            % {"scheme": scheme, "type": package.type},
            field="vers",
        )
    return version_range


def _exact_version(package: PackageURL) -> VersionRange | None:
    """A purl with a version and no range means exactly that version; without one, every version."""
    if not package.version:
        return None
    scheme = package.type if package.type in RANGE_CLASS_BY_SCHEMES else "generic"
    return parse_vers(f"vers:{scheme}/{package.version}", package)


def version_matcher(version_range: VersionRange | None) -> Any:
    """A function telling whether a version string is in the range, testing each distinct one once."""
    cache: dict[str, bool] = {}

    def matches(version: str) -> bool:
        if version_range is None:
            return True
        if version not in cache:
            cache[version] = _in_range(version, version_range)
        return cache[version]

    return matches


def _in_range(version: str, version_range: VersionRange) -> bool:
    if version_range.scheme in {"all", "none"}:  # vers:all/* and vers:none/* hold no version objects
        return version_range.scheme == "all"
    if not version:
        return False
    try:
        return version_range.version_class(version) in version_range  # type: ignore[misc]
    except Exception:  # a version the scheme cannot read is not evidence of anything
        return False


def component_hits(package: str, version_range: VersionRange | None) -> list[ComponentHit]:
    """Components of current SBOMs with this package key and a version inside the range."""
    in_current = SbomComponent.objects.filter(package=package, current=True)
    versions = set(in_current.values_list("version", flat=True).distinct())
    matches = version_matcher(version_range)
    wanted = [version for version in versions if matches(version)]
    if not wanted:
        return []
    rows = (
        in_current.filter(version__in=wanted)
        .values_list(
            "sbom__product__registration_id",
            "sbom__product_id",
            "sbom__product__name",
            "sbom__product_version",
            "purl",
            "version",
        )
        .order_by("sbom__product__name", "sbom__product_version", "pk")
    )
    return [ComponentHit(*row) for row in rows]


# --- CPE -----------------------------------------------------------------------------------------


def cpe_products(wanted: Cpe) -> list[Product]:
    """Products whose CPE has the same vendor and product, a compatible part and version."""
    needle = f":{wanted.vendor}:{wanted.product}:"
    found = Product.objects.filter(cpe__icontains=needle).order_by("name", "pk")
    return [product for product in found if _cpe_fits(wanted, parse_cpe(product.cpe))]


def _cpe_fits(wanted: Cpe, product: Cpe) -> bool:
    return all(
        _cpe_value_fits(getattr(wanted, attribute), getattr(product, attribute))
        for attribute in ("part", "vendor", "product", "version")
    )


def _cpe_value_fits(left: str, right: str) -> bool:
    """ANY or NA on either side fits; unescaped wildcards (``*``, ``?``) match like in a pattern."""
    if {left, right} & {ANY, NOT_APPLICABLE}:
        return True
    left, right = left.lower(), right.lower()
    return bool(_cpe_pattern(left).fullmatch(right) or _cpe_pattern(right).fullmatch(left))


def _cpe_pattern(value: str) -> re.Pattern[str]:
    pieces = re.findall(r"\\.|\*|\?|[^\\*?]+", value)
    regex = "".join(".*" if piece == "*" else "." if piece == "?" else re.escape(piece) for piece in pieces)
    return re.compile(regex)


# --- keywords ------------------------------------------------------------------------------------


def parse_keywords(keywords: str | Iterable[str] | None) -> list[str]:
    """The distinct words to look for, cleaned as a developer's own keywords are."""
    return clean_keywords(keywords, most=MAX_KEYWORDS)


def keyword_hits(words: list[str]) -> list[tuple[int, str]]:
    """(registration id, the developer's keyword) for each developer keyword equal to a wanted one."""
    if not words:
        return []
    wanted = {word.casefold() for word in words}
    hits = []
    for registration_id, registered in Registration.objects.exclude(status__in=GONE).values_list("pk", "keywords"):
        for keyword in registered if isinstance(registered, list) else []:
            if isinstance(keyword, str) and keyword.strip().casefold() in wanted:
                hits.append((registration_id, keyword.strip()))
    return hits
