"""The staff page of one developer in a case: its status and timeline, contacts, the contact log with a
form to log an attempt, the unreachable progress and the transitions allowed now.

Reads go through ``cases.followup_queries``; every change is a ``cases.actions`` function, which
decides (the form only shapes input). A refused change comes back as a message or beside its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.accounts.permissions import is_coordinator
from kyocho.cases import actions
from kyocho.cases import followup_queries as followup
from kyocho.cases.models import Participation
from kyocho.cases.workflow import PARTICIPATION, ContactChannel, ContactOutcome, ParticipationStatus, VfdFlag
from kyocho.core.clock import now
from kyocho.core.errors import DomainError, NotFound
from kyocho.public.registry_views import run_posted_change, show_domain_error
from kyocho.staff.views import staff_page

P = ParticipationStatus
LOG = "log"
# Staff log what they did by hand, the other channels first; mail kyocho sent is logged by itself.
HAND_CHANNELS = [
    (ContactChannel.PHONE, ContactChannel.PHONE.label),
    (ContactChannel.POST, ContactChannel.POST.label),
    (ContactChannel.FAX, ContactChannel.FAX.label),
    (ContactChannel.VIA_PARTNER, ContactChannel.VIA_PARTNER.label),
    (ContactChannel.PORTAL, ContactChannel.PORTAL.label),
    (ContactChannel.EMAIL, gettext_lazy("Email sent by hand")),
]


class ContactAttemptForm(forms.Form):
    """The shape of an attempt; ``log_contact_attempt`` checks channel, outcome and time."""

    channel = forms.CharField(label=gettext_lazy("Channel"), widget=forms.Select(choices=HAND_CHANNELS))
    outcome = forms.CharField(label=gettext_lazy("Outcome"), widget=forms.Select(choices=ContactOutcome.choices))
    at = forms.DateTimeField(
        label=gettext_lazy("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
        help_text=gettext_lazy("In the display time zone; leave empty for now."),
    )
    address = forms.CharField(
        label=gettext_lazy("Number, address or partner"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("Whom or where the attempt went to."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def log(self, participation: Participation, actor: Any) -> None:
        data = self.cleaned_data
        actions.log_contact_attempt(
            participation.pk,
            channel=data["channel"],
            outcome=data["outcome"],
            note=data["note"],
            at=data["at"],
            address=data["address"],
            actor=actor,
        )


@dataclass(frozen=True)
class Step:
    """A transition of the developer offered as a button while the table (and its rule) allows it."""

    action: str
    target: str
    label: Any
    done: Any
    run: Callable[[Participation, QueryDict, Any], object]
    text_field: str = ""  # "reason" or "note": a text box goes with the button
    danger: bool = False


STEPS = [
    Step(
        "acknowledge",
        P.ACKNOWLEDGED,
        gettext_lazy("Acknowledged: record it on the developer's behalf"),
        gettext_lazy("The developer is recorded as having acknowledged."),
        lambda p, data, actor: actions.acknowledge_participation(p.pk, actor=actor),
    ),
    Step(
        "unreachable",
        P.UNREACHABLE,
        gettext_lazy("Declare unreachable"),
        gettext_lazy("The developer is declared unreachable."),
        lambda p, data, actor: actions.mark_unreachable(p.pk, actor=actor),
        danger=True,
    ),
    Step(
        "list_name",
        P.LISTED_NAME,
        gettext_lazy("List the developer's name (stage 1)"),
        gettext_lazy("The developer's name is on the unreachable-developers list."),
        lambda p, data, actor: actions.list_developer_name(p.pk, actor=actor),
        danger=True,
    ),
    Step(
        "list_product",
        P.LISTED_PRODUCT,
        gettext_lazy("List the product too (stage 2)"),
        gettext_lazy("The product is on the unreachable-developers list too."),
        lambda p, data, actor: actions.list_developer_product(p.pk, actor=actor),
        danger=True,
    ),
    Step(
        "refer",
        P.COMMITTEE_REVIEW,
        gettext_lazy("Refer to the disclosure review committee"),
        gettext_lazy("The developer is before the committee."),
        lambda p, data, actor: actions.refer_to_committee(p.pk, reason=data.get("reason", ""), actor=actor),
        text_field="reason",
    ),
    Step(
        "close",
        P.CLOSED,
        gettext_lazy("Close the developer's participation"),
        gettext_lazy("The developer's participation is closed."),
        lambda p, data, actor: actions.close_participation(p.pk, note=data.get("note", ""), actor=actor),
        text_field="note",
        danger=True,
    ),
]
CHANGES = {step.action: (step.run, step.done) for step in STEPS}


def steps_allowed_now(participation: Participation, progress: followup.Progress, at: dt.datetime) -> list[Step]:
    """What the table allows from here, less what its own rule refuses yet (unreachable before the
    evidence is complete, stage 2 before its date)."""
    stage2 = followup.stage2_from(participation)
    not_yet: dict[str, bool] = {
        P.UNREACHABLE: not progress.complete,
        P.LISTED_PRODUCT: stage2 is None or at < stage2,
    }
    return [
        step
        for step in STEPS
        if PARTICIPATION.can(participation.status, step.target) and not not_yet.get(step.target, False)
    ]


def timeline(participation: Participation) -> list[tuple[Any, dt.datetime | None]]:
    """The contact track's moments always (a dash until they happen), the unreachable track's once they did."""
    always = [
        (gettext_lazy("Notified"), participation.notified_at),
        (gettext_lazy("Acknowledged (V: vendor aware)"), participation.acknowledged_at),
        (gettext_lazy("Reminded"), participation.reminded_at),
        (gettext_lazy("Escalated"), participation.escalated_at),
        (gettext_lazy("Fix ready (F)"), participation.fix_ready_at),
        (gettext_lazy("Fix deployed (D)"), participation.fix_deployed_at),
    ]
    once_done = [
        (gettext_lazy("Name listed as unreachable"), participation.listed_at),
        (gettext_lazy("Product listed as unreachable"), participation.product_listed_at),
        (gettext_lazy("Committee decided"), participation.committee_decided_at),
    ]
    return always + [(label, at) for label, at in once_done if at is not None]


@staff_page
def developer_detail(request: HttpRequest, reference: str, organisation_id: int) -> HttpResponse:
    participation = followup.developer_in_case(request.user, reference, organisation_id)
    posted = request.POST.get("action", "") if request.method == "POST" else ""
    form = ContactAttemptForm(request.POST if posted == LOG else None)
    if posted == LOG and _logged(request, participation, form):
        return redirect("staff:developer", reference, organisation_id)
    if posted and posted != LOG:
        run_posted_change(request, CHANGES, participation)
        return redirect("staff:developer", reference, organisation_id)
    return render(request, "staff/developer_detail.html", developer_context(request, participation, form))


def _logged(request: HttpRequest, participation: Participation, form: ContactAttemptForm) -> bool:
    if not form.is_valid():
        return False
    try:
        form.log(participation, request.user)
    except NotFound:
        raise
    except DomainError as error:
        if error.field in form.fields:
            show_domain_error(form, error)
        else:
            messages.error(request, error.message)
        return False
    messages.success(request, _("The contact attempt is logged."))
    return True


def developer_context(request: HttpRequest, participation: Participation, form: ContactAttemptForm) -> dict[str, Any]:
    progress = followup.progress(participation)
    reach = followup.developer_reach(participation)
    case = participation.case
    silent = participation.status == P.NOTIFIED
    return {
        "case": case,
        "participation": participation,
        "timeline": timeline(participation),
        "reach": reach,
        "vfd": [
            (VfdFlag.VENDOR_AWARE.value, participation.acknowledged_at),
            (VfdFlag.FIX_READY.value, participation.fix_ready_at),
            (VfdFlag.FIX_DEPLOYED.value, participation.fix_deployed_at),
        ],
        "attempts": followup.contact_log(request.user, participation.pk),
        "progress": progress,
        "stage2_from": followup.stage2_from(participation) if participation.status == P.LISTED_NAME else None,
        "escalated": silent and participation.escalated_at is not None,
        "partners": followup.partner_teams(case),
        "may_log": participation.status not in {P.IDENTIFIED, P.CLOSED},
        "may_change": is_coordinator(request.user),
        "steps": steps_allowed_now(participation, progress, now()),
        "form": form,
    }
