"""Cases, their developer and partner participants, vulnerabilities, answers and contact attempts.

Schema and constraints only: every status here is changed by ``cases.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.accounts.models import Organisation
from kyocho.cases.workflow import (
    AnswerStatus,
    CaseResolution,
    CaseStatus,
    ContactChannel,
    ContactOutcome,
    CveState,
    MessageSource,
    NotAffectedJustification,
    ParticipationStatus,
    ReviewStatus,
)


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True)  # random, e.g. KYC-7Q4M-2XHP
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True)
    resolution = models.CharField(max_length=32, choices=CaseResolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cases"
    )
    international = models.BooleanField(_("coordinated with overseas parties"), default=False)
    on_hold = models.BooleanField(default=False)
    hold_reason = models.TextField(blank=True)
    # 起算日: the moment the first product developer was contacted.
    start_date = models.DateTimeField(null=True, blank=True)
    target_disclosure_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="closed", resolution__gt="")
                | (~models.Q(status="closed") & models.Q(resolution="")),
                name="case_resolution_iff_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(on_hold=False) | models.Q(hold_reason__gt=""),
                name="case_hold_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(resolution="merged_into"),
                name="case_merged_into_only_when_merged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Vulnerability(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)  # in English: the CVE record's description
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    cwe = models.CharField(_("CWE"), max_length=16, blank=True)  # CWE-79
    cvss31_vector = models.CharField(_("CVSS v3.1 vector"), max_length=200, blank=True)
    cvss40_vector = models.CharField(_("CVSS v4.0 vector"), max_length=300, blank=True)
    ssvc = models.JSONField(default=dict, blank=True)  # decision point values and outcomes
    cve_id = models.CharField(_("CVE id"), max_length=20, blank=True, db_index=True)
    cve_state = models.CharField(max_length=12, choices=CveState.choices, default=CveState.NONE)
    cve_reserved_at = models.DateTimeField(null=True, blank=True)
    cve_published_at = models.DateTimeField(null=True, blank=True)
    affected = models.JSONField(default=list, blank=True)  # [{"product": …, "versions": …, "organisation_id": …}]
    references = models.JSONField(default=list, blank=True)  # [{"url": "https://…", "title": …}]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cve_state="none", cve_id="")
                | (~models.Q(cve_state="none") & models.Q(cve_id__gt="")),
                name="vulnerability_cve_id_iff_state",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Participation(models.Model):
    """One product developer organisation in one case (PRODUCT.md §2.3)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="participations")
    status = models.CharField(
        max_length=24,
        choices=ParticipationStatus.choices,
        default=ParticipationStatus.IDENTIFIED,
        db_index=True,
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Unreachable track: stage 1 (name listed) and stage 2 (product listed); cleared when the listing is withdrawn.
    listed_at = models.DateTimeField(null=True, blank=True)
    product_listed_at = models.DateTimeField(null=True, blank=True)
    committee_referral_reason = models.TextField(blank=True)
    committee_decision_reason = models.TextField(blank=True)
    committee_decided_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)
    # Vultron vfd: V is acknowledged_at; F and D below, in that order only.
    fix_ready_at = models.DateTimeField(null=True, blank=True)
    fix_deployed_at = models.DateTimeField(null=True, blank=True)
    suspension_override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="participation_unique"),
            # Vultron vfd order: F needs V, D needs F.
            models.CheckConstraint(
                condition=models.Q(fix_ready_at__isnull=True) | models.Q(acknowledged_at__isnull=False),
                name="participation_fix_ready_after_aware",
            ),
            models.CheckConstraint(
                condition=models.Q(fix_deployed_at__isnull=True) | models.Q(fix_ready_at__isnull=False),
                name="participation_fix_deployed_after_ready",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.case.reference}"


