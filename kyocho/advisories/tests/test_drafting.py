"""Creating, editing, reviewing, approving and sharing an advisory draft."""

from __future__ import annotations

import pytest

from kyocho.advisories import actions
from kyocho.advisories.models import Advisory
from kyocho.advisories.tests.helpers import CONTENT, approved, content, draft, scheduled
from kyocho.core.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.tests.helpers import (
    REFUSED_ACTORS,
    REFUSED_ACTORS_HIDDEN,
    coordinating_case,
    everyone_consents,
    in_days,
    last_audit,
    refused_actor_params,
)

pytestmark = pytest.mark.django_db


# --- create ------------------------------------------------------------------------------------------


def test_a_domestic_case_gets_a_jvn_draft(case, coordinator) -> None:
    advisory = draft(case, coordinator)
    assert advisory.kind == "jvn"
    assert advisory.identifier.startswith("JVN#")
    assert advisory.status == "draft"
    assert advisory.revision == 0
    assert advisory.content == CONTENT
    assert advisory.created_by == coordinator
    event = last_audit("case:advisory:created")
    assert event.actor == coordinator
    assert event.data == {"case": case.pk, "identifier": advisory.identifier, "kind": "jvn"}


def test_an_international_case_gets_a_jvnvu_draft(coordinator, vendor_org) -> None:
    international = coordinating_case(coordinator, vendor_org, international=True)
    assert draft(international, coordinator).identifier.startswith("JVNVU#")


def test_a_technical_alert(case, coordinator) -> None:
    assert draft(case, coordinator, kind="jvnta").identifier.startswith("JVNTA#")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "cve"}, "kind"),
        ({"content": {"ja": {"exploit": "x"}}}, "content.ja.exploit"),
        ({"references": [{"url": "javascript:x"}]}, "references.0.url"),
    ],
)
def test_bad_drafts_are_refused(case, coordinator, arguments, field) -> None:
    arguments = {"content": CONTENT, **arguments}
    with pytest.raises(InvalidInput) as refused:
        actions.create_advisory(case.pk, actor=coordinator, **arguments)
    assert refused.value.field == field
    assert not Advisory.objects.exists()


def test_a_draft_may_start_without_titles(case, coordinator) -> None:
    advisory = actions.create_advisory(case.pk, content={"ja": {"overview": "未完成"}}, actor=coordinator)
    assert advisory.content == {"ja": {"overview": "未完成"}, "en": {}}
    with pytest.raises(InvalidInput) as refused:
        actions.submit_for_review(advisory.pk, actor=coordinator)
    assert refused.value.field == "content.ja.title"


@refused_actor_params()
def test_only_coordinators_create(request, case, actor_name, error) -> None:
    with pytest.raises(error):
        actions.create_advisory(case.pk, content=CONTENT, actor=request.getfixturevalue(actor_name))
    assert not Advisory.objects.exists()


# --- edit --------------------------------------------------------------------------------------------


def test_editing_a_draft(case, coordinator) -> None:
    advisory = draft(case, coordinator)
    advisory = actions.update_advisory_content(
        advisory.pk, content=content(en_impact="Script runs in the browser."), actor=coordinator
    )
    advisory.refresh_from_db()
    assert advisory.content["en"]["impact"] == "Script runs in the browser."
    assert advisory.references  # left alone when not given
    assert last_audit("case:advisory:updated").actor == coordinator


def test_editing_an_approved_advisory_sends_it_back_to_draft(case, coordinator) -> None:
    advisory = approved(case, coordinator)
    actions.share_draft_with_participants(advisory.pk, actor=coordinator)

    advisory = actions.update_advisory_content(advisory.pk, content=content(en_title="New"), actor=coordinator)

    assert advisory.status == "draft"
    assert advisory.shared_for_review is False
    assert last_audit("case:advisory:reopened").data["from"] == "approved"


def test_editing_a_scheduled_advisory_unschedules_it_first(active, coordinator) -> None:
    advisory = scheduled(active.case, coordinator)
    advisory = actions.update_advisory_content(advisory.pk, content=content(en_title="New"), actor=coordinator)
    assert advisory.status == "draft"
    assert advisory.scheduled_for is None
    assert last_audit("case:advisory:unscheduled").data["from"] == "scheduled"
    assert last_audit("case:advisory:reopened").data["from"] == "approved"


def test_an_advisory_in_review_is_not_edited(case, coordinator) -> None:
    advisory = draft(case, coordinator)
    actions.submit_for_review(advisory.pk, actor=coordinator)
    with pytest.raises(Conflict):
        actions.update_advisory_content(advisory.pk, content=content(en_title="New"), actor=coordinator)


def test_bad_edits_are_refused(case, coordinator) -> None:
    advisory = draft(case, coordinator)
    with pytest.raises(InvalidInput):
        actions.update_advisory_content(advisory.pk, content={"en": {"title": ["x"]}}, actor=coordinator)
    advisory.refresh_from_db()
    assert advisory.content == CONTENT


