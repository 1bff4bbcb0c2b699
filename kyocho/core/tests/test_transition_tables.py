"""Every (state, target) pair of every transition table: allowed ones pass, all others are refused
with a message that names the current state and what is allowed from it."""

from __future__ import annotations

import itertools

import pytest

from kyocho.advisories.workflow import ADVISORY
from kyocho.cases.workflow import CASE, CVE, PARTICIPATION, REVIEW
from kyocho.core.errors import TransitionNotAllowed
from kyocho.core.statedoc import all_tables, render_markdown
from kyocho.core.workflow import TransitionTable
from kyocho.disclosure.workflow import EMBARGO, EXTENSION
from kyocho.intake.workflow import REPORT
from kyocho.messaging.workflow import INBOUND

TABLES: list[TransitionTable] = all_tables()

# The spec's own words, pinned here so a change to a table is a deliberate change to this list too.
EXPECTED_ALLOWED = {
    REPORT: {
        ("received", "needs_info"), ("needs_info", "received"), ("received", "accepted"), ("received", "rejected"),
        ("received", "duplicate"), ("needs_info", "rejected"), ("received", "withdrawn"), ("needs_info", "withdrawn"),
        ("received", "spam"), ("needs_info", "spam"),
    },
    CASE: {("open", "coordinating"), ("coordinating", "published"), ("published", "closed"), ("open", "closed"), ("coordinating", "closed")},
    EMBARGO: {
        ("none", "proposed"), ("proposed", "active"), ("proposed", "none"), ("active", "revise"), ("revise", "active"),
        ("revise", "exited"), ("active", "exited"),
    },
    EXTENSION: {("pending", "accepted"), ("pending", "refused")},
    REVIEW: {("pending", "approved"), ("pending", "returned"), ("approved", "pending"), ("returned", "pending")},
    CVE: {
        ("none", "external"), ("none", "reserved"), ("external", "none"), ("reserved", "published"),
        ("reserved", "none"), ("published", "published"),
    },
    INBOUND: {
        ("received", "threaded"), ("received", "intake"), ("received", "bounce"), ("received", "duplicate"), ("received", "held"),
        ("held", "threaded"), ("held", "intake"), ("held", "handled"),
    },
    ADVISORY: {
        ("draft", "in_review"), ("in_review", "approved"), ("in_review", "draft"), ("approved", "scheduled"),
        ("approved", "draft"), ("scheduled", "published"), ("scheduled", "approved"), ("published", "published"),
        ("published", "withdrawn"),
    },
    PARTICIPATION: {
        ("identified", "notified"), ("identified", "closed"), ("notified", "acknowledged"), ("notified", "unreachable"),
        ("notified", "closed"), ("acknowledged", "closed"), ("acknowledged", "committee_review"),
        ("unreachable", "listed_name"), ("unreachable", "acknowledged"), ("unreachable", "closed"),
        ("listed_name", "listed_product"), ("listed_name", "acknowledged"), ("listed_name", "closed"),
        ("listed_product", "committee_review"), ("listed_product", "acknowledged"), ("listed_product", "closed"),
        ("committee_review", "publish_without_vendor"), ("committee_review", "hold"), ("committee_review", "acknowledged"),
        ("publish_without_vendor", "acknowledged"), ("publish_without_vendor", "closed"),
        ("hold", "committee_review"), ("hold", "acknowledged"), ("hold", "closed"),
    },
}  # fmt: skip


def all_pairs():
    for tbl in TABLES:
        for current, target in itertools.product(tbl.states.values, repeat=2):
            yield pytest.param(tbl, current, target, id=f"{tbl.states.__name__}:{current}->{target}")


@pytest.mark.parametrize(("tbl", "current", "target"), list(all_pairs()))
def test_every_pair(tbl: TransitionTable, current: str, target: str) -> None:
    allowed = target in tbl.targets(current)
    if tbl in EXPECTED_ALLOWED:
        assert allowed == ((current, target) in EXPECTED_ALLOWED[tbl])
    if allowed:
        tbl.check(current, target)
        return
    with pytest.raises(TransitionNotAllowed) as refused:
        tbl.check(current, target)
    assert f"({current})" in refused.value.message
    assert refused.value.http_status == 409
    for allowed_target in tbl.targets(current):
        assert f"({allowed_target})" in refused.value.message


def test_final_states_say_so() -> None:
    with pytest.raises(TransitionNotAllowed, match="is final"):
        REPORT.check("accepted", "received")


def test_a_table_must_cover_every_state() -> None:
    from kyocho.core.workflow import table
    from kyocho.intake.workflow import ReportStatus

    with pytest.raises(ValueError, match="no row for"):
        table("broken", ReportStatus, {ReportStatus.RECEIVED: set()})


def test_refusal_is_translated_to_japanese() -> None:
    from django.utils import translation

    with translation.override("ja"), pytest.raises(TransitionNotAllowed) as refused:
        CASE.check("closed", "open")
    assert "closed" in refused.value.message
    assert "cannot go" not in refused.value.message


def test_state_machine_document_matches_the_tables() -> None:
    from pathlib import Path

    document = Path(__file__).resolve().parents[3] / "docs" / "state-machines.md"
    assert document.read_text(encoding="utf-8") == render_markdown(), "run `kyocho statedoc > docs/state-machines.md`"
