from __future__ import annotations

from typing import Any

import pytest

from kyocho.cases.models import Case, Participation
from kyocho.cases.tests.helpers import ParticipationWalk, walk_to_coordinating


@pytest.fixture
def walk(coordinator: Any, lead: Any, vendor_org: Any) -> ParticipationWalk:
    return ParticipationWalk(coordinator=coordinator, lead=lead, vendor_org=vendor_org)


@pytest.fixture
def coordinating(coordinator: Any, vendor_org: Any) -> tuple[Case, Participation]:
    return walk_to_coordinating(coordinator, vendor_org)


@pytest.fixture
def case(coordinating: tuple[Case, Participation]) -> Case:
    return coordinating[0]


@pytest.fixture
def participation(coordinating: tuple[Case, Participation]) -> Participation:
    return coordinating[1]
