"""Who sees which advisory: staff all; participants shared drafts; everyone published ones, after the date."""

from __future__ import annotations

import pytest

from kyocho.advisories import actions
from kyocho.advisories.queries import case_advisories, get_advisory, public_advisories, visible_advisories
from kyocho.advisories.tests.helpers import approved, draft, published, scheduled
from kyocho.core.errors import NotFound

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["vendor_member", "second_vendor_member", "partner"]
OUTSIDERS = ["other_vendor_member", "reporter", "anonymous", "committee_member"]


@pytest.mark.parametrize("actor_name", ["coordinator", "intake_staff"])
def test_staff_see_every_advisory(request, case, coordinator, actor_name) -> None:
    drafts = {draft(case, coordinator), approved(case, coordinator)}
    assert set(visible_advisories(request.getfixturevalue(actor_name))) == drafts


@pytest.mark.parametrize("actor_name", PARTICIPANTS + OUTSIDERS)
def test_unshared_drafts_are_seen_by_no_one_else(request, case, coordinator, actor_name) -> None:
    actor = request.getfixturevalue(actor_name)
    hidden = approved(case, coordinator)
    draft(case, coordinator)
    assert list(visible_advisories(actor)) == []
    with pytest.raises(NotFound):
        get_advisory(actor, hidden.pk)


@pytest.mark.parametrize("actor_name", PARTICIPANTS)
def test_participants_see_the_drafts_shared_with_them(request, active, coordinator, actor_name) -> None:
    actor = request.getfixturevalue(actor_name)
    shared = actions.share_draft_with_participants(approved(active.case, coordinator).pk, actor=coordinator)
    assert get_advisory(actor, shared.pk) == shared
    actions.schedule_advisory(shared.pk, actor=coordinator)
    assert list(case_advisories(actor, active.case_id)) == [shared]  # still there once scheduled
    actions.update_advisory_content(shared.pk, content=shared.content, actor=coordinator)
    assert list(visible_advisories(actor)) == []  # back to draft: no longer shared


@pytest.mark.parametrize("actor_name", OUTSIDERS)
def test_outsiders_do_not_see_shared_drafts(request, case, coordinator, actor_name) -> None:
    shared = actions.share_draft_with_participants(approved(case, coordinator).pk, actor=coordinator)
    with pytest.raises(NotFound):
        get_advisory(request.getfixturevalue(actor_name), shared.pk)


@pytest.mark.parametrize("actor_name", PARTICIPANTS + OUTSIDERS)
def test_everyone_sees_published_advisories(request, case, coordinator, actor_name) -> None:
    advisory = published(case, coordinator)
    assert get_advisory(request.getfixturevalue(actor_name), advisory.pk) == advisory


def test_nothing_of_a_case_is_public_before_its_date(active, coordinator) -> None:
    scheduled(active.case, coordinator)
    assert list(public_advisories()) == []
    assert list(public_advisories(active.end_at)) == []  # not published yet: the scheduler has not run


def test_get_advisory_with_nonsense_is_not_found(coordinator) -> None:
    with pytest.raises(NotFound):
        get_advisory(coordinator, "JVN#1")
