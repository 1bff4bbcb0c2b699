"""Members cannot switch off their last second factor; reporters can."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from kyocho.accounts.adapter import MfaAdapter
from kyocho.conftest import give_totp

pytestmark = pytest.mark.django_db


def totp_of(user) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)


def test_a_member_keeps_the_last_second_factor(coordinator) -> None:
    give_totp(coordinator)
    assert MfaAdapter().can_delete_authenticator(totp_of(coordinator)) is False


def test_a_member_with_another_factor_may_remove_one(coordinator) -> None:
    give_totp(coordinator)
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
    assert MfaAdapter().can_delete_authenticator(totp_of(coordinator)) is True


def test_a_reporter_may_switch_mfa_off(reporter) -> None:
    give_totp(reporter)
    assert MfaAdapter().can_delete_authenticator(totp_of(reporter)) is True


def test_allauths_deactivate_form_uses_the_rule(coordinator, reporter) -> None:
    from allauth.mfa.totp.forms import DeactivateTOTPForm

    for user in (coordinator, reporter):
        give_totp(user)
    assert DeactivateTOTPForm(data={}, authenticator=totp_of(coordinator)).is_valid() is False
    assert DeactivateTOTPForm(data={}, authenticator=totp_of(reporter)).is_valid() is True
