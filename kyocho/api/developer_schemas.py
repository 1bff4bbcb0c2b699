"""What the developer part of the API sends and accepts: a case as developers see it, answers,
statements, extension requests, and the coordinator's review."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from kyocho.api.schemas import CaseOut

AnswerStatusIn = Literal["under_investigation", "affected", "not_affected", "fixed"]


class AnswerIn(Schema):
    vulnerability_id: int
    product: str = Field(
        ..., max_length=200, description="A product named for you in the vulnerability, or another of yours."
    )
    status: AnswerStatusIn
    justification: str = Field(
        "",
        description="Only with not_affected, one of the CSAF/VEX justifications: component_not_present, "
        "vulnerable_code_not_present, vulnerable_code_not_in_execute_path, "
        "vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist.",
    )
    fixed_version: str = Field("", max_length=100, description="Only with fixed: the version that fixes it.")


class AnswersIn(Schema):
    answers: list[AnswerIn] = Field(..., description="One or many cells; all are saved, or none.")


class AnswerOut(Schema):
    id: int
    participation_id: int
    vulnerability_id: int
    product: str
    status: str
    justification: str
    fixed_version: str
    review_status: str = Field(..., description="pending, approved or returned.")
    review_comment: str
    reviewed_at: dt.datetime | None
    updated_at: dt.datetime


class CellOut(Schema):
    """One (vulnerability, product) cell of the answer grid; no answer yet is status no_response."""

    vulnerability_id: int
    product: str = Field(..., description="Empty when no product is named for you yet: answer with one of yours.")
    status: str
    answer: AnswerOut | None


class StatementIn(Schema):
    text_ja: str = ""
    text_en: str = ""
    references: list[str] = Field(default_factory=list, description="http or https addresses, at most 20.")


class StatementOut(Schema):
    id: int
    participation_id: int
    text_ja: str
    text_en: str
    references: list[str]
    review_status: str
    review_comment: str
    reviewed_at: dt.datetime | None
    updated_at: dt.datetime


class DeveloperPartOut(Schema):
    participation_id: int
    organisation_id: int
    organisation: str
    status: str
    notified_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    can_acknowledge: bool
    may_answer: bool = Field(..., description="True once receipt is confirmed: answers and the statement are open.")
    answers: list[CellOut]
    statement: StatementOut | None


class AffectedOut(Schema):
    product: str
    versions: str
    organisation_id: int | None


class ScoreOut(Schema):
    vector: str
    base_score: float
    severity: str


class SharedVulnerabilityOut(Schema):
    id: int
    title: str
    description: str
    cwe: str
    cve_id: str
    cvss31: ScoreOut | None = Field(..., description="Computed from the vector by the cvss library.")
    cvss40: ScoreOut | None
    affected: list[AffectedOut] = Field(..., description="The affected products named for you.")


class EmbargoOut(Schema):
    status: str
    end_at: dt.datetime | None = Field(..., description="The agreed disclosure date, while one is in force.")
    proposed_end_at: dt.datetime | None


class ReporterOut(Schema):
    name: str
    organisation: str
    email: str


class ExtensionIn(Schema):
    requested_end_at: dt.datetime = Field(..., description="With its time zone, later than the agreed date.")
    reason: str
    organisation_id: int | None = Field(
        None, description="Your developer, when you speak for more than one in the case."
    )


class ExtensionOut(Schema):
    id: int
    organisation_id: int
    requested_end_at: dt.datetime
    reason: str
    status: str
    decision_note: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class CaseForDevelopersOut(CaseOut):
    summary: str
    embargo: EmbargoOut | None
    vulnerabilities: list[SharedVulnerabilityOut]
    reporters: list[ReporterOut] = Field(..., description="Only reporters who agreed to be known to developers.")
    developers: list[DeveloperPartOut] = Field(
        ..., description="Your own organisation's part (partners: every developer)."
    )
    extension_requests: list[ExtensionOut]


class ReviewIn(Schema):
    approve: bool
    comment: str = Field("", description="Required when returning (approve false): what the developer should change.")


class PendingAnswerOut(AnswerOut):
    organisation_id: int = Field(..., alias="participation.organisation_id")
    organisation: str = Field(..., alias="participation.organisation.name")
    vulnerability: str = Field(..., alias="vulnerability.title")


class PendingStatementOut(StatementOut):
    organisation_id: int = Field(..., alias="participation.organisation_id")
    organisation: str = Field(..., alias="participation.organisation.name")
