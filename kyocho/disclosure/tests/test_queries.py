"""Who sees the embargo, the consents, the extension requests, the events and the breaches of a case."""

from __future__ import annotations

import pytest

from kyocho.core.errors import NotFound
from kyocho.disclosure import actions, queries
from kyocho.disclosure.tests.helpers import in_days

pytestmark = pytest.mark.django_db

SEES_THE_CASE = ["coordinator", "intake_staff", "vendor_member", "second_vendor_member", "partner"]
DOES_NOT = ["other_vendor_member", "reporter", "anonymous", "committee_member"]


@pytest.mark.parametrize("actor_name", SEES_THE_CASE)
def test_the_embargo_is_seen_by_those_who_see_the_case(request, proposed, actor_name) -> None:
    actor = request.getfixturevalue(actor_name)
    assert queries.embargo_of(actor, proposed.case_id) == proposed
    assert queries.get_embargo(actor, proposed.pk) == proposed
    assert list(queries.case_events(actor, proposed.case_id)) == []


@pytest.mark.parametrize("actor_name", DOES_NOT)
def test_nobody_else_sees_it(request, proposed, actor_name) -> None:
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(NotFound):
        queries.embargo_of(actor, proposed.case_id)
    with pytest.raises(NotFound):
        queries.get_embargo(actor, proposed.pk)
    with pytest.raises(NotFound):
        queries.visible_consents(actor, proposed)
    with pytest.raises(NotFound):
        queries.case_events(actor, proposed.case_id)


def test_no_embargo_before_a_proposal(case, coordinator) -> None:
    assert queries.embargo_of(coordinator, case.pk) is None
    with pytest.raises(NotFound):
        queries.get_embargo(coordinator, "nonsense")


def test_a_developer_sees_only_its_own_consent(proposed, vendor_member, vendor_org) -> None:
    consents = list(queries.visible_consents(vendor_member, proposed))
    assert [consent.organisation_id for consent in consents] == [vendor_org.pk]


@pytest.mark.parametrize("actor_name", ["coordinator", "intake_staff", "partner"])
def test_staff_and_partners_see_every_consent(request, proposed, actor_name) -> None:
    assert queries.visible_consents(request.getfixturevalue(actor_name), proposed).count() == 3


def test_extension_requests_are_seen_by_staff_and_their_developer(
    active, coordinator, vendor_member, vendor_org, second_vendor_member, partner
) -> None:
    actions.request_extension(
        active.pk, organisation_id=vendor_org.pk, requested_end_at=in_days(60), reason="why", actor=vendor_member
    )
    assert queries.visible_extension_requests(coordinator, active).count() == 1
    assert queries.visible_extension_requests(vendor_member, active).count() == 1
    assert queries.visible_extension_requests(second_vendor_member, active).count() == 0
    assert queries.visible_extension_requests(partner, active).count() == 0


def test_breaches_are_for_staff_only(active, coordinator, vendor_org, vendor_member) -> None:
    actions.record_breach(active.case_id, organisation_id=vendor_org.pk, evidence="early post", actor=coordinator)
    assert queries.visible_breaches(coordinator, active.case_id).count() == 1
    with pytest.raises(NotFound):
        queries.visible_breaches(vendor_member, active.case_id)
    assert [event.kind for event in queries.case_events(vendor_member, active.case_id)] == ["P"]
