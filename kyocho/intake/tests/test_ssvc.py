"""The triage rules against CERT/CC's published Coordinator Triage 1.0.0 table, row by row."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from kyocho.core.errors import InvalidInput
from kyocho.core.reference_testing import reference_path
from kyocho.intake import ssvc
from kyocho.intake.workflow import TriageDecision

REFERENCE = reference_path("ssvc", "coordinator_triage_1_0_0.json")


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def ours_from_ssvc(row: dict[str, str]) -> dict[str, str]:
    inputs = {}
    for name, point in ssvc.DECISION_POINTS.items():
        by_key = {key: value for value, key in point.ssvc_values.items()}
        inputs[name] = by_key[row[f"ssvc:{point.ssvc_key}:{point.ssvc_version}"]]
    return inputs


def test_decision_points_match_the_reference(reference: dict[str, Any]) -> None:
    outcome = reference["outcome"]
    inputs = {name: point for name, point in reference["decision_points"].items() if name != outcome}
    assert set(inputs) == {f"ssvc:{p.ssvc_key}:{p.ssvc_version}" for p in ssvc.DECISION_POINTS.values()}
    for point in ssvc.DECISION_POINTS.values():
        published = inputs[f"ssvc:{point.ssvc_key}:{point.ssvc_version}"]
        assert {value["key"] for value in published["values"]} == set(point.ssvc_values.values())
        assert set(point.ssvc_values) == set(point.choices.values)
    assert {value["key"] for value in reference["decision_points"][outcome]["values"]} == set(
        ssvc.DECISION_SSVC_KEYS.values()
    )


def test_every_row_of_the_reference_table(reference: dict[str, Any]) -> None:
    outcome = reference["outcome"]
    rows = reference["mapping"]
    assert len(rows) == 2 * 2 * 2 * 2 * 2 * 3 * 2  # the table is complete: every combination once
    wrong = []
    for row in rows:
        inputs = ours_from_ssvc(row)
        decision = ssvc.coordinator_triage(inputs)
        if ssvc.DECISION_SSVC_KEYS[decision] != row[outcome]:
            wrong.append((inputs, decision, row[outcome]))
        assert ssvc.ssvc_vector(inputs) == {key: value for key, value in row.items() if key != outcome}
    assert wrong == []


def test_every_combination_has_a_decision() -> None:
    names = list(ssvc.DECISION_POINTS)
    combinations = itertools.product(*(ssvc.DECISION_POINTS[name].choices.values for name in names))
    decisions = {ssvc.coordinator_triage(dict(zip(names, values, strict=True))) for values in combinations}
    assert decisions == set(TriageDecision)


VALID = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "one",
    "supplier_engagement": "unresponsive",
    "utility": "efficient",
    "public_safety_impact": "minimal",
}


def test_a_credible_report_the_supplier_ignores_is_coordinated() -> None:
    assert ssvc.coordinator_triage(VALID) == TriageDecision.COORDINATE


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({**VALID, "utility": "Y"}, "utility"),
        ({**VALID, "report_public": True}, "report_public"),
        ({key: value for key, value in VALID.items() if key != "public_safety_impact"}, "public_safety_impact"),
        ({**VALID, "exploitation": "active"}, "exploitation"),
    ],
)
def test_bad_inputs_name_the_field(inputs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ssvc.coordinator_triage(inputs)
    assert refused.value.field == field


def test_inputs_must_be_a_mapping() -> None:
    with pytest.raises(InvalidInput) as refused:
        ssvc.coordinator_triage(["no", "yes"])  # type: ignore[arg-type]
    assert refused.value.field == "inputs"
