"""Advisories built through the real actions."""

from __future__ import annotations

import copy
from typing import Any

from kyocho.accounts.models import User
from kyocho.advisories import actions
from kyocho.advisories.models import Advisory
from kyocho.cases.models import Case

CONTENT: dict[str, dict[str, str]] = {
    "ja": {"title": "テスト製品におけるクロスサイトスクリプティングの脆弱性", "overview": "概要です。"},
    "en": {"title": "Cross-site scripting in Test Product", "overview": "An overview."},
}
REFERENCES = [{"url": "https://example.com/advisory", "title": "Vendor advisory"}]


def content(**changes: Any) -> dict[str, dict[str, str]]:
    """CONTENT with ``ja_title=…`` style changes applied."""
    result = copy.deepcopy(CONTENT)
    for key, value in changes.items():
        language, section = key.split("_", 1)
        result[language][section] = value
    return result


def draft(case: Case, coordinator: User, **arguments: Any) -> Advisory:
    return actions.create_advisory(case.pk, content=CONTENT, references=REFERENCES, actor=coordinator, **arguments)


def approved(case: Case, coordinator: User, **arguments: Any) -> Advisory:
    advisory = draft(case, coordinator, **arguments)
    actions.submit_for_review(advisory.pk, actor=coordinator)
    return actions.approve(advisory.pk, actor=coordinator)


def scheduled(case: Case, coordinator: User, **arguments: Any) -> Advisory:
    advisory = approved(case, coordinator, **arguments)
    return actions.schedule_advisory(advisory.pk, actor=coordinator)


def published(case: Case, coordinator: User, **arguments: Any) -> Advisory:
    advisory = approved(case, coordinator, **arguments)
    return actions.publish_now(advisory.pk, actor=coordinator)
