"""What a reporter sees of their report, whether they come by account or by tracking link: the
timeline in plain words, the questions, the conversation, the attachments, the case milestones and
the advisories shared with them. The caller has already obtained the report through a scoped query
(``get_report_by_reference`` or ``report_for_token``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kyocho.advisories import queries as advisories
from kyocho.advisories.models import Advisory
from kyocho.audit.queries import events_for
from kyocho.core.errors import NotFound
from kyocho.disclosure.workflow import IN_FORCE
from kyocho.intake.models import Report, ReportAttachment, ReportMessage

# Events a reporter is told about, in their words. Anything else (triage notes, spam marks,
# revoked links, messages — shown in the thread) stays out of the timeline.
TIMELINE_WORDS = {
    "intake:report:received": _("We received your report."),
    "intake:report:information_requested": _("The intake desk asked you for more information."),
    "intake:report:information_provided": _("You answered, and the report went back to the intake desk."),
    "intake:report:accepted": _("Your report was accepted and a coordination case was opened."),
    "intake:report:rejected": _("Your report was not accepted."),
    "intake:report:duplicate": _("This vulnerability is already being coordinated in another case."),
    "intake:report:withdrawn": _("You withdrew the report."),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    text: str


@dataclass
class Milestones:
    start_date: dt.datetime | None = None
    disclosure_at: dt.datetime | None = None
    advisories: list[Advisory] = field(default_factory=list)


def timeline(report: Report) -> list[TimelineEntry]:
    events = events_for(report).filter(name__in=TIMELINE_WORDS).order_by("seq")
    return [TimelineEntry(at=event.at, text=str(TIMELINE_WORDS[event.name])) for event in events]


def messages(report: Report) -> QuerySet[ReportMessage]:
    return report.messages.order_by("posted_at", "pk")


def attachments(report: Report) -> QuerySet[ReportAttachment]:
    return report.attachments.order_by("uploaded_at", "pk")


def get_attachment(report: Report, attachment_id: Any) -> ReportAttachment:
    try:
        return report.attachments.get(pk=attachment_id)
    except (ReportAttachment.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def milestones(report: Report, actor: Any) -> Milestones:
    """起算日, the agreed disclosure date while the embargo is in force, and the advisories the
    reporter may read (published ones, and approved drafts shared with the case's participants)."""
    case = report.case
    if case is None:
        return Milestones()
    embargo = getattr(case, "embargo", None)
    in_force = embargo is not None and embargo.status in IN_FORCE
    return Milestones(
        start_date=case.start_date,
        disclosure_at=embargo.end_at if in_force and embargo is not None else None,
        advisories=list(_reporter_advisories(report, actor)),
    )


def _reporter_advisories(report: Report, actor: Any) -> QuerySet[Advisory]:
    assert report.case is not None
    if getattr(actor, "is_authenticated", False):
        return advisories.case_advisories(actor, report.case.pk)
    # A tracking link stands for the reporter of this one report, who takes part in its case.
    shared = Q(status__in=advisories.SHAREABLE_STATES, shared_for_review=True)
    public = Q(pk__in=advisories.public_advisories().values("pk"))
    return Advisory.objects.filter(Q(case_id=report.case_id) & (shared | public)).order_by("created_at")
