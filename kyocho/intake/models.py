"""Reports (届出): one per submission. Statuses change only through ``intake.actions``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.cases.models import Case
from kyocho.intake.workflow import RejectionReason, ReportKind, ReportStatus, TriageDecision


class CreditPreference(models.TextChoices):
    NAME = "name", _("Credit me by name")
    ANONYMOUS = "anonymous", _("Credit me anonymously")
    NONE = "none", _("No credit")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("I don't know")


class ReportChannel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    EMAIL = "email", _("Email")


class Report(models.Model):
    reference = models.CharField(max_length=20, unique=True)  # random, e.g. KYR-7Q4M-2XHP
    kind = models.CharField(_("kind of report"), max_length=20, choices=ReportKind.choices)
    channel = models.CharField(_("received by"), max_length=8, choices=ReportChannel.choices, default=ReportChannel.WEB)
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.RECEIVED, db_index=True)
    # Who reported: an account, or only an email address with a tracking link.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    reporter_name = models.CharField(_("name"), max_length=200, blank=True)
    reporter_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    reporter_email = models.EmailField(_("email address"))
    reporter_phone = models.CharField(_("phone"), max_length=50, blank=True)
    reporter_pgp_key = models.TextField(_("OpenPGP public key"), blank=True)
    credit = models.CharField(
        _("credit"), max_length=12, choices=CreditPreference.choices, default=CreditPreference.NAME
    )
    share_contact_with_developer = models.BooleanField(_("share my contact details with the developer"), default=False)
    language = models.CharField(_("language"), max_length=8, default="ja")
    tracking_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    tracking_token_revoked_at = models.DateTimeField(null=True, blank=True)
    # What was reported.
    product_name = models.CharField(_("product"), max_length=300)
    developer_name = models.CharField(_("developer"), max_length=300, blank=True)
    product_version = models.CharField(_("version"), max_length=200, blank=True)
    site_url = models.URLField(_("web site address"), blank=True)
    description = models.TextField(_("description"))
    reproduction = models.TextField(_("how to reproduce"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    discovery = models.TextField(_("how it was found"), blank=True)
    found_lawfully = models.BooleanField(_("found lawfully"), default=False)
    already_public = models.CharField(_("already public"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    exploited = models.CharField(_("exploited"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    public_references = models.TextField(_("public information about it"), blank=True)
    exploited_references = models.TextField(_("evidence of exploitation"), blank=True)
    reporter_disclosure_plans = models.TextField(_("your disclosure plans"), blank=True)
    other_coordinators = models.TextField(_("other coordinators informed"), blank=True)
    # Triage.
    received_at = models.DateTimeField()
    triage_due_at = models.DateTimeField()
    needs_info_since = models.DateTimeField(null=True, blank=True)
    info_request = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=32, choices=RejectionReason.choices, blank=True)
    rejection_note = models.TextField(blank=True)
    triage_inputs = models.JSONField(default=dict, blank=True)
    triage_decision = models.CharField(max_length=16, choices=TriageDecision.choices, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    duplicate_of = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="duplicate_reports"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | models.Q(case__isnull=False),
                name="report_accepted_has_case",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="report_duplicate_links_case",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | models.Q(rejection_reason__gt=""),
                name="report_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.product_name}"


class InformationRequest(models.Model):
    """One question from the intake desk to the reporter and, once given, the reporter's answer."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="information_requests")
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    asked_at = models.DateTimeField()
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answer="") | models.Q(answered_at__isnull=False),
                name="information_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.question[:40]}"


class ReportAttachment(models.Model):
    """A file sent with a report. The bytes live under DATA_DIR/attachments under a random name,
    outside anything the web server serves; ``core.attachments`` writes and reads them."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)  # as the sender named it; shown, never used as a path
    stored_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField(_("size"))
    kind = models.CharField(_("type"), max_length=16)  # what the content sniffed as (pdf, png, text…)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.filename}"


class ReportMessage(models.Model):
    """One message in the conversation between the reporter and the coordinator about a report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_reporter = models.BooleanField(default=False)
    posted_at = models.DateTimeField()

    class Meta:
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.body[:40]}"
