"""What the report intake and triage endpoints accept and send.

The submission schema mirrors ``intake.actions.SUBMITTED_FIELDS``; it checks only the shape (types,
no unknown fields). The action itself validates the values, so the API, the forms and the CLI refuse
the same input with the same message and the same ``field``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from kyocho.api.schemas import ReportDetailOut

ReportKindIn = Literal["software", "web_application", "self_report"]
CreditIn = Literal["name", "anonymous", "none"]
RejectionReasonIn = Literal["out_of_scope", "not_a_vulnerability", "already_public", "spam", "no_answer"]


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: ReportKindIn = Field(
        ...,
        description="software: a software product; web_application: a web site (its operator is "
        "notified); self_report: a developer reporting its own product.",
    )
    reporter_email: str | None = Field(None, description="Where the acknowledgement and questions go. Required.")
    reporter_name: str | None = Field(None, description="Required when credit is `name`.")
    reporter_organisation: str | None = None
    reporter_phone: str | None = None
    reporter_pgp_key: str | None = Field(None, description="Your OpenPGP public key, ASCII-armoured.")
    credit: CreditIn = Field("name", description="How you would like to be credited in the advisory.")
    share_contact_with_developer: StrictBool = False
    product_name: str | None = Field(None, description="The product (or web site) affected. Required.")
    developer_name: str | None = Field(None, description="Required for self_report.")
    product_version: str | None = None
    site_url: str | None = Field(None, description="The site's address; required for web_application.")
    description: str | None = Field(None, description="What the vulnerability is. Required.")
    reproduction: str | None = None
    impact: str | None = None
    discovery: str | None = None
    found_lawfully: StrictBool = Field(
        False, description="Must be true: you confirm the vulnerability was found without breaking the law."
    )
    public_references: str | None = None
    exploited_references: str | None = None
    reporter_disclosure_plans: str | None = None
    other_coordinators: str | None = None

    def submitted_fields(self) -> dict[str, object]:
        """The fields as ``submit_report`` takes them: without the kind, absent ones left out."""
        return self.model_dump(exclude={"kind"}, exclude_none=True)


class ReportAcknowledgementOut(Schema):
    id: int
    reference: str
    status: str
    triage_due_at: dt.datetime
    tracking_link: str | None = Field(
        None, description="For reports without an account: the reporter's private link. Shown this once only."
    )
    tracking_token: str | None = Field(None, description="The secret part of the tracking link. Shown once.")


class QuestionIn(Schema):
    question: str = Field(..., description="What the reporter is asked; it is emailed to them.")


class AcceptIn(Schema):
    case_id: int | None = Field(None, description="An open or coordinating case to join; leave out for a new case.")
    case_title: str | None = Field(None, description="The new case's title (default: the product's name).")


class RejectIn(Schema):
    reason: RejectionReasonIn
    note: str = Field("", description="Sent to the reporter with the reason (not for spam).")


class DuplicateIn(Schema):
    case_id: int = Field(..., description="The case that already handles this vulnerability.")


class TriageIn(Schema):
    """SSVC Coordinator Triage 1.0.0 inputs; the decision is computed from them."""

    model_config = ConfigDict(extra="forbid")

    report_public: Literal["yes", "no"]
    supplier_contacted: Literal["yes", "no"]
    report_credibility: Literal["credible", "not_credible"]
    supplier_cardinality: Literal["one", "multiple"]
    supplier_engagement: Literal["active", "unresponsive"]
    utility: Literal["laborious", "efficient", "super_effective"]
    public_safety_impact: Literal["minimal", "significant"]


class TriagedReportOut(ReportDetailOut):
    rejection_reason: str
    rejection_note: str
    duplicate_of_id: int | None
    triage_inputs: dict[str, str]
    triage_decision: str
    info_request: str
