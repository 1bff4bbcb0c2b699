"""Reading what developers give us about their products: CPE 2.3 names, purls and SBOM files.

Pure functions, no database: ``parse_sbom`` turns the bytes of a CycloneDX (JSON or XML, 1.4–1.6)
or SPDX 2.3 JSON file into a list of components, using the libraries made for those formats;
anything else is refused with an ``InvalidInput`` that says why.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # only for its ParseError; parsing goes through defusedxml
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_xml
from django.utils.translation import gettext as _
from packageurl import PackageURL

from kyocho.core.errors import InvalidInput
from kyocho.vendors.workflow import SbomFormat

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
CYCLONEDX_NAMESPACE = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(?P<version>[0-9.]+)\}bom$")
SPDX_VERSION = "SPDX-2.3"
# Lengths of the SbomComponent columns: a component that does not fit is refused, not cut.
MAX_PACKAGE = 400
MAX_PURL = 600
MAX_VERSION = 200
MAX_NAME = 300


# --- purl ---------------------------------------------------------------------------------------


def parse_purl(value: str, *, field: str = "purl") -> PackageURL:
    """A package URL, normalised per type by packageurl-python (pypi names lower-cased, …)."""
    try:
        purl = PackageURL.from_string((value or "").strip())
    except ValueError as error:
        raise InvalidInput(
            _("“%(value)s” is not a valid package URL (pkg:type/namespace/name@version).") % {"value": value},
            field=field,
        ) from error
    return purl


def package_key(purl: PackageURL) -> str:
    """The index key of a purl: type, namespace and name only, so every version of a package meets.

    packageurl-python already applies the type rules (pypi, github, … lower-case their names); the
    types that are case-insensitive in practice but not in the library get lower-cased here."""
    namespace, name = purl.namespace, purl.name
    if purl.type in CASE_INSENSITIVE_TYPES:
        namespace, name = (namespace or "").lower() or None, name.lower()
    return PackageURL(type=purl.type, namespace=namespace, name=name).to_string()


# npm registry names are lower-case; deb, apk, rpm, golang, composer … lower-case by the purl spec.
CASE_INSENSITIVE_TYPES = frozenset(
    {"npm", "pypi", "deb", "apk", "alpm", "bitbucket", "github", "golang", "composer", "hex", "luarocks"}
)


# --- CPE 2.3 formatted strings -------------------------------------------------------------------

CPE_ATTRIBUTES = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
ANY, NOT_APPLICABLE = "*", "-"
# One attribute value: the logical values, or unreserved/escaped characters with optional
# unescaped wildcards (* or a run of ?) only at its two ends (NISTIR 7695 §6.2).
_CPE_BODY = r"(?:[A-Za-z0-9._-]|\\[^A-Za-z0-9])"
_CPE_VALUE = re.compile(rf"^(?:\*|-|(?:\*|\?+)?{_CPE_BODY}+(?:\*|\?+)?)$")
_UNESCAPED_COLON = re.compile(r"(?<!\\)(?:\\\\)*:")


@dataclass(frozen=True)
class Cpe:
    """A parsed CPE 2.3 name; values keep their escaping and are compared case-insensitively."""

    values: tuple[str, ...]

    def __getattr__(self, attribute: str) -> str:
        try:
            return self.values[CPE_ATTRIBUTES.index(attribute)]
        except ValueError:
            raise AttributeError(attribute) from None

    def formatted(self) -> str:
        return "cpe:2.3:" + ":".join(self.values)


def _split_cpe(text: str) -> list[str]:
    parts, start = [], 0
    for match in _UNESCAPED_COLON.finditer(text):
        parts.append(text[start : match.end() - 1])
        start = match.end()
    parts.append(text[start:])
    return parts


def parse_cpe(value: str, *, field: str = "cpe") -> Cpe:
    """A CPE 2.3 formatted string (13 colon-separated fields, ``\\`` escapes); InvalidInput otherwise."""
    text = (value or "").strip()

    def refuse(reason: str) -> InvalidInput:
        return InvalidInput(
            _("“%(value)s” is not a CPE 2.3 name: %(reason)s") % {"value": value, "reason": reason}, field=field
        )

    if not text.lower().startswith("cpe:2.3:"):
        raise refuse(_("it must start with “cpe:2.3:”."))
    fields = _split_cpe(text)
    if len(fields) != 13:
        raise refuse(_("it must have 13 colon-separated fields, it has %(count)d.") % {"count": len(fields)})
    values = tuple(fields[2:])
    for attribute, attribute_value in zip(CPE_ATTRIBUTES, values, strict=True):
        if not _CPE_VALUE.match(attribute_value):
            raise refuse(_("the %(attribute)s field is malformed.") % {"attribute": attribute})
    if values[0].lower() not in {"a", "o", "h", ANY}:
        raise refuse(_("the part must be a (application), o (operating system) or h (hardware)."))
    if values[1] in {ANY, NOT_APPLICABLE} or values[2] in {ANY, NOT_APPLICABLE}:
        raise refuse(_("the vendor and the product must be named."))
    return Cpe(values)


# --- SBOM files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One component as stored: ``package`` is the purl index key ("" when there is no purl)."""

    name: str
    version: str
    purl: str
    package: str


@dataclass(frozen=True)
class ParsedSbom:
    format: str
    spec_version: str
    components: list[Component]


