"""Advisory identifiers (JVN#…, JVNVU#…, JVNTA#…): random digits in a configurable pattern.

Numbers are random, never sequential, so an identifier tells nothing about how many advisories
there are or in which order they were written.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from kyocho.advisories.models import Advisory
from kyocho.core.env import ConfigError
from kyocho.core.errors import Conflict, InvalidInput
from kyocho.core.ids import random_digits

PLACEHOLDER = "{digits8}"
# With 10^8 numbers per kind a collision is rare; this many in a row means something is wrong.
ATTEMPTS = 20


def pattern_for(kind: str) -> str:
    patterns = settings.KYOCHO["ADVISORY_ID_PATTERNS"]
    if kind not in patterns:
        raise InvalidInput(_("Unknown advisory kind."), field="kind")
    pattern = patterns[kind]
    if PLACEHOLDER not in pattern:
        raise ConfigError(f"the advisory id pattern for {kind!r} ({pattern!r}) must contain {PLACEHOLDER}")
    return pattern


def allocate_identifier(kind: str) -> str:
    """An identifier no advisory has yet, drawn at random; drawn again on a collision."""
    pattern = pattern_for(kind)
    for _attempt in range(ATTEMPTS):
        candidate = pattern.replace(PLACEHOLDER, random_digits(8))
        if not Advisory.objects.filter(identifier=candidate).exists():
            return candidate
    raise Conflict(_("No free advisory identifier was found; try again."))
