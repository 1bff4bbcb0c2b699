"""Following up developers that do not acknowledge (PRODUCT.md §2.3), run by the scheduler.

Each developer is handled in its own transaction: the claim (``record_reminder`` /
``record_escalation``, refused when not due), the mail it causes and the contact attempts that mail
carries commit together or not at all. A second run, or a second scheduler, finds nothing left to
claim, so nobody is reminded or escalated twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kyocho.cases import actions, queries
from kyocho.cases.followup_queries import escalation_recipients
from kyocho.cases.mail import site_link, tell_developer
from kyocho.cases.models import Participation
from kyocho.core.clock import now
from kyocho.core.errors import Conflict
from kyocho.messaging.actions import enqueue_from_template

logger = logging.getLogger(__name__)


def send_due_reminders(at: dt.datetime | None = None) -> int:
    """Remind every developer due at ``at`` (default: now); returns how many were reminded here."""
    due = queries.participations_due_for_reminder(at or now()).values_list("pk", flat=True)
    return sum(remind(participation_id) for participation_id in list(due))


def send_due_escalations(at: dt.datetime | None = None) -> int:
    """Escalate every developer due at ``at`` (default: now); returns how many were escalated here."""
    due = queries.participations_due_for_escalation(at or now()).values_list("pk", flat=True)
    return sum(escalate(participation_id) for participation_id in list(due))


def remind(participation_id: int) -> bool:
    """Claim the reminder and mail each contact: the details signed and encrypted to the contact's key,
    else the content-free portal notice; each mail is logged as a contact attempt. False when another
    run claimed it first or it is no longer due."""
    try:
        with transaction.atomic():
            participation = actions.record_reminder(participation_id, actor=None)
            case = participation.case
            context = {
                "vulnerabilities": list(case.vulnerabilities.order_by("pk")),
                "notified_at": participation.notified_at,
                "days": settings.KYOCHO["REMINDER_DAYS"],
            }
            sent = tell_developer(participation, "case_reminder", context, purpose="case:reminder", actor=None)
            for _recipient, email in sent:
                actions.log_email_attempt(participation, email, actor=None)
    except Conflict:
        return False
    if not sent:
        logger.warning("reminder for participation %s: the developer has no registered contact", participation_id)
    return True


def escalate(participation_id: int) -> bool:
    """Claim the escalation and tell the case owner (every coordinator when nobody owns the case) by a
    content-free mail: the case reference and a link to the developer's page, nothing of the case."""
    try:
        with transaction.atomic():
            participation = actions.record_escalation(participation_id, actor=None)
            case = participation.case
            context = {
                "case": case,
                "days": settings.KYOCHO["ESCALATION_DAYS"],
                "link": site_link(developer_page(participation)),
            }
            for person in escalation_recipients(case):
                enqueue_from_template(
                    "case_escalation",
                    context,
                    to=person.email,
                    language=person.preferred_language,
                    purpose="case:escalation",
                    actor=None,
                    related=participation,
                )
    except Conflict:
        return False
    return True


def developer_page(participation: Participation) -> str:
    return reverse("staff:developer", args=[participation.case.reference, participation.organisation_id])
