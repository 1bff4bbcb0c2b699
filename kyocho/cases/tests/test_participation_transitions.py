"""Every transition of the participation table is reachable through an action, and every action
refuses to act from a state the table does not allow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kyocho.cases import actions
from kyocho.cases.models import Participation
from kyocho.cases.tests.helpers import ParticipationWalk, audited, frozen_at, log_attempts_until_unreachable
from kyocho.cases.workflow import PARTICIPATION, UNREACHABLE_TRACK
from kyocho.cases.workflow import ParticipationStatus as P
from kyocho.core.clock import now
from kyocho.core.errors import Conflict

pytestmark = pytest.mark.django_db

Action = Callable[[ParticipationWalk, Participation], Any]


# The action a person takes to reach each target. Committee review gets a reason because 調整不能 and
# re-referral need one.
ACTIONS: dict[str, Action] = {
    "notify_participant": lambda w, p: actions.notify_participant(p.pk, actor=w.coordinator),
    "acknowledge_participation": lambda w, p: actions.acknowledge_participation(p.pk, actor=w.coordinator),
    "developer_responded": lambda w, p: actions.developer_responded(p.pk, actor=w.coordinator),
    "close_participation": lambda w, p: actions.close_participation(p.pk, actor=w.coordinator),
    "mark_unreachable": lambda w, p: actions.mark_unreachable(p.pk, actor=w.coordinator),
    "list_developer_name": lambda w, p: actions.list_developer_name(p.pk, actor=w.coordinator),
    "list_developer_product": lambda w, p: actions.list_developer_product(p.pk, actor=w.coordinator),
    "refer_to_committee": lambda w, p: actions.refer_to_committee(p.pk, reason="review", actor=w.coordinator),
    "publish_without_vendor": lambda w, p: actions.record_committee_decision(
        p.pk, decision=P.PUBLISH_WITHOUT_VENDOR, reason="r", actor=w.lead
    ),
    "hold": lambda w, p: actions.record_committee_decision(p.pk, decision=P.HOLD, reason="r", actor=w.lead),
}


def _after_enough_attempts(walk: ParticipationWalk, participation: Participation) -> dt.datetime:
    assert participation.notified_at is not None
    moment = participation.notified_at + dt.timedelta(days=31)
    with frozen_at(moment):
        log_attempts_until_unreachable(participation, actor=walk.coordinator)
    return moment


def _after_the_stage_two_wait(walk: ParticipationWalk, participation: Participation) -> dt.datetime:
    assert participation.listed_at is not None
    return participation.listed_at + dt.timedelta(days=90)


# What happens in real life before these actions may succeed: attempts logged, waits waited.
# Each returns the moment to act at.
PREPARE: dict[str, Callable[[ParticipationWalk, Participation], dt.datetime]] = {
    "mark_unreachable": _after_enough_attempts,
    "list_developer_product": _after_the_stage_two_wait,
}


TARGET_OF = {
    "notify_participant": P.NOTIFIED,
    "acknowledge_participation": P.ACKNOWLEDGED,
    "developer_responded": P.ACKNOWLEDGED,
    "close_participation": P.CLOSED,
    "mark_unreachable": P.UNREACHABLE,
    "list_developer_name": P.LISTED_NAME,
    "list_developer_product": P.LISTED_PRODUCT,
    "refer_to_committee": P.COMMITTEE_REVIEW,
    "publish_without_vendor": P.PUBLISH_WITHOUT_VENDOR,
    "hold": P.HOLD,
}


def allowed_from(action: str, state: str) -> bool:
    target = TARGET_OF[action]
    if action == "developer_responded":  # only the way back from the unreachable track
        return state in UNREACHABLE_TRACK and PARTICIPATION.can(state, target)
    return PARTICIPATION.can(state, target)


def allowed_pairs():
    for action in ACTIONS:
        for state in P.values:
            if allowed_from(action, state):
                yield pytest.param(action, state, id=f"{action}:{state}")


def test_every_table_transition_has_an_action() -> None:
    covered = {(state, TARGET_OF[action]) for action in ACTIONS for state in P.values if allowed_from(action, state)}
    table = {(state, target) for state in P.values for target in PARTICIPATION.targets(state)}
    assert covered == table


@pytest.mark.parametrize(("action", "state"), list(allowed_pairs()))
def test_action_moves_the_participation(walk, action, state) -> None:
    participation = walk.to(state)
    moment = PREPARE[action](walk, participation) if action in PREPARE else now()
    with frozen_at(moment), audited() as names:
        ACTIONS[action](walk, participation)
    participation.refresh_from_db()
    assert participation.status == TARGET_OF[action]
    assert f"case:participant:{TARGET_OF[action]}" in names


@pytest.mark.parametrize("state", P.values)
def test_actions_refused_from_the_wrong_state(walk, state) -> None:
    """One walk per state: a refused action rolls back, so the same participation serves every action."""
    participation = walk.to(state)
    refused = [action for action in ACTIONS if not allowed_from(action, state)]
    assert refused
    for action in refused:
        with audited() as names, pytest.raises(Conflict):
            ACTIONS[action](walk, participation)
        participation.refresh_from_db()
        assert (action, participation.status, names) == (action, state, [])
