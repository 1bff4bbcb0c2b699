"""allauth hooks: members may not remove their last second factor (MFA is mandatory for them)."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator

from kyocho.accounts.permissions import needs_mfa


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if not needs_mfa(authenticator.user):
            return super().can_delete_authenticator(authenticator)
        others = (
            Authenticator.objects.filter(user=authenticator.user)
            .exclude(pk=authenticator.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
        )
        return others.exists()
