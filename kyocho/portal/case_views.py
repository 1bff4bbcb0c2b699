"""A case in the portal. A developer's members see what is shared with developers and work on their
own part: confirm receipt, answer per (vulnerability, product), write the statement, ask for a later
disclosure date. Partners coordinating the case see every developer, read-only. Reporters see the
milestones. Nothing of another developer is ever shown: its participation ids answer 404.

Every change is a domain action; a refused one shows the page again with the message beside the form
that was sent (POST-redirect-GET when it succeeds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kyocho.cases import actions as cases
from kyocho.cases import reviews
from kyocho.cases.conversation_queries import named_threads
from kyocho.cases.developer_queries import (
    DeveloperPart,
    SharedVulnerability,
    developer_parts,
    notified_participations,
    own_participations,
    reporters_shown,
    shared_vulnerabilities,
)
from kyocho.cases.models import Case, Participation
from kyocho.cases.queries import AnswerCell, get_case_by_reference, visible_participations
from kyocho.cases.workflow import AnswerStatus, NotAffectedJustification
from kyocho.core.clock import display_zone
from kyocho.core.errors import DomainError, InvalidInput, NotFound
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.models import Embargo
from kyocho.disclosure.queries import embargo_in_force, embargo_of, sees_every_participant, visible_extension_requests
from kyocho.public.web import not_found_as_404

DEVELOPERS_PER_PAGE = 50  # what partners see of a big case, a page at a time


@dataclass(frozen=True)
class Failure:
    """A refused change: which form it came from, the field at fault, the message and what was sent."""

    form: str
    field: str | None
    message: str
    data: QueryDict


def cell_key(cell: AnswerCell) -> str:
    return f"answer:{cell.participation.pk}:{cell.vulnerability.pk}:{cell.product}"


# --- Changes -------------------------------------------------------------------------------------


def _acknowledge(case: Case, participation: Participation, data: QueryDict, actor: Any) -> object:
    return cases.acknowledge_participation(participation.pk, actor=actor)


def _answer(case: Case, participation: Participation, data: QueryDict, actor: Any) -> object:
    status = data.get("status", "")
    return cases.record_answer(
        participation.pk,
        vulnerability_id=data.get("vulnerability_id", ""),  # type: ignore[arg-type]  # checked by the action
        product=data.get("product", ""),
        status=status,
        # The form always carries both fields; only the one the status needs is meant.
        justification=data.get("justification", "") if status == AnswerStatus.NOT_AFFECTED else "",
        fixed_version=data.get("fixed_version", "") if status == AnswerStatus.FIXED else "",
        actor=actor,
    )


def _statement(case: Case, participation: Participation, data: QueryDict, actor: Any) -> object:
    return reviews.save_statement(
        participation.pk,
        text_ja=data.get("text_ja", ""),
        text_en=data.get("text_en", ""),
        references=data.get("references", ""),
        actor=actor,
    )


def _extension(case: Case, participation: Participation, data: QueryDict, actor: Any) -> object:
    embargo = embargo_of(actor, case.pk)
    if embargo is None:
        raise InvalidInput(_("There is no agreed disclosure date to extend."), field="requested_end_at")
    return disclosure.request_extension(
        embargo.pk,
        organisation_id=participation.organisation_id,
        requested_end_at=local_instant(data.get("requested_end_at", ""), "requested_end_at"),
        reason=data.get("reason", ""),
        actor=actor,
    )


def local_instant(text: str, field: str) -> dt.datetime:
    """A ``datetime-local`` value, read in the display time zone."""
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=display_zone())
    except ValueError as error:
        raise InvalidInput(_("Enter a date and time."), field=field) from error


Change = Callable[[Case, Participation, QueryDict, Any], object]
# POST "action" → (the change, what the person is told, the part of the page to come back to).
CHANGES: dict[str, tuple[Change, Any, str]] = {
    "acknowledge": (_acknowledge, gettext_lazy("Thank you: receipt confirmed. You can now answer."), "answers"),
    "answer": (_answer, gettext_lazy("Answer saved. A coordinator will review it."), "answers"),
    "statement": (_statement, gettext_lazy("Statement saved. A coordinator will review it."), "statement"),
    "extension": (_extension, gettext_lazy("Your request was sent to the coordinators."), "disclosure"),
}


def _form_of(action: str, participation: Participation, data: QueryDict) -> str:
    """Which form on the page a refusal belongs to: an answer form names its cell itself."""
    if action == "answer":
        return str(data.get("form", ""))
    return f"{action}:{participation.pk}"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@not_found_as_404
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    if request.method != "POST":
        return _page(request, case)
    action = request.POST.get("action", "")
    if action not in CHANGES:
        messages.error(request, _("Unknown request."))
        return redirect("portal:case", case.reference)
    change, done, anchor = CHANGES[action]
    participation = _participation(request, case)
    try:
        change(case, participation, request.POST, request.user)
    except NotFound:
        raise
    except DomainError as error:
        failure = Failure(_form_of(action, participation, request.POST), error.field, error.message, request.POST)
        return _page(request, case, failure=failure, status=error.http_status)
    messages.success(request, str(done))
    return redirect(reverse("portal:case", args=[case.reference]) + f"#{anchor}-{participation.pk}")


def _participation(request: HttpRequest, case: Case) -> Participation:
    """The participation the form is about, among those the actor may see in this case (else 404)."""
    chosen = str(request.POST.get("participation", ""))
    participation = visible_participations(request.user, case).filter(pk=chosen).first() if chosen.isdigit() else None
    if participation is None:
        raise NotFound()
    return participation


# --- The page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormState:
    """A form on the page: its values (what was sent, when it was refused) and its errors."""

    values: dict[str, str]
    errors: dict[str, str]  # field of this form → message
    general: str  # a refusal that names none of this form's fields

    @property
    def messages(self) -> list[str]:
        """Every message, for where the form's fields are not shown."""
        return [message for message in [self.general, *self.errors.values()] if message]