def _unsupported(message: str) -> InvalidInput:
    return InvalidInput(message, field="data")


def parse_sbom(data: bytes) -> ParsedSbom:
    """Detect the format of ``data`` and read its components; InvalidInput for anything unusable."""
    text = _decoded(data).lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return _parse_json(text)
    if text.startswith("<"):
        return _parse_cyclonedx_xml(text)
    if text.startswith("SPDXVersion") or "\nSPDXVersion:" in text[:4096]:
        raise _unsupported(_("SPDX tag-value files are not supported; upload SPDX 2.3 JSON or CycloneDX instead."))
    raise _unsupported(_("This is neither a CycloneDX (JSON or XML) nor an SPDX JSON file."))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _unsupported(_("The file is not UTF-8 text.")) from error


def _parse_json(text: str) -> ParsedSbom:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise _unsupported(_("The file is not valid JSON: %(error)s") % {"error": error}) from error
    if not isinstance(document, dict):
        raise _unsupported(_("The JSON file does not hold an SBOM document."))
    if document.get("bomFormat") == "CycloneDX":
        version = str(document.get("specVersion", ""))
        _require_cyclonedx_version(version)
        return ParsedSbom(SbomFormat.CYCLONEDX_JSON, version, _cyclonedx_components(_load_bom_json(document)))
    if "spdxVersion" in document:
        return _parse_spdx_json(document)
    raise _unsupported(_("The JSON file is neither a CycloneDX BOM nor an SPDX document."))


def _require_cyclonedx_version(version: str) -> None:
    if version not in CYCLONEDX_VERSIONS:
        raise _unsupported(
            _("CycloneDX %(version)s is not supported; supported versions: %(supported)s.")
            % {"version": version or "?", "supported": ", ".join(CYCLONEDX_VERSIONS)}
        )


def _library_refusal(error: Exception) -> InvalidInput:
    return _unsupported(_("The SBOM is malformed: %(error)s") % {"error": str(error)[:300] or type(error).__name__})


def _load_bom_json(document: dict[str, Any]) -> Any:
    from cyclonedx.model.bom import Bom

    try:
        return Bom.from_json(data=document)  # type: ignore[attr-defined]
    except Exception as error:  # the library raises whatever its deserialiser meets
        raise _library_refusal(error) from error


def _parse_cyclonedx_xml(text: str) -> ParsedSbom:
    from cyclonedx.model.bom import Bom

    try:
        root = safe_xml(text)
    except (ET.ParseError, DefusedXmlException) as error:
        raise _unsupported(_("The file is not valid XML: %(error)s") % {"error": error}) from error
    match = CYCLONEDX_NAMESPACE.match(root.tag)
    if not match:
        raise _unsupported(_("The XML file is not a CycloneDX BOM."))
    version = match["version"]
    _require_cyclonedx_version(version)
    try:
        bom = Bom.from_xml(data=root)  # type: ignore[attr-defined]
    except Exception as error:  # the library raises whatever its deserialiser meets
        raise _library_refusal(error) from error
    return ParsedSbom(SbomFormat.CYCLONEDX_XML, version, _cyclonedx_components(bom))


def _walk(components: Iterable[Any]) -> Iterator[Any]:
    """Components and their nested sub-components (CycloneDX assemblies)."""
    for component in components:
        yield component
        yield from _walk(component.components)


def _cyclonedx_components(bom: Any) -> list[Component]:
    return [
        _component(str(item.name or ""), str(item.version or ""), item.purl.to_string() if item.purl else "")
        for item in _walk(bom.components)
    ]


def _parse_spdx_json(document: dict[str, Any]) -> ParsedSbom:
    from spdx_tools.spdx.model import ExternalPackageRefCategory
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    version = str(document.get("spdxVersion"))
    if version != SPDX_VERSION:
        raise _unsupported(_("%(version)s is not supported; upload SPDX 2.3.") % {"version": version})
    try:
        spdx = JsonLikeDictParser().parse(document)
    except SPDXParsingError as error:
        raise _unsupported(
            _("The SPDX document is malformed: %(error)s") % {"error": "; ".join(error.get_messages())[:300]}
        ) from error
    except Exception as error:  # the parser raises more than its own error type on odd input
        raise _library_refusal(error) from error
    components = []
    for package in spdx.packages:
        purls = [
            ref.locator
            for ref in package.external_references
            if ref.category == ExternalPackageRefCategory.PACKAGE_MANAGER and ref.reference_type == "purl"
        ]
        version_text = package.version if isinstance(package.version, str) else ""
        for purl in purls or [""]:
            components.append(_component(package.name, version_text, purl))
    return ParsedSbom(SbomFormat.SPDX_JSON, "2.3", components)


def _component(name: str, version: str, purl_text: str) -> Component:
    """A stored component: the version from the purl when it has one, the index key from the purl."""
    package = ""
    if purl_text:
        purl = parse_purl(purl_text, field="data")
        version = purl.version or version
        package = package_key(purl)
        purl_text = purl.to_string()
    too_long = len(package) > MAX_PACKAGE or len(purl_text) > MAX_PURL or len(version) > MAX_VERSION
    if too_long or len(name) > MAX_NAME:
        raise _unsupported(_("A component's name, version or purl is too long: %(name)s") % {"name": name[:80]})
    return Component(name=name, version=version, purl=purl_text, package=package)
