"""The machinery every SSVC decision of kyocho shares: decision points, input checks, SSVC vectors.

Each decision (intake's Coordinator Triage, a vulnerability's Supplier and Coordinator Publish
decisions) is written where it is used as readable rules; this module gives them one way to name
their inputs, to check them, and to write and read them as SSVC ``namespace:key:version`` vectors.
Decision points used by more than one decision are defined here once.

Inputs are stored with readable values (``"public_poc"``, not ``"P"``); each point's ``ssvc_values``
maps them to SSVC value keys for exchange with other SSVC tools.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyocho.core.errors import InvalidInput

Outcome = TypeVar("Outcome", bound=models.TextChoices)


@dataclass(frozen=True)
class DecisionPoint:
    label: str | Promise
    choices: type[models.TextChoices]
    ssvc_key: str
    ssvc_version: str
    ssvc_values: Mapping[str, str]  # our value → SSVC value key

    @property
    def vector_key(self) -> str:
        return f"ssvc:{self.ssvc_key}:{self.ssvc_version}"


@dataclass(frozen=True)
class Decision(Generic[Outcome]):
    """One SSVC decision table: its inputs, its outcome group and the rules that decide."""

    label: str | Promise
    points: Mapping[str, DecisionPoint]
    outcome: DecisionPoint  # the outcome group, whose choices are ``Outcome``
    rules: Callable[[Mapping[str, str]], Outcome]  # gets clean inputs

    def clean(self, inputs: Any) -> dict[str, str]:
        return clean_inputs(self.points, inputs)

    def decide(self, inputs: Mapping[str, str]) -> Outcome:
        return self.rules(self.clean(inputs))

    def vector(self, inputs: Mapping[str, str]) -> dict[str, str]:
        """The inputs as SSVC ``namespace:key:version`` → value key, as other SSVC tools write them."""
        values = self.clean(inputs)
        return {point.vector_key: point.ssvc_values[values[name]] for name, point in self.points.items()}

    def inputs_from_vector(self, vector: Mapping[str, str]) -> dict[str, str]:
        """The readable inputs of an SSVC vector (the other way round); unknown keys or values are refused."""
        inputs = {}
        for name, point in self.points.items():
            by_key = {key: value for value, key in point.ssvc_values.items()}
            value = by_key.get(vector.get(point.vector_key, ""))
            if value is None:
                raise InvalidInput(
                    _("The SSVC vector gives no valid value for “%(label)s”.") % {"label": point.label}, field=name
                )
            inputs[name] = value
        return inputs

    def outcome_key(self, outcome: str) -> str:
        return self.outcome.ssvc_values[outcome]


def clean_inputs(points: Mapping[str, DecisionPoint], inputs: Any) -> dict[str, str]:
    """Every decision point exactly once with one of its values; a clear error names the first fault."""
    if not isinstance(inputs, Mapping):
        raise InvalidInput(_("Give the SSVC inputs as a set of named values."), field="inputs")
    unknown = sorted(set(inputs) - set(points), key=str)
    if unknown:
        raise InvalidInput(
            _("“%(name)s” is not an input of this SSVC decision.") % {"name": unknown[0]}, field=str(unknown[0])
        )
    clean = {}
    for name, point in points.items():
        value = inputs.get(name)
        if value not in point.choices.values:
            raise InvalidInput(
                _("Choose a value for “%(label)s”: %(allowed)s.")
                % {"label": point.label, "allowed": ", ".join(point.choices.values)},
                field=name,
            )
        clean[name] = str(value)
    return clean


# --- Decision points shared by several decisions -------------------------------------------------


class YesNo(models.TextChoices):
    YES = "yes", gettext_lazy("Yes")
    NO = "no", gettext_lazy("No")


class Exploitation(models.TextChoices):
    NONE = "none", gettext_lazy("None")
    PUBLIC_POC = "public_poc", gettext_lazy("Public proof of concept")
    ACTIVE = "active", gettext_lazy("Active")


class Utility(models.TextChoices):
    LABORIOUS = "laborious", gettext_lazy("Laborious")
    EFFICIENT = "efficient", gettext_lazy("Efficient")
    SUPER_EFFECTIVE = "super_effective", gettext_lazy("Super effective")


class PublicSafetyImpact(models.TextChoices):
    MINIMAL = "minimal", gettext_lazy("Minimal")
    SIGNIFICANT = "significant", gettext_lazy("Significant")


EXPLOITATION = DecisionPoint(
    gettext_lazy("Exploitation"),
    Exploitation,
    "E",
    "1.1.0",
    {Exploitation.NONE: "N", Exploitation.PUBLIC_POC: "P", Exploitation.ACTIVE: "A"},
)
UTILITY = DecisionPoint(
    gettext_lazy("Utility"),
    Utility,
    "U",
    "1.0.1",
    {Utility.LABORIOUS: "L", Utility.EFFICIENT: "E", Utility.SUPER_EFFECTIVE: "S"},
)
PUBLIC_SAFETY_IMPACT = DecisionPoint(
    gettext_lazy("Public safety impact"),
    PublicSafetyImpact,
    "PSI",
    "2.0.1",
    {PublicSafetyImpact.MINIMAL: "M", PublicSafetyImpact.SIGNIFICANT: "S"},
)
