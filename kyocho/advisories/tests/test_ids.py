"""Advisory identifiers: the configured pattern, random digits, unique, drawn again on a collision."""

from __future__ import annotations

import itertools
import re

import pytest

from kyocho.advisories import ids
from kyocho.advisories.tests.helpers import draft
from kyocho.core.env import ConfigError
from kyocho.core.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "shape"), [("jvn", r"JVN#\d{8}"), ("jvnvu", r"JVNVU#\d{8}"), ("jvnta", r"JVNTA#\d{8}")]
)
def test_default_patterns(kind, shape) -> None:
    assert re.fullmatch(shape, ids.allocate_identifier(kind))


def test_numbers_are_random_not_sequential() -> None:
    numbers = sorted(int(ids.allocate_identifier("jvn")[4:]) for _ in range(20))
    assert len(set(numbers)) == 20
    assert any(later - earlier > 1 for earlier, later in itertools.pairwise(numbers))


def test_a_collision_draws_again(case, coordinator, monkeypatch) -> None:
    taken = draft(case, coordinator, kind="jvn").identifier
    draws = iter([taken[4:], taken[4:], "12345678"])
    monkeypatch.setattr(ids, "random_digits", lambda count: next(draws))
    assert ids.allocate_identifier("jvn") == "JVN#12345678"


def test_endless_collisions_give_up(case, coordinator, monkeypatch) -> None:
    taken = draft(case, coordinator, kind="jvn").identifier
    monkeypatch.setattr(ids, "random_digits", lambda count: taken[4:])
    with pytest.raises(Conflict):
        ids.allocate_identifier("jvn")


def test_the_pattern_is_configurable(settings) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "ADVISORY_ID_PATTERNS": {"jvn": "KYO-{digits8}-JP"}}
    assert re.fullmatch(r"KYO-\d{8}-JP", ids.allocate_identifier("jvn"))


def test_a_pattern_without_digits_is_a_configuration_error(settings) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "ADVISORY_ID_PATTERNS": {"jvn": "JVN#"}}
    with pytest.raises(ConfigError):
        ids.allocate_identifier("jvn")


def test_unknown_kind() -> None:
    with pytest.raises(InvalidInput) as refused:
        ids.allocate_identifier("cve")
    assert refused.value.field == "kind"