class CasePartner(models.Model):
    """A partner coordinator team the case is shared with."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="partner_cases")
    tracking_id = models.CharField(_("partner's tracking id"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "organisation"], name="case_partner_unique")]


class ContactAttempt(models.Model):
    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="contact_attempts")
    channel = models.CharField(max_length=16, choices=ContactChannel.choices)
    at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=ContactOutcome.choices)
    note = models.TextField(blank=True)
    # The address, number or partner the attempt went to; for mail, the outbox row that carried it
    # (its delivery, failure or bounce becomes the attempt's outcome).
    address = models.CharField(max_length=254, blank=True)
    email = models.OneToOneField(
        "messaging.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_attempt"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at"]


class Reviewed(models.Model):
    """What a developer wants published, reviewed by a coordinator before anything is published."""

    review_status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    review_comment = models.TextField(blank=True)  # why it was returned, for the developer
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class Answer(Reviewed):
    """A developer's investigation answer for one (vulnerability, product). No row means no_response."""

    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="answers")
    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="answers")
    product = models.CharField(_("product"), max_length=200)
    status = models.CharField(max_length=24, choices=AnswerStatus.choices, default=AnswerStatus.UNDER_INVESTIGATION)
    justification = models.CharField(max_length=64, choices=NotAffectedJustification.choices, blank=True)
    fixed_version = models.CharField(_("fixed version"), max_length=100, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participation", "vulnerability", "product"], name="answer_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="not_affected") | models.Q(justification__gt=""),
                name="answer_not_affected_justified",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="fixed") | models.Q(fixed_version__gt=""),
                name="answer_fixed_has_version",
            ),
            models.CheckConstraint(
                condition=~models.Q(review_status="returned") | models.Q(review_comment__gt=""),
                name="answer_returned_has_comment",
            ),
        ]


class Statement(Reviewed):
    """A developer's statement for the advisory's vendor information (ja and en) and its references."""

    participation = models.OneToOneField(Participation, on_delete=models.CASCADE, related_name="statement")
    text_ja = models.TextField(_("statement (Japanese)"), blank=True)
    text_en = models.TextField(_("statement (English)"), blank=True)
    references = models.JSONField(default=list, blank=True)  # ["https://…", …]
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(review_status="returned") | models.Q(review_comment__gt=""),
                name="statement_returned_has_comment",
            ),
        ]


# --- Conversations (issue 5, item 6): threads per party, messages, per-user read marks.


class ThreadKind(models.TextChoices):
    DEVELOPER = "developer", _("Coordinators and one developer")
    REPORTER = "reporter", _("Coordinators and the reporter")
    PARTNER = "partner", _("Coordinators and one partner team")
    ALL_PARTICIPANTS = "all_participants", _("All participants")
    PRODUCT = "product", _("Product thread")


class Thread(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="threads")
    kind = models.CharField(max_length=20, choices=ThreadKind.choices)
    # The one developer or partner team of a private thread; empty for the other kinds.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="case_threads"
    )
    # The report of a reporter thread: each finder talks with the coordinators alone, even when several
    # reports were accepted into one case (finders never read each other's messages).
    report = models.ForeignKey(
        "intake.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="reporter_threads"
    )
    # The developers of a product thread, chosen by the coordinator.
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="product_threads")
    title = models.CharField(_("title"), max_length=200, blank=True)
    # Group threads hide other developers' names until a coordinator opens the participant list.
    participants_visible = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "organisation"],
                condition=models.Q(kind__in=["developer", "partner"]),
                name="thread_one_per_party",
            ),
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=models.Q(kind="all_participants"),
                name="thread_one_per_case",
            ),
            models.UniqueConstraint(
                fields=["report"], condition=models.Q(kind="reporter"), name="thread_one_per_report"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reporter", report__isnull=False)
                | (~models.Q(kind="reporter") & models.Q(report__isnull=True)),
                name="thread_report_iff_reporter",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["developer", "partner"], organisation__isnull=False)
                | (~models.Q(kind__in=["developer", "partner"]) & models.Q(organisation__isnull=True)),
                name="thread_organisation_iff_private",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.kind} {self.title}".strip()


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The developer or partner team the author wrote for; empty for coordinators and the reporter.
    author_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()  # Markdown source, rendered only through core.text.render_markdown
    posted_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=MessageSource.choices, default=MessageSource.WEB)
    # For mail: the OpenPGP signature as checked against the sender's registered keys
    # (verified / unknown_key / bad / unsigned); empty for messages written in kyocho.
    signature = models.CharField(max_length=12, blank=True)
    inbound_mail = models.ForeignKey(
        "messaging.InboundMail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["thread", "-id"], name="message_thread_newest")]


class MessageAttachment(models.Model):
    """A file sent with a message; bytes stored like report attachments (outside the web root)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)  # as the sender named it; shown, never used as a path
    stored_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    kind = models.CharField(max_length=16)  # what the content sniffed as
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]


class ReadMark(models.Model):
    """The last message a user has read in a thread; everything after it is unread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="read_mark_unique")]


class ReplyToken(models.Model):
    """The unguessable part of a reply address (``cvd+TOKEN@…``): mail to it belongs to this thread,
    written for ``organisation`` (a developer or partner team), or by the reporter when it is empty."""

    token = models.CharField(max_length=40, unique=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reply_tokens")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="reply_token_party",
            ),
            models.UniqueConstraint(
                fields=["thread"], condition=models.Q(organisation__isnull=True), name="reply_token_reporter"
            ),
        ]
