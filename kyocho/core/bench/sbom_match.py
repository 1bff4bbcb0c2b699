"""``kyocho bench sbom-match``: matching one purl + vers range against a registry of N SBOM components.

The registry is built in a throw-away SQLite database (N components in N/100 products, one current
SBOM each, plus an outdated SBOM per product that must not count). Two ways to answer the same
question are timed: the indexed lookup ``find_candidates`` uses (package key → distinct versions →
rows), and a plain scan that reads every component and tests its purl and version in Python.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from kyocho.core.bench.base import Benchmark, Option, scratch_database

COMPONENTS_PER_PRODUCT = 100
PRODUCTS_PER_DEVELOPER = 10
TARGET = "pkg:npm/left-pad-ng"
TARGET_RANGE = "vers:npm/>=1.2.0|<1.4.7"
TARGET_SHARE = 0.01  # of products ship the vulnerable package, at some version
ECOSYSTEMS = ("npm", "pypi", "maven", "golang", "deb", "generic")
BATCH = 20_000
LOOKUP_REPEATS = 50


class Output(Protocol):
    def write(self, text: str, /) -> Any: ...


def run(components: int, out: Output, *, scan_repeats: int = 3, seed: int = 7) -> dict[str, Any]:
    """Build the registry, time both ways, print progress to ``out``; the figures as a dict."""
    if components < COMPONENTS_PER_PRODUCT:
        raise ValueError(f"use at least {COMPONENTS_PER_PRODUCT} components")
    with tempfile.TemporaryDirectory(prefix="kyocho-bench-") as directory, _scratch_database(Path(directory)):
        started = time.perf_counter()
        expected = _seed(components, random.Random(seed))  # noqa: S311 — test data, not secrets
        out.write(f"built {components} components in {time.perf_counter() - started:.1f} s\n")
        _lookup()  # the first run imports univers and fills SQLite's page cache: not what is measured
        lookup = _timings(_lookup, LOOKUP_REPEATS, expected)
        scan = _timings(_scan, scan_repeats, expected)
    p50, scan_p50 = statistics.median(lookup), statistics.median(scan)
    result = {
        "components": components,
        "p50_ms": round(p50, 2),
        "p95_ms": round(_percentile(lookup, 95), 2),
        "scan_p50_ms": round(scan_p50, 1),
        "speedup": round(scan_p50 / p50, 1) if p50 else None,
        "matches": expected,
    }
    return result


BENCHMARK = Benchmark(
    name="sbom-match",
    help="Match one purl + vers range against a registry of SBOM components in a throw-away SQLite database.",
    run=lambda *, components, scan_repeats, out: run(components, out, scan_repeats=scan_repeats),
    options=(
        Option("--components", int, 1_000_000, "SBOM components in the registry (default: %(default)s)."),
        Option("--scan-repeats", int, 3, "How often the plain scan is timed (default: %(default)s)."),
    ),
)


def _scratch_database(directory: Path) -> AbstractContextManager[None]:
    """A new SQLite file without a journal: the bench writes a million rows it never needs to recover."""
    return scratch_database(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(directory / "bench.sqlite3"),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"},
        }
    )


def _seed(components: int, rng: random.Random) -> int:
    """Write the registry; returns how many current components fall inside the benchmark's range."""
    from kyocho.accounts.models import Organisation
    from kyocho.accounts.roles import OrganisationKind
    from kyocho.vendors.models import Product, Registration, Sbom, SbomComponent
    from kyocho.vendors.workflow import RegistrationStatus, RegistrationType

    at = timezone.now()
    product_count = components // COMPONENTS_PER_PRODUCT
    developer_count = max(1, product_count // PRODUCTS_PER_DEVELOPER)
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Bench developer {i}", kind=OrganisationKind.PRODUCT_DEVELOPER)
            for i in range(developer_count)
        )
        registrations = Registration.objects.bulk_create(
            Registration(
                organisation=organisation,
                status=RegistrationStatus.LISTED,
                registration_type=RegistrationType.GENERAL,
                applied_at=at,
            )
            for organisation in organisations
        )
        products = Product.objects.bulk_create(
            Product(registration=registrations[i % developer_count], name=f"Bench product {i}")
            for i in range(product_count)
        )
        sboms = Sbom.objects.bulk_create(
            Sbom(
                product=product,
                product_version="1.0",
                format="cyclonedx-json",
                spec_version="1.6",
                sha256="0" * 64,
                uploaded_at=at,
                current=current,
            )
            for product in products
            for current in (False, True)
        )
    table = SbomComponent._meta.db_table
    insert = f"INSERT INTO {table} (sbom_id, package, version, purl, name, current) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 — table name from the model
    # Filling a table and indexing it afterwards is several times faster than keeping the index up to date.
    lookup_index = next(index for index in SbomComponent._meta.indexes if index.name == "sbom_component_package")
    with connection.schema_editor() as editor:
        editor.remove_index(SbomComponent, lookup_index)
    expected = 0
    rows: list[tuple[int, str, str, str, str, bool]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for index, sbom in enumerate(s for s in sboms if s.current):
            for row, in_range in _sbom_rows(sbom.pk, components // product_count, rng, index):
                rows.append(row)
                expected += in_range
                if len(rows) >= BATCH:
                    cursor.executemany(insert, rows)
                    rows.clear()
        # The outdated SBOMs all hold the vulnerable package at a vulnerable version: none may count.
        rows.extend((s.pk, TARGET, "1.3.0", f"{TARGET}@1.3.0", "left-pad-ng", False) for s in sboms if not s.current)
        cursor.executemany(insert, rows)
    with connection.schema_editor() as editor:
        editor.add_index(SbomComponent, lookup_index)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return expected


def _sbom_rows(
    sbom_id: int, count: int, rng: random.Random, index: int
) -> Iterator[tuple[tuple[int, str, str, str, str, bool], bool]]:
    pool = max(1000, count * 200)  # about 200 products share each package
    start = 1 if rng.random() < TARGET_SHARE else 0
    if start:
        version = f"1.{rng.randrange(0, 6)}.{rng.randrange(0, 10)}"
        yield (sbom_id, TARGET, version, f"{TARGET}@{version}", "left-pad-ng", True), _target_in_range(version)
    for _ in range(start, count):
        number = rng.randrange(pool)
        ecosystem = ECOSYSTEMS[number % len(ECOSYSTEMS)]
        package = (
            f"pkg:{ecosystem}/bench/package-{number}"
            if ecosystem in {"maven", "golang", "deb"}
            else f"pkg:{ecosystem}/package-{number}"
        )
        version = f"{rng.randrange(0, 5)}.{rng.randrange(0, 20)}.{rng.randrange(0, 10)}"
        yield (sbom_id, package, version, f"{package}@{version}", f"package-{number}", True), False


def _target_in_range(version: str) -> bool:
    major, minor, patch = (int(part) for part in version.split("."))
    return (1, 2, 0) <= (major, minor, patch) < (1, 4, 7)


def _lookup() -> int:
    """What ``find_candidates`` does for a purl + vers (minus ranking the few developers found)."""
    from kyocho.vendors.matching import component_hits, parse_component_query

    package, version_range = parse_component_query(TARGET, TARGET_RANGE)
    return len(component_hits(package, version_range))


def _scan() -> int:
    """Read every current component and test it in Python: what matching costs without the index."""
    from packageurl import PackageURL
    from univers.version_range import VersionRange

    from kyocho.vendors.models import SbomComponent
    from kyocho.vendors.sbom import package_key

    version_range = VersionRange.from_string(TARGET_RANGE)
    target = package_key(PackageURL.from_string(TARGET))
    found = 0
    for purl in SbomComponent.objects.filter(current=True).values_list("purl", flat=True).iterator(chunk_size=BATCH):
        parsed = PackageURL.from_string(purl)
        if package_key(parsed) == target and version_range.version_class(parsed.version) in version_range:
            found += 1
    return found


def _timings(measure: Callable[[], int], repeats: int, expected: int) -> list[float]:
    """Milliseconds per run; every run must find exactly the expected components."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = measure()
        timings.append((time.perf_counter() - started) * 1000)
        if found != expected:
            raise AssertionError(f"{measure.__name__} found {found} components, expected {expected}")
    return timings


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]
