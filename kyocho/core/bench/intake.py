"""``kyocho bench intake``: anonymous reports submitted through ``POST /api/v1/reports``.

Several client threads submit for the given time over keep-alive connections; afterwards the stored
reports and their acknowledgement emails in the outbox are counted. ``lost`` counts acknowledged
submissions (201) whose report or acknowledgement is missing — it must be 0: once acknowledged, a
report is never lost.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kyocho.core.bench.base import Benchmark, Option, Output, Server, fresh_server

PATH = "/api/v1/reports"
# High enough never to refuse the bench's own traffic, which all comes from 127.0.0.1.
UNLIMITED = {"KYOCHO_API_REPORT_RATE_LIMIT": str(10**9), "KYOCHO_API_REPORT_RATE_WINDOW_SECONDS": "3600"}


def sample_report(client: int, number: int) -> bytes:
    return json.dumps(
        {
            "kind": "software",
            "reporter_name": f"Bench Finder {client}",
            "reporter_email": f"finder{client}@bench.example",
            "product_name": f"Bench Router RT-{number % 50}",
            "developer_name": "Bench Networks",
            "product_version": "1.0",
            "description": f"Report {client}-{number}: the admin page reflects the Host header into a script.",
            "reproduction": "1. Open /admin\n2. Send a crafted Host header.",
            "credit": "name",
            "found_lawfully": True,
        }
    ).encode()


@dataclass
class ClientTally:
    accepted: list[str] = field(default_factory=list)  # references acknowledged with 201
    refused: dict[int, int] = field(default_factory=dict)  # other statuses and how often
    failures: int = 0  # connection errors


def submit_until(server: Server, deadline: float, client: int, tally: ClientTally) -> None:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept-Language": "en", "Connection": "keep-alive"}
    number = 0
    while time.monotonic() < deadline:
        number += 1
        try:
            connection.request("POST", PATH, body=sample_report(client, number), headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            tally.failures += 1
            connection.close()
            continue
        if response.status == 201:
            tally.accepted.append(json.loads(body)["reference"])
        else:
            tally.refused[response.status] = tally.refused.get(response.status, 0) + 1
    connection.close()


def stored_and_acknowledged(database: Path) -> set[str]:
    """References of reports that exist and have their acknowledgement in the outbox."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT report.reference FROM intake_report AS report"
            " JOIN messaging_outboundemail AS email"
            " ON email.related = 'intake.report:' || report.id AND email.purpose = 'report:acknowledgement'"
        )
        return {reference for (reference,) in rows}


def run(*, seconds: float, clients: int, out: Output) -> dict[str, Any]:
    tallies = [ClientTally() for _ in range(clients)]
    with fresh_server(UNLIMITED) as server:
        out.write(f"Submitting reports to {server.url}{PATH} from {clients} clients for {seconds:g} s\n")
        started = time.monotonic()
        threads = [
            threading.Thread(target=submit_until, args=(server, started + seconds, client, tally))
            for client, tally in enumerate(tallies)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        server.stop()
        kept = stored_and_acknowledged(server.database)
    accepted = [reference for tally in tallies for reference in tally.accepted]
    refused: dict[int, int] = {}
    for tally in tallies:
        for status, count in tally.refused.items():
            refused[status] = refused.get(status, 0) + count
    if refused or any(tally.failures for tally in tallies):
        failures = sum(tally.failures for tally in tallies)
        out.write(f"Not accepted: {refused or 'none'}; connection failures: {failures}\n")
    return {
        "submitted": len(accepted),
        "per_second": round(len(accepted) / elapsed, 1),
        "lost": len(set(accepted) - kept),
    }


BENCHMARK = Benchmark(
    name="intake",
    help="Submit reports through POST /api/v1/reports against a fresh SQLite database.",
    run=run,
    options=(
        Option("--seconds", float, 30, "How long to run (default: %(default)s)."),
        Option("--clients", int, 8, "Client threads sending requests (default: %(default)s)."),
    ),
)
