"""Transition tables: the state machines of PRODUCT.md §2 as data.

A table maps each state to the states it may move to. Actions call ``table.check(old, new)`` before
they change anything; tests walk every (state, target) pair of every table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import TextChoices
from django.utils.functional import Promise

from kyocho.core.errors import TransitionNotAllowed

S = TypeVar("S", bound=TextChoices)


@dataclass(frozen=True, eq=False)  # tables are compared by identity
class TransitionTable(Generic[S]):
    name: str | Promise
    states: type[S]
    allowed: Mapping[S, frozenset[S]]

    def __post_init__(self) -> None:
        missing = set(self.states) - set(self.allowed)
        if missing:
            raise ValueError(f"{self.name}: no row for {sorted(missing)}")

    def targets(self, current: str) -> frozenset[S]:
        return self.allowed[self.states(current)]

    def can(self, current: str, target: str) -> bool:
        return self.states(target) in self.targets(current)

    def check(self, current: str, target: str) -> None:
        """Raise TransitionNotAllowed naming the current state and what is allowed from it."""
        if not self.can(current, target):
            raise TransitionNotAllowed(
                str(self.name),
                self.label(current),
                self.label(target),
                [self.label(state) for state in self.targets(current)],
            )

    def label(self, state: str) -> str:
        return f"{self.states(state).label} ({state})"

    def final_states(self) -> frozenset[S]:
        return frozenset(state for state, targets in self.allowed.items() if not targets)


def table(name: str | Promise, states: type[S], rows: Mapping[S, set[S] | frozenset[S]]) -> TransitionTable[S]:
    return TransitionTable(name, states, {state: frozenset(targets) for state, targets in rows.items()})
