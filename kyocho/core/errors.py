"""Domain errors: raised by actions, translated once per interface (page, API, CLI).

Each carries a message a person can read in the active language (gettext) and an HTTP status the
API maps it to.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _


class DomainError(Exception):
    http_status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """An argument is missing, malformed or out of range."""


class NotFound(DomainError):
    """The object does not exist or the actor may not see it: the two are never told apart."""

    http_status = 404
    code = "not_found"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."))


class PermissionDenied(DomainError):
    """The actor can see the object but may not do this to it."""

    http_status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request is well-formed but the object's state does not allow it."""

    http_status = 409
    code = "conflict"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"

    def __init__(self, machine: str, current: str, target: str, allowed: Iterable[str]) -> None:
        allowed = sorted(allowed)
        self.machine, self.current, self.target, self.allowed = machine, current, target, allowed
        if allowed:
            message = _(
                "%(machine)s cannot go from “%(current)s” to “%(target)s”; allowed from “%(current)s”: %(allowed)s."
            ) % {
                "machine": machine,
                "current": current,
                "target": target,
                "allowed": ", ".join(allowed),
            }
        else:
            message = _("%(machine)s cannot go from “%(current)s” to “%(target)s”; “%(current)s” is final.") % {
                "machine": machine,
                "current": current,
                "target": target,
            }
        super().__init__(message)
