"""Accounts and memberships created many at a time (a notification gives hundreds of contacts portal
access): checked like one at a time, all or none, each audited."""

from __future__ import annotations

import pytest

from kyocho.accounts import actions
from kyocho.accounts.models import Membership, Organisation, User
from kyocho.accounts.roles import Role
from kyocho.audit.models import AuditEvent
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_accounts_without_a_password_are_created_together_and_audited() -> None:
    users = actions.create_users([("A@Vendor.example", " A ", "en"), ("b@vendor.example", "B", "ja")], actor=None)
    assert [(u.email, u.display_name, u.preferred_language) for u in users] == [
        ("a@vendor.example", "A", "en"),
        ("b@vendor.example", "B", "ja"),
    ]
    assert not any(User.objects.get(pk=user.pk).has_usable_password() for user in users)
    created = AuditEvent.objects.filter(name="accounts:user:created")
    assert sorted(created.values_list("data__email", flat=True)) == ["a@vendor.example", "b@vendor.example"]


@pytest.mark.parametrize(
    ("people", "error", "field"),
    [
        ([("not an address", "", "en")], InvalidInput, "email"),
        ([("a@vendor.example", "", "fr")], InvalidInput, "language"),
        ([("a@vendor.example", "", "en"), ("A@vendor.example", "", "en")], InvalidInput, "email"),
        ([("b@vendor.example", "", "en"), ("TAKEN@vendor.example", "", "en")], Conflict, "email"),
    ],
)
def test_one_bad_account_refuses_them_all(people, error, field) -> None:
    actions.create_user("taken@vendor.example", actor=None)
    before = User.objects.count()
    with pytest.raises(error) as refused:
        actions.create_users(people, actor=None)
    assert refused.value.field == field
    assert User.objects.count() == before


def test_memberships_are_added_together(vendor_org: Organisation, other_vendor_org: Organisation) -> None:
    a, b = actions.create_users([("a@vendor.example", "", "en"), ("b@vendor.example", "", "en")], actor=None)
    pairs = [(vendor_org.pk, a.pk), (vendor_org.pk, b.pk), (other_vendor_org.pk, a.pk)]
    memberships = actions.add_memberships(pairs, role=Role.VENDOR_MEMBER, actor=None)
    assert [(m.organisation_id, m.user_id) for m in memberships] == pairs
    assert AuditEvent.objects.filter(name="accounts:membership:added").count() == 3
    with pytest.raises(Conflict):  # one of them is already a member: none is added
        actions.add_memberships(
            [(other_vendor_org.pk, b.pk), (vendor_org.pk, a.pk)], role=Role.VENDOR_MEMBER, actor=None
        )
    assert not Membership.objects.filter(organisation=other_vendor_org, user=b).exists()


def test_membership_refusals(vendor_org: Organisation, partner_org: Organisation, vendor_member: User) -> None:
    (user,) = actions.create_users([("c@vendor.example", "", "en")], actor=None)
    with pytest.raises(InvalidInput):  # a vendor role in a partner team
        actions.add_memberships(
            [(vendor_org.pk, user.pk), (partner_org.pk, user.pk)], role=Role.VENDOR_MEMBER, actor=None
        )
    with pytest.raises(NotFound):
        actions.add_memberships([(vendor_org.pk, 999_999)], role=Role.VENDOR_MEMBER, actor=None)
    with pytest.raises(PermissionDenied):  # a plain member may not add members
        actions.add_memberships([(vendor_org.pk, user.pk)], role=Role.VENDOR_MEMBER, actor=vendor_member)
    assert not Membership.objects.filter(user=user).exists()
