"""Every (state, target) pair of the outbound email table."""

from __future__ import annotations

import itertools

import pytest

from kyocho.core.errors import TransitionNotAllowed
from kyocho.messaging.workflow import EMAIL, EmailStatus

ALLOWED = {
    ("pending", "sending"),
    ("sending", "sent"),
    ("sending", "pending"),
    ("sending", "failed"),
    ("sent", "bounced"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(EmailStatus.values, repeat=2)))
def test_every_pair(current: str, target: str) -> None:
    if (current, target) in ALLOWED:
        EMAIL.check(current, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            EMAIL.check(current, target)


def test_failed_and_bounced_are_final() -> None:
    assert EMAIL.final_states() == {EmailStatus.FAILED, EmailStatus.BOUNCED}