def form_state(failure: Failure | None, form: str, defaults: dict[str, str]) -> FormState:
    if failure is None or failure.form != form:
        return FormState(defaults, {}, "")
    values = {name: str(failure.data.get(name, "")) for name in defaults}
    if failure.field in defaults:
        return FormState(values, {str(failure.field): failure.message}, "")
    return FormState(values, {}, failure.message)


@dataclass(frozen=True)
class CellForm:
    cell: AnswerCell
    key: str  # names the form in a refusal
    dom_id: str
    state: FormState
    open: bool  # the form starts unfolded: nothing answered yet, or refused


@dataclass(frozen=True)
class VulnerabilityPart:
    participation_id: int
    shared: SharedVulnerability
    cells: list[CellForm]
    new_product: CellForm | None  # an answer for a product not listed yet, once the developer may answer

    @property
    def heading_id(self) -> str:
        return f"{self.participation_id}-{self.shared.vulnerability.pk}"


@dataclass(frozen=True)
class OwnPart:
    """The actor's own developer in the case, with the forms the page shows for it (None: not shown)."""

    part: DeveloperPart
    vulnerabilities: list[VulnerabilityPart]
    statement: FormState
    acknowledge: FormState | None
    extension: FormState | None

    def form_keys(self) -> set[str]:
        pid = self.part.participation.pk
        cells = [form for item in self.vulnerabilities for form in [*item.cells, item.new_product] if form]
        shown = {"acknowledge": self.acknowledge, "statement": self.statement, "extension": self.extension}
        return {form.key for form in cells} | {f"{name}:{pid}" for name, state in shown.items() if state}


def _cell_form(cell: AnswerCell, dom_id: str, failure: Failure | None, *, open_when_new: bool = True) -> CellForm:
    key, answer = cell_key(cell), cell.answer
    # A listed product is fixed (a hidden field); only the "another product" form asks for one.
    defaults = {} if cell.product else {"product": ""}
    defaults |= {
        "status": answer.status if answer else "",
        "justification": answer.justification if answer else "",
        "fixed_version": answer.fixed_version if answer else "",
    }
    state = form_state(failure, key, defaults)
    return CellForm(cell, key, dom_id, state, open=bool(state.messages) or (answer is None and open_when_new))


