"""The Supplier and Coordinator Publish rules against CERT/CC's published tables, row by row."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest

from kyocho.cases import ssvc
from kyocho.core.errors import InvalidInput
from kyocho.core.reference_testing import reference_path
from kyocho.core.ssvc import Decision

TABLES: dict[str, tuple[Decision[Any], str]] = {
    "supplier": (ssvc.SUPPLIER, "supplier_patch_development_priority_1_0_0.json"),
    "coordinator_publish": (ssvc.COORDINATOR_PUBLISH, "coordinator_publish_decision_table_1_0_0.json"),
}


def reference(name: str) -> dict[str, Any]:
    return json.loads(reference_path("ssvc", TABLES[name][1]).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TABLES)
def test_decision_points_match_the_reference(name: str) -> None:
    decision, table = TABLES[name][0], reference(name)
    outcome = table["outcome"]
    published = {key: point for key, point in table["decision_points"].items() if key != outcome}
    assert set(published) == {point.vector_key for point in decision.points.values()}
    for point in decision.points.values():
        assert {value["key"] for value in published[point.vector_key]["values"]} == set(point.ssvc_values.values())
        assert set(point.ssvc_values) == set(point.choices.values)
    assert outcome == decision.outcome.vector_key
    outcome_keys = {value["key"] for value in table["decision_points"][outcome]["values"]}
    assert outcome_keys == set(decision.outcome.ssvc_values.values())


@pytest.mark.parametrize("name", TABLES)
def test_every_row_of_the_reference_table(name: str) -> None:
    decision, table = TABLES[name][0], reference(name)
    outcome = table["outcome"]
    rows = table["mapping"]
    # The table is complete: every combination of inputs exactly once.
    assert len(rows) == math.prod(len(point.choices.values) for point in decision.points.values())
    assert len({json.dumps(row, sort_keys=True) for row in rows}) == len(rows)
    wrong = []
    for row in rows:
        vector = {key: value for key, value in row.items() if key != outcome}
        inputs = decision.inputs_from_vector(vector)
        result = decision.decide(inputs)
        if decision.outcome_key(result) != row[outcome]:
            wrong.append((inputs, result, row[outcome]))
        assert decision.vector(inputs) == vector
    assert wrong == []


@pytest.mark.parametrize("name", TABLES)
def test_every_outcome_is_reachable(name: str) -> None:
    decision = TABLES[name][0]
    names = list(decision.points)
    combinations = itertools.product(*(decision.points[point].choices.values for point in names))
    outcomes = {decision.decide(dict(zip(names, values, strict=True))) for values in combinations}
    assert outcomes == set(decision.outcome.choices)


SUPPLIER_INPUTS = {
    "exploitation": "public_poc",
    "utility": "efficient",
    "technical_impact": "total",
    "public_safety_impact": "minimal",
}


def test_a_public_exploit_with_total_impact_is_fixed_out_of_cycle() -> None:
    assert ssvc.SUPPLIER.decide(SUPPLIER_INPUTS) == ssvc.PatchPriority.OUT_OF_CYCLE


def test_being_first_to_publish_is_always_worth_it() -> None:
    for involvement in ssvc.SupplierInvolvement.values:
        inputs = {"supplier_involvement": involvement, "exploitation": "none", "public_value_added": "precedence"}
        assert ssvc.COORDINATOR_PUBLISH.decide(inputs) == ssvc.PublishDecision.PUBLISH


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({**SUPPLIER_INPUTS, "technical_impact": "T"}, "technical_impact"),
        ({**SUPPLIER_INPUTS, "exploitation": None}, "exploitation"),
        ({key: value for key, value in SUPPLIER_INPUTS.items() if key != "utility"}, "utility"),
        ({**SUPPLIER_INPUTS, "public_value_added": "limited"}, "public_value_added"),
    ],
)
def test_inputs_outside_the_table_name_the_field(inputs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ssvc.SUPPLIER.decide(inputs)
    assert refused.value.field == field


def test_a_vector_with_unknown_values_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        ssvc.COORDINATOR_PUBLISH.inputs_from_vector({"ssvc:SINV:1.0.0": "XX"})
    assert refused.value.field == "supplier_involvement"
