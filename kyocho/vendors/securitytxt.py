"""Reading a developer's security.txt (RFC 9116) to prefill its registration.

The file is pasted or uploaded, never fetched: kyocho makes no network requests on a developer's
behalf, so an ``Encryption:`` URI is recorded as given. When the file carries an OpenPGP cleartext
signature, only the signed part is read, and the signature is checked with the real ``gpg`` against
the keys the caller says belong to the developer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput
from kyocho.vendors.keys import throwaway_gpg

SIZE_LIMIT = 32_000  # characters; real files are a few hundred bytes
SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_HEADER = "-----BEGIN PGP SIGNATURE-----"
# Fields RFC 9116 allows once; the others may repeat.
SINGLE_FIELDS = {"expires", "preferred-languages"}
_FIELD = re.compile(r"^(?P<name>[A-Za-z0-9-]+):[ \t]*(?P<value>.*?)[ \t]*$")
_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
Reader = Callable[[str, "SecurityTxt"], None]


class SignatureStatus(models.TextChoices):
    UNSIGNED = "unsigned", gettext_lazy("Not signed")
    VERIFIED = "verified", gettext_lazy("Signed by one of the developer's keys")
    UNKNOWN_KEY = "unknown_key", gettext_lazy("Signed with a key the developer has not registered")
    BAD = "bad", gettext_lazy("Bad signature: the text was changed after signing")


@dataclass
class SecurityTxt:
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    contact_urls: list[str] = field(default_factory=list)  # https contact forms
    policy_urls: list[str] = field(default_factory=list)
    encryption_uris: list[str] = field(default_factory=list)  # recorded, never fetched
    encryption_fingerprints: list[str] = field(default_factory=list)  # from openpgp4fpr: URIs
    languages: list[str] = field(default_factory=list)
    canonical_urls: list[str] = field(default_factory=list)
    acknowledgments_urls: list[str] = field(default_factory=list)
    hiring_urls: list[str] = field(default_factory=list)
    expires: dt.datetime | None = None
    expired: bool = False
    signature: str = SignatureStatus.UNSIGNED
    signer_fingerprint: str = ""
    problems: list[str] = field(default_factory=list)


def prefill_from_security_txt(text: str | bytes, *, known_keys: Iterable[str] = ()) -> SecurityTxt:
    """What a security.txt says, its problems, and whether one of ``known_keys`` (armoured public
    keys of the developer) signed it. Only an unusable input (not text, too large) raises."""
    clean = _checked_text(text)
    result = SecurityTxt()
    if SIGNED_HEADER in clean:
        body = _signed_body(clean, result)
        result.signature, result.signer_fingerprint = verify_signature(clean, known_keys)
    else:
        body = clean
    _read_fields(body, result)
    return result


def verify_signature(text: str, known_keys: Iterable[str]) -> tuple[str, str]:
    """(SignatureStatus, signer's primary key fingerprint) of a cleartext-signed text."""
    with throwaway_gpg() as gpg:
        for armored in known_keys:
            gpg.import_keys(armored)
        verified = gpg.verify(text)
    if verified.valid:
        return SignatureStatus.VERIFIED, (verified.pubkey_fingerprint or verified.fingerprint or "").upper()
    if verified.status == "no public key":
        return SignatureStatus.UNKNOWN_KEY, ""
    return SignatureStatus.BAD, ""


def _checked_text(text: object) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInput(_("security.txt must be UTF-8 text."), field="security_txt") from error
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(_("Paste or upload the security.txt file."), field="security_txt")
    if len(text) > SIZE_LIMIT:
        raise InvalidInput(
            _("This security.txt is too large (at most %(limit)d characters).") % {"limit": SIZE_LIMIT},
            field="security_txt",
        )
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _signed_body(text: str, result: SecurityTxt) -> str:
    """The signed part of a cleartext signature (RFC 4880 §7): after the armour headers, before the
    signature, with dash-escaping undone."""
    after_header = text.split(SIGNED_HEADER, 1)[1]
    _headers, _blank, rest = after_header.lstrip("\n").partition("\n\n")
    body, found, _signature = rest.partition(SIGNATURE_HEADER)
    if not found:
        result.problems.append(_("The file starts a signed message but holds no signature."))
    return "\n".join(line[2:] if line.startswith("- ") else line for line in body.split("\n"))


def _read_fields(body: str, result: SecurityTxt) -> None:
    seen: dict[str, int] = {}
    for number, line in enumerate(body.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FIELD.match(line)
        if match is None:
            result.problems.append(_("Line %(number)d is not a “Field: value” line.") % {"number": number})
            continue
        name, value = match["name"].lower(), match["value"]
        seen[name] = seen.get(name, 0) + 1
        if name in SINGLE_FIELDS and seen[name] > 1:
            result.problems.append(
                _("“%(field)s” appears more than once; only the first is used.") % {"field": match["name"]}
            )
            continue
        reader = _READERS.get(name)
        if reader is not None:
            reader(value, result)
    _check_required(seen, result)


def _check_required(seen: dict[str, int], result: SecurityTxt) -> None:
    if "contact" not in seen:
        result.problems.append(_("The file has no “Contact” field; RFC 9116 requires at least one."))
    if "expires" not in seen:
        result.problems.append(_("The file has no “Expires” field; RFC 9116 requires one."))


# One reader per field.


def _contact(value: str, result: SecurityTxt) -> None:
    scheme = urlsplit(value).scheme.lower()
    if scheme == "mailto":
        _add_email(unquote(value[len("mailto:") :].split("?", 1)[0]), result)
    elif scheme == "tel":
        _add_unique(result.phones, value[len("tel:") :].strip())
    elif scheme == "https":
        _add_unique(result.contact_urls, value)
    elif "@" in value and not scheme:
        result.problems.append(
            _("Contact “%(value)s” should be written as a URI: mailto:%(value)s.") % {"value": value}
        )
        _add_email(value, result)
    else:
        result.problems.append(
            _("Contact “%(value)s” is not a mailto:, tel: or https: address; it was left out.") % {"value": value}
        )


def _add_email(address: str, result: SecurityTxt) -> None:
    try:
        validate_email(address)
    except ValidationError:
        result.problems.append(_("“%(value)s” is not a valid email address.") % {"value": address})
        return
    _add_unique(result.emails, address)


def _expires(value: str, result: SecurityTxt) -> None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        result.problems.append(
            _("“Expires: %(value)s” is not a date and time with a time zone (RFC 3339).") % {"value": value}
        )
        return
    result.expires = moment.astimezone(dt.UTC)
    if result.expires <= now():
        result.expired = True
        result.problems.append(
            _("This security.txt expired on %(date)s; ask the developer for a current one.")
            % {"date": result.expires.strftime("%Y-%m-%d %H:%M UTC")}
        )
    elif result.expires > now() + dt.timedelta(days=366):
        result.problems.append(_("“Expires” is more than a year away; RFC 9116 advises less."))


def _encryption(value: str, result: SecurityTxt) -> None:
    _add_unique(result.encryption_uris, value)
    if value.lower().startswith("openpgp4fpr:"):
        fingerprint = value.split(":", 1)[1].strip()
        if _FINGERPRINT.match(fingerprint):
            _add_unique(result.encryption_fingerprints, fingerprint.upper())
        else:
            result.problems.append(_("“%(value)s” is not an OpenPGP v4 fingerprint.") % {"value": value})


def _languages(value: str, result: SecurityTxt) -> None:
    for tag in value.split(","):
        if tag.strip():
            _add_unique(result.languages, tag.strip())


def _url_into(attribute: str) -> Reader:
    def read(value: str, result: SecurityTxt) -> None:
        if urlsplit(value).scheme.lower() != "https":
            result.problems.append(_("“%(value)s” is not an https:// address.") % {"value": value})
        _add_unique(getattr(result, attribute), value)

    return read


def _add_unique(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)


_READERS: dict[str, Reader] = {
    "contact": _contact,
    "expires": _expires,
    "encryption": _encryption,
    "preferred-languages": _languages,
    "policy": _url_into("policy_urls"),
    "canonical": _url_into("canonical_urls"),
    "acknowledgments": _url_into("acknowledgments_urls"),
    "hiring": _url_into("hiring_urls"),
}
