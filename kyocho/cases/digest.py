"""The daily digest for staff: what is due, in one mail per person at KYOCHO_DIGEST_HOUR local time.

Coordinators get every part; intake staff the triage part. Mail travels in the clear, so the digest
holds references, counts, dates and links only — no titles, developer names or details. It is sent
once a day whichever of several schedulers runs it first (a compare-and-swap on the claim row, in the
transaction that queues the mail), and a person with nothing due gets none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.audit.actions import record
from kyocho.cases import followup_queries as due
from kyocho.core.clock import display_zone, now
from kyocho.core.models import Heartbeat
from kyocho.intake.queries import triage_list
from kyocho.messaging.actions import enqueue_from_template
from kyocho.messaging.models import OutboundEmail

# The claim row holds the moment the last digest was sent; it lives beside the scheduler's claims.
CLAIM = "digest:staff"


def todays_digest_at(at: dt.datetime) -> dt.datetime:
    """The digest hour of ``at``'s local day in the display zone."""
    zone = display_zone()
    hour = dt.time(hour=settings.KYOCHO["DIGEST_HOUR"])
    return dt.datetime.combine(at.astimezone(zone).date(), hour, tzinfo=zone)


def send_staff_digest(at: dt.datetime | None = None) -> int:
    """Send today's digest if it is due and not sent yet; returns the number of mails queued.
    Run it as often as you like (the scheduler does every few minutes)."""
    at = at or now()
    slot = todays_digest_at(at)
    if at < slot:
        return 0
    with transaction.atomic():
        claim, since = _claim(at, slot)
        if since is None:
            return 0
        queued = [mail for person in due.digest_recipients() if (mail := _digest_for(person, since, at))]
        record(
            "staff:digest:sent",
            actor=None,
            subject=claim,
            data={"since": since.isoformat(), "until": at.isoformat(), "mails": len(queued)},
        )
    return len(queued)


def _claim(at: dt.datetime, slot: dt.datetime) -> tuple[Heartbeat, dt.datetime | None]:
    """Take today's digest: (the claim row, when the last one was sent) or None when it was sent today.
    The first digest ever covers the day before."""
    claim, _created = Heartbeat.objects.get_or_create(name=CLAIM, defaults={"at": slot - dt.timedelta(days=1)})
    last = claim.at
    if last >= slot or Heartbeat.objects.filter(pk=claim.pk, at=last).update(at=at) != 1:
        return claim, None
    return claim, last


def _digest_for(person: User, since: dt.datetime, at: dt.datetime) -> OutboundEmail | None:
    context = digest_context(person, since, at)
    if not any(context[part] for part in PARTS):
        return None
    return enqueue_from_template(
        "staff_digest",
        context,
        to=person.email,
        language=person.preferred_language,
        purpose="staff:digest",
        actor=None,
    )


PARTS = (
    "reports_overdue",
    "reminded",
    "escalated",
    "not_acknowledged",
    "unreachable",
    "disclosures",
    "answers",
    "statements",
    "held_mail",
)


def digest_context(person: User, since: dt.datetime, at: dt.datetime) -> dict[str, Any]:
    """What is due for ``person``, read with their own visibility: coordinators everything, intake
    staff the reports past their triage target."""
    overdue = list(triage_list(person, overdue=True, at=at).values_list("reference", flat=True))
    context: dict[str, Any] = {part: [] for part in PARTS} | {"held_mail": 0, "since": since, "at": at}
    context["reports_overdue"] = overdue
    if permissions.is_coordinator(person):
        horizon = at + dt.timedelta(days=settings.KYOCHO["DIGEST_DISCLOSURE_DAYS"])
        context.update(
            reminded=due.reminded_between(person, since, at),
            escalated=due.escalated_between(person, since, at),
            not_acknowledged=due.not_acknowledged(person),
            unreachable=due.unreachable_candidates_by_case(person),
            disclosures=due.disclosures_within(person, at, horizon),
            answers=due.answers_waiting_for_review(person),
            statements=due.statements_waiting_for_review(person),
            held_mail=due.held_inbound_mail(person),
            disclosure_days=settings.KYOCHO["DIGEST_DISCLOSURE_DAYS"],
        )
    return context
