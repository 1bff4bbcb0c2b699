"""A small local stand-in for the CVE Services endpoints kyocho uses, for tests only.

The one stand-in the project allows (docs/cve-services.md): CVE Services is a remote service of the
CVE Program that tests cannot reach. It listens on a free loopback port in a thread and behaves like
the documented service for exactly these endpoints:

- ``GET  /api/org/{short_name}``                        the CNA's organisation (its UUID)
- ``POST /api/cve-id?amount=1&cve_year=Y&short_name=S``  reserve an id (quota, year, owner checked)
- ``POST /api/cve/{id}/cna``  ``{"cnaContainer": …}``    publish a record for a reserved id
- ``PUT  /api/cve/{id}/cna``  ``{"cnaContainer": …}``    replace a published record
- ``PUT  /api/cve-id/{id}?state=REJECTED``              reject a reserved id without a record

Every request must carry the CVE-API-ORG, CVE-API-USER and CVE-API-KEY headers (400 when one is
missing, 401 when they do not match); containers are validated against the CVE JSON 5 CNA schema
shipped in cvelib, as the service validates them; errors come as ``{"error": CODE, "message": …}``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cvelib.cve_api import CveRecord, CveRecordValidationError

ORG = "kyocho-test"
ORG_UUID = "9b3f1c0e-4d7a-4c55-9a8e-2f7f3c1b6a10"
USER = "cna-bot@kyocho.example"
API_KEY = "stand-in-api-key-not-a-secret"  # the stand-in's own test credential

_AUTH_HEADERS = ("CVE-API-ORG", "CVE-API-USER", "CVE-API-KEY")


@dataclass
class CveId:
    state: str  # RESERVED, PUBLISHED, REJECTED
    year: str
    record: dict[str, Any] | None = None


@dataclass
class StandIn:
    """What the stand-in holds and saw; tests read and steer it."""

    url: str = ""
    quota: int = 10
    next_number: int = 1000
    ids: dict[str, CveId] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # When set, the next reservation hands out this id (e.g. one another vulnerability already holds).
    next_id: str = ""

    def settings(self) -> dict[str, str]:
        return {"URL": self.url, "ORG": ORG, "USER": USER, "API_KEY": API_KEY}

    def reserved(self) -> list[str]:
        return [cve_id for cve_id, entry in self.ids.items() if entry.state == "RESERVED"]

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        for pattern_method, pattern, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match and pattern_method == method:
                return handler(self, query, body, *match.groups())
        return 404, _error("NOT_FOUND", f"{path} not found")


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def _show_org(service: StandIn, query: dict[str, str], body: Any, short_name: str) -> tuple[int, dict[str, Any]]:
    if short_name != ORG:
        return 404, _error("ORG_DNE_PARAM", f"The organization {short_name} does not exist.")
    return 200, {
        "name": "kyocho test CNA",
        "short_name": ORG,
        "UUID": ORG_UUID,
        "policies": {"id_quota": service.quota},
        "authority": {"active_roles": ["CNA"]},
    }


def _reserve(service: StandIn, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
    if query.get("short_name") != ORG:
        return 403, _error("ORG_CANNOT_RESERVE_FOR_OTHER", "Not allowed to reserve IDs for that organization.")
    if not re.fullmatch(r"[0-9]{4}", query.get("cve_year", "")):
        return 400, _error("NO_YEAR", "The cve_year query parameter is required [1999-present+1].")
    if query.get("amount") != "1" and "batch_type" not in query:
        return 400, _error("NO_BATCH_TYPE", "The batch_type query parameter must be specified.")
    if len(service.reserved()) >= service.quota:
        return 403, _error(
            "EXCEEDED_ID_QUOTA",
            "The amount requested would exceed the organization's ID quota.",
            details={"id_quota": service.quota, "available": 0},
        )
    year = query["cve_year"]
    cve_id = service.next_id or f"CVE-{year}-{service.next_number}"
    service.next_id, service.next_number = "", service.next_number + 1
    service.ids[cve_id] = CveId(state="RESERVED", year=year)
    reserved = {
        "cve_id": cve_id,
        "cve_year": year,
        "owning_cna": ORG,
        "state": "RESERVED",
        "requested_by": {"cna": ORG, "user": USER},
        "reserved": "2026-01-01T00:00:00.000Z",
    }
    return 200, {"cve_ids": [reserved], "meta": {"remaining_quota": service.quota - len(service.reserved())}}


def _container_problems(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not isinstance(body.get("cnaContainer"), dict):
        return _error("BAD_INPUT", 'The body must be {"cnaContainer": {...}}.')
    try:
        CveRecord.validate(body["cnaContainer"], CveRecord.Schemas.CNA_PUBLISHED)
    except CveRecordValidationError as error:
        return _error(
            "INVALID_JSON_SCHEMA",
            "CVE JSON schema validation FAILED.",
            details={"errors": [problem.message for problem in error.errors or []]},
        )
    return None


def _publish(service: StandIn, query: dict[str, str], body: Any, cve_id: str) -> tuple[int, dict[str, Any]]:
    entry = service.ids.get(cve_id)
    if entry is None:
        return 404, _error("CVE_ID_NOT_FOUND", f"{cve_id} not found")
    if entry.record is not None:
        return 403, _error("CVE_RECORD_EXISTS", "The requested CVE record already exists.")
    if entry.state != "RESERVED":
        return 403, _error("CVE_ID_NOT_RESERVED", f"{cve_id} is not in the RESERVED state.")
    problems = _container_problems(body)
    if problems:
        return 400, problems
    entry.state, entry.record = "PUBLISHED", body["cnaContainer"]
    return 200, {"message": f"{cve_id} record was successfully created.", "created": _full_record(cve_id, entry)}


def _update(service: StandIn, query: dict[str, str], body: Any, cve_id: str) -> tuple[int, dict[str, Any]]:
    entry = service.ids.get(cve_id)
    if entry is None or entry.record is None:
        return 404, _error("CVE_RECORD_DNE", "The requested CVE record does not exist.")
    problems = _container_problems(body)
    if problems:
        return 400, problems
    entry.record = body["cnaContainer"]
    return 200, {"message": f"{cve_id} record was successfully updated.", "updated": _full_record(cve_id, entry)}


def _change_state(service: StandIn, query: dict[str, str], body: Any, cve_id: str) -> tuple[int, dict[str, Any]]:
    entry = service.ids.get(cve_id)
    if entry is None:
        return 404, _error("CVE_ID_NOT_FOUND", f"{cve_id} not found")
    if query.get("state") != "REJECTED":
        return 400, _error("INVALID_STATE", f"State '{query.get('state')}' is invalid.")
    if entry.record is not None:
        return 403, _error(
            "CANNOT_CHANGE_CVE_ID_WITH_RECORD", f"A record was found for {cve_id}. A CVE ID cannot be changed."
        )
    entry.state = "REJECTED"
    updated = {"cve_id": cve_id, "cve_year": entry.year, "owning_cna": ORG, "state": "REJECTED"}
    return 200, {"message": f"{cve_id} was successfully updated.", "updated": updated}


def _full_record(cve_id: str, entry: CveId) -> dict[str, Any]:
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": cve_id, "assignerOrgId": ORG_UUID, "state": entry.state},
        "containers": {"cna": entry.record},
    }


Route = tuple[str, "re.Pattern[str]", Callable[..., tuple[int, dict[str, Any]]]]
_ROUTES: list[Route] = [
    ("GET", re.compile(r"/api/org/([^/]+)"), _show_org),
    ("POST", re.compile(r"/api/cve-id"), _reserve),
    ("POST", re.compile(r"/api/cve/(CVE-[0-9]{4}-[0-9]+)/cna"), _publish),
    ("PUT", re.compile(r"/api/cve/(CVE-[0-9]{4}-[0-9]+)/cna"), _update),
    ("PUT", re.compile(r"/api/cve-id/(CVE-[0-9]{4}-[0-9]+)"), _change_state),
]


def _handler_for(service: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name: self.headers.get(name, "") for name in _AUTH_HEADERS}
            service.requests.append({"method": method, "path": parts.path, "query": query, "body": body, **headers})
            status, answer = self._authorised(headers) or service.answer(method, parts.path, query, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _authorised(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
            for name, value in headers.items():
                if not value:
                    return 400, _error("BAD_REQUEST", f"{name} header field required.")
            if (headers["CVE-API-ORG"], headers["CVE-API-USER"], headers["CVE-API-KEY"]) != (ORG, USER, API_KEY):
                return 401, _error("UNAUTHORIZED", "Unauthorized")
            return None

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


@contextmanager
def cve_services_standin() -> Iterator[StandIn]:
    """A running stand-in on a free loopback port; ``StandIn.url`` is its CVE Services base address."""
    service = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(service))
    service.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    thread = threading.Thread(target=server.serve_forever, name="cve-services-standin", daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def unreachable_url() -> str:
    """A CVE Services address where nothing listens (a port just freed): every call is refused."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"
