"""The case page's "Notify developers" panel (an htmx partial; a plain page without JavaScript).

It lists the developers identified in the case, each with how it would be reached, and finds others by
name. One POST (``action=notify``) notifies every checked developer through
``cases.notify.notify_developers``, all or none; the result (encrypted / notice only / no contact)
comes back as messages on the case page. ``action=search`` only redraws the panel with the posted
choices kept. A refusal redraws it with the message beside what it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kyocho.accounts.permissions import is_coordinator
from kyocho.cases.actions import ACTIVE_CASE_STATES, NeedsOverride
from kyocho.cases.models import Case
from kyocho.cases.notify import NotificationResult, notify_developers
from kyocho.cases.notify_queries import Notifiable, developers_named, identified_developers
from kyocho.cases.queries import get_case_by_reference
from kyocho.core.errors import DomainError, NotFound
from kyocho.staff.views import staff_page

NAMES_SHOWN = 20  # in a result message; the contact log has every developer


@dataclass
class PanelState:
    """What the coordinator chose so far, kept when the panel is redrawn."""

    q: str = ""
    selected: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    error: str = ""
    error_field: str = ""
    needs_reason: set[int] = field(default_factory=set)  # suspended developers a refusal named


def posted_state(data: QueryDict) -> PanelState:
    selected = list(dict.fromkeys(int(value) for value in data.getlist("organisation_ids") if value.isdigit()))
    reasons = {
        organisation_id: data.get(f"override_{organisation_id}", "").strip()[:2000] for organisation_id in selected
    }
    return PanelState(
        q=data.get("q", "").strip()[:200],
        selected=selected,
        reasons={organisation_id: reason for organisation_id, reason in reasons.items() if reason},
    )


def notify_panel(request: HttpRequest, case: Case, state: PanelState | None = None) -> dict[str, Any]:
    """The panel's context (a CASE_PANELS entry): a few queries whatever the number of developers."""
    state = state or PanelState()
    active = case.status in ACTIVE_CASE_STATES
    identified = identified_developers(request.user, case) if active else []
    found = developers_named(request.user, case, state.q) if active else []
    return {
        "notify": {
            "active": active,
            "may_notify": is_coordinator(request.user),
            "identified": [_row(developer, state) for developer in identified],
            "found": [_row(developer, state) for developer in found],
            "state": state,
        }
    }


def _row(developer: Notifiable, state: PanelState) -> dict[str, Any]:
    return {
        "developer": developer,
        "checked": developer.organisation_id in state.selected,
        "reason": state.reasons.get(developer.organisation_id, ""),
        "needs_reason": developer.organisation_id in state.needs_reason,
    }


@staff_page
def notify(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    if request.method != "POST":
        return _panel(request, case, PanelState(q=request.GET.get("q", "").strip()[:200]))
    state = posted_state(request.POST)
    if request.POST.get("action") != "notify":
        return _panel(request, case, state)
    try:
        result = notify_developers(
            case.pk, organisation_ids=state.selected, override_reasons=state.reasons, actor=request.user
        )
    except NotFound:
        raise
    except NeedsOverride as refusal:
        state.error, state.error_field, state.needs_reason = refusal.message, "overrides", set(refusal.organisation_ids)
    except DomainError as refusal:
        state.error, state.error_field = refusal.message, refusal.field or ""
    else:
        report_result(request, result)
        return _to_case_page(request, case)
    return _panel(request, case, state)


def _panel(request: HttpRequest, case: Case, state: PanelState) -> HttpResponse:
    context = {"case": case, **notify_panel(request, case, state)}
    template = "staff/case/notify.html" if request.htmx else "staff/notify.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _to_case_page(request: HttpRequest, case: Case) -> HttpResponse:
    url = reverse("staff:case", args=[case.reference])
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url  # the whole page changes: milestones, developers, messages
        return response
    return redirect(url)


def report_result(request: HttpRequest, result: NotificationResult) -> None:
    """The result as messages: how many were notified, and who was reached how."""
    count = len(result.developers)
    messages.success(
        request,
        ngettext("%(count)d developer was notified.", "%(count)d developers were notified.", count) % {"count": count},
    )
    by_mail: dict[str, list[str]] = {}
    for developer in result.developers:
        by_mail.setdefault(developer.mail, []).append(developer.name)
    wording = {
        "encrypted": (messages.INFO, _("The details went encrypted to every contact of: %(names)s.")),
        "mixed": (
            messages.WARNING,
            _("Some contacts have no usable OpenPGP key and got only a sign-in notice: %(names)s."),
        ),
        "notice_only": (
            messages.WARNING,
            _("No contact has a usable OpenPGP key; each got only a sign-in notice: %(names)s."),
        ),
        "none": (
            messages.WARNING,
            _(
                "No contact address: notified in the portal only. Reach them by another channel "
                "(phone, post, a partner) and log the attempt: %(names)s."
            ),
        ),
    }
    for mail, (level, text) in wording.items():
        if by_mail.get(mail):
            messages.add_message(request, level, text % {"names": _names(by_mail[mail])})
    if result.clock_started:
        messages.info(request, _started_text(result.reporters_told))


def _started_text(reporters: int) -> str:
    if not reporters:
        return _("This was the case's first notification: its start date (起算日) and target disclosure date are set.")
    return ngettext(
        "This was the case's first notification: its start date (起算日) and target disclosure date are set, "
        "and %(count)d reporter was told.",
        "This was the case's first notification: its start date (起算日) and target disclosure date are set, "
        "and %(count)d reporters were told.",
        reporters,
    ) % {"count": reporters}


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) <= NAMES_SHOWN:
        return shown
    return _("%(names)s and %(count)d more") % {"names": shown, "count": len(names) - NAMES_SHOWN}