@refused_actor_params(REFUSED_ACTORS_HIDDEN)
def test_only_coordinators_edit(request, case, coordinator, actor_name, error) -> None:
    advisory = draft(case, coordinator)
    with pytest.raises(error):
        actions.update_advisory_content(advisory.pk, content=CONTENT, actor=request.getfixturevalue(actor_name))


def test_an_unknown_advisory_is_not_found(coordinator) -> None:
    with pytest.raises(NotFound):
        actions.approve(55555, actor=coordinator)
    with pytest.raises(NotFound):
        actions.approve("x", actor=coordinator)  # type: ignore[arg-type]


# --- review ------------------------------------------------------------------------------------------


def test_review_and_approval(case, coordinator, lead) -> None:
    advisory = draft(case, coordinator)
    advisory = actions.submit_for_review(advisory.pk, actor=coordinator)
    assert advisory.status == "in_review"
    assert last_audit("case:advisory:submitted").actor == coordinator

    advisory = actions.return_to_draft(advisory.pk, reason="Impact section is missing", actor=lead)
    assert advisory.status == "draft"
    returned = last_audit("case:advisory:returned")
    assert (returned.actor, returned.data["reason"]) == (lead, "Impact section is missing")

    actions.submit_for_review(advisory.pk, actor=coordinator)
    advisory = actions.approve(advisory.pk, actor=lead)
    assert advisory.status == "approved"
    assert last_audit("case:advisory:approved").actor == lead


def test_returning_needs_a_reason(case, coordinator) -> None:
    advisory = draft(case, coordinator)
    actions.submit_for_review(advisory.pk, actor=coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.return_to_draft(advisory.pk, reason="", actor=coordinator)
    assert refused.value.field == "reason"


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("submit", "in_review"),
        ("approve", "draft"),
        ("approve", "approved"),
        ("return", "draft"),
    ],
)
def test_forbidden_review_steps(case, coordinator, step, status) -> None:
    advisory = {"draft": draft, "approved": approved}.get(status, draft)(case, coordinator)
    if status == "in_review":
        actions.submit_for_review(advisory.pk, actor=coordinator)
    call = {
        "submit": lambda: actions.submit_for_review(advisory.pk, actor=coordinator),
        "approve": lambda: actions.approve(advisory.pk, actor=coordinator),
        "return": lambda: actions.return_to_draft(advisory.pk, reason="why", actor=coordinator),
    }[step]
    with pytest.raises(TransitionNotAllowed):
        call()


@refused_actor_params(REFUSED_ACTORS_HIDDEN)
def test_only_coordinators_review(request, case, coordinator, actor_name, error) -> None:
    actor = request.getfixturevalue(actor_name)
    advisory = draft(case, coordinator)
    with pytest.raises(error):
        actions.submit_for_review(advisory.pk, actor=actor)
    actions.submit_for_review(advisory.pk, actor=coordinator)
    with pytest.raises(error):
        actions.approve(advisory.pk, actor=actor)
    with pytest.raises(error):
        actions.return_to_draft(advisory.pk, reason="x", actor=actor)


# --- share -------------------------------------------------------------------------------------------


def test_sharing_an_approved_draft(case, coordinator) -> None:
    advisory = actions.share_draft_with_participants(approved(case, coordinator).pk, actor=coordinator)
    assert advisory.shared_for_review is True
    assert last_audit("case:advisory:shared").actor == coordinator
    with pytest.raises(Conflict):
        actions.share_draft_with_participants(advisory.pk, actor=coordinator)


def test_only_an_approved_draft_is_shared(case, coordinator) -> None:
    with pytest.raises(Conflict):
        actions.share_draft_with_participants(draft(case, coordinator).pk, actor=coordinator)


@refused_actor_params(REFUSED_ACTORS_HIDDEN)
def test_only_coordinators_share(request, case, coordinator, actor_name, error) -> None:
    advisory = approved(case, coordinator)
    with pytest.raises(error):
        actions.share_draft_with_participants(advisory.pk, actor=request.getfixturevalue(actor_name))


@refused_actor_params(REFUSED_ACTORS)
def test_participants_who_see_a_shared_draft_still_may_not_change_it(
    request, case, coordinator, actor_name, error
) -> None:
    advisory = actions.share_draft_with_participants(approved(case, coordinator).pk, actor=coordinator)
    with pytest.raises(error):
        actions.update_advisory_content(advisory.pk, content=CONTENT, actor=request.getfixturevalue(actor_name))


def test_a_revised_date_moves_scheduled_advisories(active, coordinator) -> None:
    advisory = scheduled(active.case, coordinator)
    assert advisory.scheduled_for == active.end_at
    new_date = in_days(60)
    disclosure.propose_embargo(active.case_id, end_at=new_date, reason="later", actor=coordinator)
    advisory.refresh_from_db()
    assert advisory.scheduled_for == active.end_at  # until the revision is agreed
    everyone_consents(active, coordinator)
    disclosure.activate_embargo(active.pk, actor=coordinator)
    advisory.refresh_from_db()
    assert advisory.scheduled_for == new_date
    assert last_audit("case:advisory:rescheduled").data["to"] == new_date.isoformat()
