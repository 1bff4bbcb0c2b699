"""Suggest reports and cases that may describe the same vulnerability as a report being triaged.

Each suggestion says what matched: the same product (names compared after normalising width, case,
punctuation and spacing, so "ＲＴ-500" and "rt 500" agree), the same developer, a CVE id both mention,
and how similar the texts are (Jaccard similarity of character trigrams: robust to word order and to
Japanese, which has no spaces between words, and needs no dependency). Scores are weights of these
signals; the ranking is by score, then by recency.

Only what the actor may see is considered (through ``intake.queries`` and ``cases.queries``), and
only the most recent candidates, so opening a report stays fast on a long-lived installation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from kyocho.cases import queries as case_queries
from kyocho.cases.models import Case
from kyocho.cases.workflow import CaseStatus
from kyocho.intake import queries
from kyocho.intake.models import Report
from kyocho.intake.workflow import ReportStatus

CANDIDATE_LIMIT = 500
SUGGESTION_LIMIT = 10
TEXT_SIMILARITY_THRESHOLD = 0.25
CVE_PATTERN = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.IGNORECASE)

WEIGHTS = {"cve": 5.0, "product": 3.0, "developer": 1.5, "text": 3.0}
REASON_LABELS = {
    "cve": _("same CVE id"),
    "product": _("same product"),
    "developer": _("same developer"),
    "text": _("similar description"),
}
LIVE_CASE_STATES = frozenset({CaseStatus.OPEN, CaseStatus.COORDINATING})


@dataclass(frozen=True)
class Evidence:
    """What is compared: normalised names, CVE ids, and the trigrams of the text."""

    products: frozenset[str]
    developers: frozenset[str]
    cves: frozenset[str]
    trigrams: frozenset[str]


@dataclass
class Suggestion:
    subject: Report | Case
    score: float
    reasons: list[str] = field(default_factory=list)
    text_similarity: float = 0.0
    matched_cves: list[str] = field(default_factory=list)

    @property
    def is_case(self) -> bool:
        return isinstance(self.subject, Case)

    @property
    def can_be_duplicate_target(self) -> bool:
        """A report can be deferred only to a live case (mark_duplicate refuses the others)."""
        return isinstance(self.subject, Case) and self.subject.status in LIVE_CASE_STATES

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[reason]) for reason in self.reasons]


def normalise_name(name: str) -> str:
    """Width, case, punctuation and spacing do not tell products apart."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(char for char in folded if char.isalnum())


def cve_ids(text: str) -> frozenset[str]:
    return frozenset(match.upper() for match in CVE_PATTERN.findall(unicodedata.normalize("NFKC", text)))


def trigrams(text: str) -> frozenset[str]:
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return frozenset(folded[index : index + 3] for index in range(max(len(folded) - 2, 0)))


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(name for name in map(normalise_name, values) if name)


def _report_text(report: Report) -> str:
    return "\n".join((report.description, report.reproduction, report.impact))


def _all_text(report: Report) -> str:
    return "\n".join((_report_text(report), report.public_references, report.product_name, report.developer_name))


def report_evidence(report: Report) -> Evidence:
    return Evidence(
        products=_names([report.product_name]),
        developers=_names([report.developer_name]),
        cves=cve_ids(_all_text(report)),
        trigrams=trigrams(_report_text(report)),
    )


def case_evidence(case: Case, reports: list[Report]) -> Evidence:
    """A case is known by its title and summary and by the reports accepted into it."""
    own_text = f"{case.title}\n{case.summary}"
    return Evidence(
        products=_names([report.product_name for report in reports]),
        developers=_names([report.developer_name for report in reports]),
        cves=cve_ids("\n".join([own_text, *(_all_text(report) for report in reports)])),
        trigrams=trigrams("\n".join([case.summary or case.title, *(_report_text(report) for report in reports)])),
    )


def compare(subject: Report | Case, wanted: Evidence, candidate: Evidence) -> Suggestion:
    suggestion = Suggestion(subject=subject, score=0.0)
    shared_cves = sorted(wanted.cves & candidate.cves)
    if shared_cves:
        suggestion.reasons.append("cve")
        suggestion.matched_cves = shared_cves
    if wanted.products & candidate.products:
        suggestion.reasons.append("product")
    if wanted.developers & candidate.developers:
        suggestion.reasons.append("developer")
    similarity = jaccard(wanted.trigrams, candidate.trigrams)
    suggestion.text_similarity = similarity
    if similarity >= TEXT_SIMILARITY_THRESHOLD:
        suggestion.reasons.append("text")
    suggestion.score = sum(WEIGHTS[reason] for reason in suggestion.reasons if reason != "text")
    if "text" in suggestion.reasons:
        suggestion.score += WEIGHTS["text"] * similarity
    return suggestion


def suggest_duplicates(actor: Any, report: Report, *, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """Reports and cases the actor may see that resemble ``report``, most alike first."""
    wanted = report_evidence(report)
    found = [
        suggestion
        for suggestion in (*_report_suggestions(actor, report, wanted), *_case_suggestions(actor, wanted))
        if suggestion.reasons
    ]
    found.sort(key=lambda suggestion: (-suggestion.score, -_recency(suggestion.subject)))
    return found[:limit]


def _report_suggestions(actor: Any, report: Report, wanted: Evidence) -> Iterable[Suggestion]:
    others = (
        queries.visible_reports(actor)
        .exclude(pk=report.pk)
        .exclude(status=ReportStatus.SPAM)
        .select_related("case")
        .order_by("-received_at", "-pk")[:CANDIDATE_LIMIT]
    )
    for other in others:
        yield compare(other, wanted, report_evidence(other))


def _case_suggestions(actor: Any, wanted: Evidence) -> Iterable[Suggestion]:
    cases = list(case_queries.visible_cases(actor).order_by("-created_at", "-pk")[:CANDIDATE_LIMIT])
    accepted: dict[int, list[Report]] = {case.pk: [] for case in cases}
    for accepted_report in queries.visible_reports(actor).filter(case__in=cases):
        accepted[accepted_report.case_id].append(accepted_report)  # type: ignore[index]
    for case in cases:
        yield compare(case, wanted, case_evidence(case, accepted[case.pk]))


def _recency(subject: Report | Case) -> float:
    moment = subject.received_at if isinstance(subject, Report) else subject.created_at
    return moment.timestamp()
