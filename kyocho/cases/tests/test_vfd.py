"""Vultron vfd flags: V (aware = acknowledged), F (fix ready), D (fix deployed), in that order only."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from kyocho.cases import actions
from kyocho.cases.models import Participation
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.core.errors import Conflict, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_flags_in_order_by_the_developer(participation, vendor_member) -> None:
    actions.acknowledge_participation(participation.pk, actor=vendor_member)
    with audited() as names:
        ready = actions.set_fix_ready(participation.pk, actor=vendor_member)
    assert names == ["case:participant:fix_ready"]
    assert ready.fix_ready_at is not None
    assert last_event("case:participant:fix_ready").data["flag"] == "F"
    with audited() as names:
        deployed = actions.set_fix_deployed(participation.pk, actor=vendor_member)
    assert names == ["case:participant:fix_deployed"]
    assert deployed.fix_deployed_at is not None


def test_coordinator_may_set_flags(coordinator, participation) -> None:
    actions.acknowledge_participation(participation.pk, actor=coordinator)
    actions.set_fix_ready(participation.pk, actor=coordinator)
    assert actions.set_fix_deployed(participation.pk, actor=coordinator).fix_deployed_at is not None


def test_fix_ready_needs_vendor_aware(participation, vendor_member) -> None:
    with audited() as names, pytest.raises(Conflict, match=r"Vendor aware.*\(V\)"):
        actions.set_fix_ready(participation.pk, actor=vendor_member)
    assert names == []


def test_fix_deployed_needs_fix_ready(participation, vendor_member) -> None:
    actions.acknowledge_participation(participation.pk, actor=vendor_member)
    with pytest.raises(Conflict, match=r"Fix ready.*\(F\)"):
        actions.set_fix_deployed(participation.pk, actor=vendor_member)


def test_flags_are_set_once(participation, vendor_member) -> None:
    actions.acknowledge_participation(participation.pk, actor=vendor_member)
    actions.set_fix_ready(participation.pk, actor=vendor_member)
    with pytest.raises(Conflict, match="already set"):
        actions.set_fix_ready(participation.pk, actor=vendor_member)
    actions.set_fix_deployed(participation.pk, actor=vendor_member)
    with pytest.raises(Conflict, match="already set"):
        actions.set_fix_deployed(participation.pk, actor=vendor_member)


def test_flag_permissions(
    coordinator, participation, vendor_member, other_vendor_member, partner_org, partner, intake_staff
) -> None:
    actions.acknowledge_participation(participation.pk, actor=vendor_member)
    with pytest.raises(NotFound):
        actions.set_fix_ready(participation.pk, actor=other_vendor_member)
    with pytest.raises(PermissionDenied):
        actions.set_fix_ready(participation.pk, actor=intake_staff)
    actions.share_case_with_partner(participation.case_id, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(PermissionDenied):  # partners see the developer list, but speak for no developer
        actions.set_fix_ready(participation.pk, actor=partner)


def test_the_database_keeps_the_order_too(participation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.filter(pk=participation.pk).update(fix_deployed_at=participation.notified_at)
