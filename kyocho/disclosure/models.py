"""Embargo (公表日) with per-participant consent, case events P/X/A, breaches, extension requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kyocho.accounts.models import Organisation
from kyocho.cases.models import Case
from kyocho.disclosure.workflow import CaseEventKind, ConsentStatus, EmbargoStatus, ExtensionStatus


class Embargo(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="embargo")
    status = models.CharField(max_length=12, choices=EmbargoStatus.choices, default=EmbargoStatus.NONE)
    # The agreed disclosure instant while active; a pending proposal is in proposed_end_at.
    end_at = models.DateTimeField(null=True, blank=True)
    proposed_end_at = models.DateTimeField(null=True, blank=True)
    proposal_reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    exit_reason = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    exited_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"embargo of {self.case.reference}: {self.status}"


class Consent(models.Model):
    """Each developer's and partner coordinator's agreement to the proposed date."""

    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="consents")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ConsentStatus.choices, default=ConsentStatus.NO_EMBARGO)
    required = models.BooleanField(default=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["embargo", "organisation"], name="consent_unique")]


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=1, choices=CaseEventKind.choices)
    at = models.DateTimeField()
    evidence = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="case_event_once")]


class Breach(models.Model):
    """A participant published before the agreed date: a breach of 公表日一致の原則."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="breaches")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="breaches")
    at = models.DateTimeField()
    evidence = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class ExtensionRequest(models.Model):
    embargo = models.ForeignKey(Embargo, on_delete=models.CASCADE, related_name="extension_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requested_end_at = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    decision_note = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)


class PreNotificationSuspension(models.Model):
    """A developer organisation suspended from pre-notification (set by a lead coordinator)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="suspension")
    reason = models.TextField()
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
