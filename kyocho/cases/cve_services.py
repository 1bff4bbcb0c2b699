"""CVE Services, the CVE Program's API, reached through ``cvelib`` when this installation is a CNA.

Enabled only when all four settings are given (KYOCHO_CVE_SERVICES_URL, _ORG, _USER, _API_KEY or
_API_KEY_FILE; docs/cve-services.md). Every call here goes over the network: the actions call them
outside their database transactions. Failures become ``CveServicesError`` with a sentence a
coordinator can act on; the API key is only ever sent as CVE Services' own header, never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from cvelib.cve_api import CveApi, CveRecordValidationError
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from kyocho.core.errors import DomainError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class CveServicesError(DomainError):
    """CVE Services could not be reached or refused the request; nothing was changed in kyocho."""

    http_status = 502
    code = "cve_services"


@dataclass(frozen=True)
class Account:
    url: str
    org: str  # the CNA's short name
    user: str
    api_key: str = field(repr=False)


def account() -> Account | None:
    """The CNA account from the settings, or None unless every part is set."""
    config = settings.KYOCHO["CVE_SERVICES"]
    parts = {name: (config.get(name) or "").strip() for name in ("URL", "ORG", "USER", "API_KEY")}
    if not all(parts.values()):
        return None
    # cvelib joins paths to the base address: without the last slash "…/api" would lose its "api".
    url = parts["URL"] if parts["URL"].endswith("/") else parts["URL"] + "/"
    return Account(url=url, org=parts["ORG"], user=parts["USER"], api_key=parts["API_KEY"])


def enabled() -> bool:
    return account() is not None


def _client() -> CveApi:
    found = account()
    if found is None:
        raise CveServicesError(_("CVE Services is not configured on this installation."))
    return CveApi(username=found.user, org=found.org, api_key=found.api_key, url=found.url)


def reserve_id(year: int) -> str:
    """Reserve one CVE id of ``year`` for this CNA; the id."""
    client = _client()
    answer = _call("reserve", lambda: client.reserve(count=1, random=False, year=str(year)))
    try:
        return str(answer["cve_ids"][0]["cve_id"])
    except (KeyError, IndexError, TypeError) as error:
        logger.error("CVE Services answered a reservation without an id")
        raise CveServicesError(_("CVE Services answered without a CVE id.")) from error


def organisation_uuid() -> str:
    """The CNA's organisation id, which the record's providerMetadata names."""
    client = _client()
    answer = _call("show_org", client.show_org)
    uuid = answer.get("UUID") if isinstance(answer, dict) else None
    if not uuid:
        raise CveServicesError(_("CVE Services did not tell this CNA's organisation id."))
    return str(uuid)


def publish_record(cve_id: str, container: dict[str, Any], *, update: bool) -> None:
    """Publish the CNA container as the id's record, or replace the published one (``update``)."""
    client = _client()
    send = client.update_published if update else client.publish
    _call("update" if update else "publish", lambda: send(cve_id, container, validate=True))


def reject_id(cve_id: str) -> None:
    """Give back a reserved id that has no record (CVE Services marks it REJECTED)."""
    client = _client()
    _call("reject", lambda: client.move_to_rejected(cve_id))


def _call(operation: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except requests.HTTPError as error:
        raise _refusal(operation, error) from error
    except requests.RequestException as error:
        logger.warning("CVE Services %s: not reachable (%s)", operation, type(error).__name__)
        raise CveServicesError(_("CVE Services could not be reached; nothing was changed. Try again later.")) from error
    except CveRecordValidationError as error:
        raise CveServicesError(
            _("The CVE record does not follow the CVE JSON 5 schema: %(problems)s")
            % {"problems": "; ".join(sorted({problem.message for problem in error.errors or []}))}
        ) from error


def _refusal(operation: str, error: requests.HTTPError) -> CveServicesError:
    response = error.response
    status = response.status_code if response is not None else 0
    code, message = _error_of(response)
    logger.warning("CVE Services %s: HTTP %s %s", operation, status, code)
    if status == 401:
        return CveServicesError(
            _("CVE Services did not accept this installation's CNA user and API key; ask the operator to check them.")
        )
    if message:
        return CveServicesError(_("CVE Services refused (%(code)s): %(message)s") % {"code": code, "message": message})
    return CveServicesError(_("CVE Services refused the request (HTTP %(status)d).") % {"status": status})


def _error_of(response: requests.Response | None) -> tuple[str, str]:
    """CVE Services explains a refusal as ``{"error": CODE, "message": …}``."""
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("message") or "")


@checks.register()
def partly_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Some CVE Services settings without the others leave it switched off: say which are missing."""
    config = settings.KYOCHO["CVE_SERVICES"]
    missing = [f"KYOCHO_CVE_SERVICES_{name}" for name, value in config.items() if not (value or "").strip()]
    if not missing or len(missing) == len(config):
        return []
    return [
        checks.Warning(
            "CVE Services stays switched off until every setting is given; missing: " + ", ".join(missing),
            id="kyocho.W101",
        )
    ]
