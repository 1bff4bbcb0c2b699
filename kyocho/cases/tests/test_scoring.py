"""CVSS scores are computed by the cvss library from the vector."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kyocho.cases.scoring import InvalidVector, Severity, cvss31_score, cvss40_score


def test_cvss31_score() -> None:
    score = cvss31_score("CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert score.base_score == Decimal("9.8")
    assert score.severity == Severity.CRITICAL
    assert score.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # canonical order


def test_cvss31_low_and_none() -> None:
    assert cvss31_score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N").severity == Severity.LOW
    none = cvss31_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")
    assert (none.base_score, none.severity) == (Decimal("0.0"), Severity.NONE)


def test_cvss40_score() -> None:
    score = cvss40_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    assert (score.base_score, score.severity) == (Decimal("9.3"), Severity.CRITICAL)
    medium = cvss40_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N")
    assert medium.severity in {Severity.LOW, Severity.MEDIUM}


@pytest.mark.parametrize(
    ("vector", "reason"),
    [
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/"),
        ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 'Unknown value "X"'),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", 'Missing mandatory metrics "A"'),
    ],
)
def test_bad_cvss31_vectors_carry_the_reason(vector, reason) -> None:
    with pytest.raises(InvalidVector, match=reason):
        cvss31_score(vector)


@pytest.mark.parametrize("vector", ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N", "9.8"])
def test_bad_cvss40_vectors(vector) -> None:
    with pytest.raises(InvalidVector) as refused:
        cvss40_score(vector)
    assert str(refused.value)
