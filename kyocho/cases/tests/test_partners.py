"""Sharing a case with a partner coordinator team."""

from __future__ import annotations

import pytest

from kyocho.cases import actions, queries
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.cases.workflow import CaseResolution
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_share_and_unshare(coordinator, case, partner_org, partner) -> None:
    with audited() as names:
        shared = actions.share_case_with_partner(
            case.pk, organisation_id=partner_org.pk, tracking_id=" VU#123456 ", actor=coordinator
        )
    assert names == ["case:partner:shared"]
    assert shared.tracking_id == "VU#123456"
    assert last_event("case:partner:shared").data == {"organisation": partner_org.pk, "tracking_id": "VU#123456"}
    assert queries.get_case(partner, case.pk) == case
    with audited() as names:
        actions.unshare_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    assert names == ["case:partner:unshared"]
    with pytest.raises(NotFound):
        queries.get_case(partner, case.pk)


def test_share_refusals(coordinator, case, partner_org, vendor_org, intake_staff, partner) -> None:
    with pytest.raises(NotFound, match="partner"):
        actions.share_case_with_partner(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    with pytest.raises(InvalidInput) as refused:
        actions.share_case_with_partner(
            case.pk, organisation_id=partner_org.pk, tracking_id="x" * 101, actor=coordinator
        )
    assert refused.value.field == "tracking_id"
    with pytest.raises(PermissionDenied):
        actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=intake_staff)
    with pytest.raises(NotFound):
        actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=partner)
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(Conflict, match="already shared"):
        actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    with pytest.raises(PermissionDenied):  # now the partner sees it, but sharing is the coordinator's
        actions.unshare_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=partner)


def test_unshare_what_is_not_shared(coordinator, case, partner_org) -> None:
    with pytest.raises(NotFound, match="not shared"):
        actions.unshare_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)


def test_no_sharing_of_a_closed_case(coordinator, case, partner_org) -> None:
    actions.close_case(case.pk, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed"):
        actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
