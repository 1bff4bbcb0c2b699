"""``kyocho bench case-page``: the staff case page and a developer's portal case page of a big case.

A throw-away SQLite database gets a case with N developers (each notified, with 3 products, answers
for 2 vulnerabilities and a statement waiting for review) and 2,000 messages in its conversations, all written through
kyocho's own actions; a second case with 10 developers, built the same way, gives the query count
at 10. Both pages are rendered in-process by Django's test client (the full middleware stack,
signed-in users with a second factor), and the time of each render is taken.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kyocho.core.bench.base import Benchmark, Option, Output, scratch_database, sqlite_in

VULNERABILITIES = 2
PRODUCTS = 3
MESSAGES = 2_000
SMALL_CASE = 10
WARM_UP = 3


def run(*, vendors: int, repeats: int, out: Output) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kyocho-bench-") as directory, scratch_database(sqlite_in(Path(directory))):
        from django.test import override_settings

        with override_settings(DATA_DIR=Path(directory), ALLOWED_HOSTS=["testserver"]):
            started = time.perf_counter()
            world = seed(vendors, out)
            small = seed(SMALL_CASE, out, messages=MESSAGES * SMALL_CASE // max(vendors, 1), world=world)
            out.write(f"seeded {vendors} + {SMALL_CASE} developers in {time.perf_counter() - started:.1f} s\n")
            staff = signed_in(world["coordinator"])
            portal = signed_in(world["developer"])
            staff_url = f"/staff/cases/{world['case'].reference}/"
            portal_url = f"/portal/cases/{world['case'].reference}/"
            staff_ms, staff_queries = measure(staff, staff_url, repeats)
            portal_ms, _portal_queries = measure(portal, portal_url, repeats)
            _small_ms, staff_queries_at_10 = measure(staff, f"/staff/cases/{small['case'].reference}/", WARM_UP)
    return {
        "vendors": vendors,
        "staff_p50_ms": round(statistics.median(staff_ms), 1),
        "portal_p50_ms": round(statistics.median(portal_ms), 1),
        "staff_queries": staff_queries,
        "staff_queries_at_10": staff_queries_at_10,
    }


def signed_in(user: Any) -> Client:
    """A client for ``user`` with a TOTP authenticator, so the MFA rule lets the pages open."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from kyocho.accounts.middleware import has_authenticator

    if not has_authenticator(user):
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    return client


def measure(client: Client, url: str, repeats: int) -> tuple[list[float], int]:
    """Milliseconds per render after warming up, and the queries of the last render."""
    for _ in range(WARM_UP):
        _get(client, url)
    timings = []
    queries = 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _get(client, url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return timings, queries


def _get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    b"".join(response) if response.streaming else response.content  # the whole body is rendered


def seed(
    developers: int, out: Output, *, messages: int = MESSAGES, world: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A coordinating case with ``developers`` notified developers, built through the actions."""
    from kyocho.accounts import actions as accounts
    from kyocho.accounts.roles import OrganisationKind, Role
    from kyocho.cases import actions as cases

    if world is None:
        team = accounts.create_organisation("Bench CERT", kind=OrganisationKind.COORDINATOR_TEAM, actor=None)
        coordinator = accounts.create_user("coordinator@bench.example", actor=None, password=None)
        accounts.add_member(team.pk, user_id=coordinator.pk, role=Role.COORDINATOR, actor=None)
        world = {"coordinator": coordinator, "count": 0}
    coordinator = world["coordinator"]
    case = cases.open_case(title=f"Bench case with {developers} developers", actor=coordinator)
    vulnerabilities = [
        cases.add_vulnerability(
            case.pk,
            title=f"Bench vulnerability {n}",
            cwe="CWE-79",
            cvss31_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            actor=coordinator,
        )
        for n in range(VULNERABILITIES)
    ]
    participations = []
    for n in range(developers):
        world["count"] += 1
        number = world["count"]
        organisation = accounts.create_organisation(
            f"Bench Developer {number:04d}", kind=OrganisationKind.PRODUCT_DEVELOPER, actor=None
        )
        participation = cases.add_participant(case.pk, organisation_id=organisation.pk, actor=coordinator)
        cases.notify_participant(participation.pk, actor=coordinator)
        participations.append(participation)
        if n == 0 and "developer" not in world:
            member = accounts.create_user(f"psirt{number}@bench.example", actor=None, password=None)
            accounts.add_member(organisation.pk, user_id=member.pk, role=Role.VENDOR_MEMBER, actor=None)
            world["developer"] = member
    _answer_everything(participations, vulnerabilities, coordinator)
    _talk(case, participations, coordinator, messages)
    out.write(f"case {case.reference}: {developers} developers\n")
    return {**world, "case": case}


def _answer_everything(participations: list[Any], vulnerabilities: list[Any], coordinator: Any) -> None:
    """Each developer acknowledged, answered for its 3 products in both vulnerabilities and wrote a
    statement (the coordinator records them on the developers' behalf, as the actions allow)."""
    from kyocho.cases import actions as cases
    from kyocho.cases import reviews

    for participation in participations:
        cases.acknowledge_participation(participation.pk, actor=coordinator)
        reviews.save_statement(
            participation.pk,
            text_ja="修正版を公開しました。",
            text_en="A fixed version is available.",
            references=["https://vendor.example/security"],
            actor=coordinator,
        )
        for vulnerability in vulnerabilities:
            for product in range(PRODUCTS):
                cases.record_answer(
                    participation.pk,
                    vulnerability_id=vulnerability.pk,
                    product=f"Product {product}",
                    status="affected" if product else "under_investigation",
                    actor=coordinator,
                )


def _talk(case: Any, participations: list[Any], coordinator: Any, messages: int) -> None:
    """``messages`` messages: half in the all-participants thread, half in developers' private threads."""
    from kyocho.cases import conversations

    group = conversations.open_thread(case.pk, kind="all_participants", actor=coordinator)
    threads = [group] + [
        conversations.open_thread(case.pk, kind="developer", organisation_id=p.organisation_id, actor=coordinator)
        for p in participations[: max(1, len(participations) // 5)]
    ]
    for n in range(messages):
        thread = group if n % 2 == 0 else threads[1 + n % (len(threads) - 1)] if len(threads) > 1 else group
        conversations.post_message(thread.pk, body=f"Bench message {n}: status update.", actor=coordinator)


BENCHMARK = Benchmark(
    name="case-page",
    help="Render the staff and portal pages of a case with many developers in a throw-away SQLite database.",
    run=run,
    options=(
        Option("--vendors", int, 500, "Developers in the case (default: %(default)s)."),
        Option("--repeats", int, 20, "Timed renders of each page (default: %(default)s)."),
    ),
)
