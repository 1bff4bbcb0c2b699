"""Advisories (JVN-style) with bilingual content and revisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kyocho.advisories.workflow import AdvisoryKind, AdvisoryStatus
from kyocho.cases.models import Case


class Advisory(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="advisories")
    kind = models.CharField(max_length=8, choices=AdvisoryKind.choices)
    identifier = models.CharField(max_length=32, unique=True)  # JVN#12345678: random digits
    status = models.CharField(
        max_length=12, choices=AdvisoryStatus.choices, default=AdvisoryStatus.DRAFT, db_index=True
    )
    # {"ja": {"title": …, "overview": …, …}, "en": {…}}; sections listed in workflow.SECTIONS.
    content = models.JSONField(default=dict)
    references = models.JSONField(default=list, blank=True)  # [{"title": …, "url": …}]
    revision = models.PositiveIntegerField(default=0)  # 0 until first published
    shared_for_review = models.BooleanField(default=False)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.identifier


class AdvisoryRevision(models.Model):
    """One published revision: what the public saw, and the update-history line (更新履歴)."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    references = models.JSONField(default=list)
    note_ja = models.TextField()
    note_en = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["advisory", "number"], name="advisory_revision_unique")]
