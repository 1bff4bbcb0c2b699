"""Setting up people and organisations from the command line (``createstaff``, ``demo``), through the
real actions, so every row has its audit event. ``actor=None``: the system itself does it."""

from __future__ import annotations

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Membership, Organisation, User


def ensure_organisation(name: str, kind: str) -> Organisation:
    existing = Organisation.objects.filter(kind=kind, name=name).first()
    return existing or accounts.create_organisation(name, kind=kind, actor=None)


def ensure_membership(user: User, organisation: Organisation, role: str) -> None:
    if not Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
        accounts.add_member(organisation.pk, user_id=user.pk, role=role, actor=None)