def _vulnerability_part(part: DeveloperPart, shared: SharedVulnerability, failure: Failure | None) -> VulnerabilityPart:
    pid = part.participation.pk
    cells = [cell for cell in part.cells if cell.vulnerability.pk == shared.vulnerability.pk]
    prefix = f"cell-{pid}-{shared.vulnerability.pk}"
    named = [_cell_form(cell, f"{prefix}-{index}", failure) for index, cell in enumerate(cells) if cell.product]
    # The unnamed cell (no product listed for this developer yet) is the "another product" form.
    blank = next((cell for cell in cells if not cell.product), None)
    blank = blank or AnswerCell(part.participation, shared.vulnerability, "", "", None)
    # Folded away beside listed products; the one form to fill in when none is listed.
    new_product = _cell_form(blank, f"{prefix}-new", failure, open_when_new=not named) if part.may_answer else None
    return VulnerabilityPart(pid, shared, named, new_product)


def _own_part(
    part: DeveloperPart, shared: list[SharedVulnerability], failure: Failure | None, *, date_agreed: bool
) -> OwnPart:
    pid, statement = part.participation.pk, part.statement
    return OwnPart(
        part,
        [_vulnerability_part(part, item, failure) for item in shared],
        statement=form_state(
            failure,
            f"statement:{pid}",
            {
                "text_ja": statement.text_ja if statement else "",
                "text_en": statement.text_en if statement else "",
                "references": "\n".join(statement.references) if statement else "",
            },
        ),
        acknowledge=form_state(failure, f"acknowledge:{pid}", {}) if part.can_acknowledge else None,
        extension=(
            form_state(failure, f"extension:{pid}", {"requested_end_at": "", "reason": ""})
            if date_agreed and part.may_answer
            else None
        ),
    )


def _page(request: HttpRequest, case: Case, *, failure: Failure | None = None, status: int = 200) -> HttpResponse:
    actor = request.user
    shared = shared_vulnerabilities(actor, case)
    embargo = embargo_of(actor, case.pk)
    date_agreed = embargo_in_force(embargo)
    parts = developer_parts(actor, case, own_participations(actor, case))
    mine = [_own_part(part, shared, failure, date_agreed=date_agreed) for part in parts]
    everyone = sees_every_participant(actor, case)
    forms = {key for own in mine for key in own.form_keys()}
    context: dict[str, Any] = {
        "case": case,
        # A refusal for a form the page does not show (a cell gone meanwhile, a date no longer agreed).
        "unplaced_error": failure.message if failure is not None and failure.form not in forms else "",
        "vulnerabilities": shared,
        "mine": mine,
        "everyone": everyone,
        "reporters": reporters_shown(actor, case) if mine or everyone else [],
        "embargo": embargo,
        "embargo_in_force": date_agreed,
        "extension_requests": _extension_requests(actor, embargo) if mine else [],
        "answer_statuses": AnswerStatus.choices,
        "justifications": NotAffectedJustification.choices,
        "threads": named_threads(actor, case),
    }
    if everyone:
        context.update(_every_developer(request, case))
    return render(request, "portal/case_detail.html", context, status=status)


def _extension_requests(actor: Any, embargo: Embargo | None) -> list[Any]:
    return list(visible_extension_requests(actor, embargo)) if embargo is not None else []


def _every_developer(request: HttpRequest, case: Case) -> dict[str, Any]:
    """For partners: a page of the developers with their answers and statements, read-only."""
    shown = Paginator(notified_participations(request.user, case), DEVELOPERS_PER_PAGE).get_page(
        request.GET.get("developers")
    )
    ids = [participation.pk for participation in shown.object_list]
    page_rows = notified_participations(request.user, case).filter(pk__in=ids)
    return {"developer_page": shown, "developers": developer_parts(request.user, case, page_rows)}
