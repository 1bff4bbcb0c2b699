"""Posting the public report forms as a browser would, for the form, tracking and attachment tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kyocho.intake.models import Report

FORM_DATA: dict[str, Any] = {
    "reporter_name": "Hanako Finder",
    "reporter_email": "hanako@finder.example",
    "credit": "name",
    "product_name": "Example Router RT-500",
    "developer_name": "Example Networks",
    "site_url": "https://shop.example.jp/",
    "description": "The admin page reflects a crafted Host header into a script.",
    "found_lawfully": "on",
    "already_public": "no",
    "exploited": "unknown",
}
SLUGS = ("software", "web", "self")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def post_report(client: Client, slug: str = "software", **changes: Any) -> Any:
    """Post the form; a change of None leaves that field out."""
    data = {**FORM_DATA, **changes}
    return client.post(f"/report/{slug}/", {name: value for name, value in data.items() if value is not None})


def submit_and_track(client: Client, slug: str = "software", **changes: Any) -> tuple[Report, str]:
    """Submit anonymously and follow the acknowledgement; returns the report and its tracking path."""
    response = post_report(client, slug, **changes)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    start = page.index('id="tracking-link" href="') + len('id="tracking-link" href="')
    link = page[start : page.index('"', start)]
    path = link.removeprefix("http://testserver")
    return Report.objects.get(reference=Report.objects.latest("pk").reference), path
