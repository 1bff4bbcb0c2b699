"""CVSS scores, always computed from the vector by the ``cvss`` library and never typed by a person.

Pure functions: no database, no settings. A bad vector raises ``InvalidVector`` carrying the
library's own explanation of what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from django.db import models
from django.utils.translation import gettext_lazy as _

CVSS31_PREFIX = "CVSS:3.1/"
CVSS40_PREFIX = "CVSS:4.0/"


class Severity(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


@dataclass(frozen=True)
class Score:
    vector: str  # the vector in the specification's canonical metric order
    base_score: Decimal
    severity: Severity


class InvalidVector(ValueError):
    """The vector does not parse; ``str(error)`` is the library's reason."""


def cvss31_score(vector: str) -> Score:
    # The library also reads 3.0 vectors; this field holds 3.1 only, so the prefix is checked first.
    if not vector.startswith(CVSS31_PREFIX):
        raise InvalidVector(f'A CVSS v3.1 vector starts with "{CVSS31_PREFIX}"')
    try:
        parsed = CVSS3(vector)
    except CVSSError as error:
        raise InvalidVector(str(error)) from error
    return Score(parsed.clean_vector(), Decimal(parsed.base_score), _severity(parsed.severities()[0]))


def cvss40_score(vector: str) -> Score:
    try:
        parsed = CVSS4(vector)
    except CVSSError as error:
        raise InvalidVector(str(error)) from error
    # CVSS4 gives a float with one decimal; going through str keeps it exactly that.
    return Score(parsed.clean_vector(), Decimal(str(parsed.base_score)), _severity(parsed.severity))


def _severity(label: str) -> Severity:
    return Severity(label.lower())
