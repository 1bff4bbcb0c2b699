"""Building case state through the real actions, for this app's tests and for other apps' tests.

Nothing here sets a status: every step is the action a person would take, with time moved by
time_machine where the process makes people wait.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import time_machine
from django.conf import settings

from kyocho.audit.models import AuditEvent
from kyocho.cases import actions
from kyocho.cases.models import Case, Participation
from kyocho.cases.workflow import ContactChannel, ContactOutcome, ParticipationStatus
from kyocho.conftest import coordinating_case
from kyocho.core.clock import now

P = ParticipationStatus


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def walk_to_coordinating(
    coordinator: Any, vendor_org: Any, *, title: str = "Stored XSS in the admin page"
) -> tuple[Case, Participation]:
    """A new case with ``vendor_org`` notified: the case is coordinating and its 起算日 is now."""
    case = coordinating_case(coordinator, vendor_org, title=title)
    return case, case.participations.get()


def log_attempts_until_unreachable(participation: Participation, *, actor: Any) -> None:
    """Add attempts, later than the notification by the minimum span, over enough other channels to
    meet the unreachable rule. Call it with the clock at or after that moment."""
    rules = settings.KYOCHO
    assert participation.notified_at is not None
    at = participation.notified_at + dt.timedelta(days=rules["UNREACHABLE_MIN_DAYS"])
    others = [channel for channel in ContactChannel.values if channel != ContactChannel.PORTAL]
    extra = max(rules["UNREACHABLE_MIN_ATTEMPTS"] - 1, rules["UNREACHABLE_MIN_CHANNELS"] - 1, 1)
    for index in range(extra):
        actions.log_contact_attempt(
            participation.pk,
            channel=others[index % len(others)],
            outcome=ContactOutcome.NO_ANSWER,
            note="",
            at=at - dt.timedelta(minutes=index),  # attempts on one channel at one instant count as one
            actor=actor,
        )


@contextmanager
def audited() -> Iterator[list[str]]:
    """The names of the audit events written inside the block, in order (none when an action is refused)."""
    start = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    names: list[str] = []
    yield names
    names.extend(AuditEvent.objects.filter(seq__gt=start).order_by("seq").values_list("name", flat=True))


def last_event(name: str) -> AuditEvent:
    event = AuditEvent.objects.filter(name=name).order_by("seq").last()
    assert event is not None, f"no audit event {name}"
    return event


class ParticipationWalk:
    """Walks a fresh participation (in a new case) to any state through the real actions.

    The walk starts far enough in the past that every wait of the process (the unreachable span, the
    stage-2 listing) is over by today, so the test continues at the real current time.
    """

    def __init__(self, *, coordinator: Any, lead: Any, vendor_org: Any) -> None:
        self.coordinator, self.lead, self.vendor_org = coordinator, lead, vendor_org
        rules = settings.KYOCHO
        self.clock = now() - dt.timedelta(days=rules["UNREACHABLE_MIN_DAYS"] + rules["UNREACHABLE_STAGE2_DAYS"] + 30)

    # state: (the state before it, the step that gets there)
    def _steps(self) -> dict[str, tuple[str | None, Callable[[Participation], Any]]]:
        coordinator = self.coordinator
        return {
            P.IDENTIFIED: (None, lambda p: None),
            P.NOTIFIED: (P.IDENTIFIED, lambda p: actions.notify_participant(p.pk, actor=coordinator)),
            P.ACKNOWLEDGED: (P.NOTIFIED, lambda p: actions.acknowledge_participation(p.pk, actor=coordinator)),
            P.CLOSED: (P.IDENTIFIED, lambda p: actions.close_participation(p.pk, actor=coordinator)),
            P.UNREACHABLE: (P.NOTIFIED, self._declare_unreachable),
            P.LISTED_NAME: (P.UNREACHABLE, lambda p: actions.list_developer_name(p.pk, actor=coordinator)),
            P.LISTED_PRODUCT: (P.LISTED_NAME, self._list_product),
            P.COMMITTEE_REVIEW: (P.LISTED_PRODUCT, lambda p: actions.refer_to_committee(p.pk, actor=coordinator)),
            P.PUBLISH_WITHOUT_VENDOR: (P.COMMITTEE_REVIEW, self._decide(P.PUBLISH_WITHOUT_VENDOR)),
            P.HOLD: (P.COMMITTEE_REVIEW, self._decide(P.HOLD)),
        }

    def to(self, state: str) -> Participation:
        steps = self._steps()
        path = []
        current: str | None = state
        while current is not None:
            previous, step = steps[current]
            path.append(step)
            current = previous
        with frozen_at(self.clock):
            case = actions.open_case(title="Walked case", actor=self.coordinator)
            participation = actions.add_participant(case.pk, organisation_id=self.vendor_org.pk, actor=self.coordinator)
        for step in reversed(path):
            with frozen_at(self.clock):
                step(participation)
            participation.refresh_from_db()
            self.clock += dt.timedelta(days=1)
        assert participation.status == state
        return participation

    def _declare_unreachable(self, participation: Participation) -> None:
        participation.refresh_from_db()
        self.clock += dt.timedelta(days=settings.KYOCHO["UNREACHABLE_MIN_DAYS"])
        with frozen_at(self.clock):
            log_attempts_until_unreachable(participation, actor=self.coordinator)
            actions.mark_unreachable(participation.pk, actor=self.coordinator)

    def _list_product(self, participation: Participation) -> None:
        participation.refresh_from_db()
        assert participation.listed_at is not None
        self.clock = participation.listed_at + dt.timedelta(days=settings.KYOCHO["UNREACHABLE_STAGE2_DAYS"])
        with frozen_at(self.clock):
            actions.list_developer_product(participation.pk, actor=self.coordinator)

    def _decide(self, decision: str) -> Callable[[Participation], None]:
        def decide(participation: Participation) -> None:
            actions.record_committee_decision(
                participation.pk, decision=decision, reason="Reviewed by the committee", actor=self.lead
            )

        return decide
