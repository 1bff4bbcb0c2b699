"""Who sees which case, participation and answer (PRODUCT.md §1): anything else is 404."""

from __future__ import annotations

import pytest

from kyocho.cases import actions, queries
from kyocho.cases.tests.helpers import ParticipationWalk
from kyocho.cases.workflow import ParticipationStatus as P
from kyocho.conftest import submit_test_report
from kyocho.core.errors import NotFound
from kyocho.intake import actions as intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified_case(coordinator, vendor_org):
    case = actions.open_case(title="Identified only", actor=coordinator)
    participation = actions.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    return case, participation


def test_staff_see_every_case(coordinator, intake_staff, lead, case, identified_case) -> None:
    for actor in (coordinator, intake_staff, lead):
        assert set(queries.visible_cases(actor)) == {case, identified_case[0]}
        assert queries.get_participation(actor, identified_case[1].pk) == identified_case[1]


def test_developer_sees_a_case_only_once_notified(coordinator, vendor_member, identified_case) -> None:
    case, participation = identified_case
    with pytest.raises(NotFound):
        queries.get_case(vendor_member, case.pk)
    with pytest.raises(NotFound):
        queries.get_participation(vendor_member, participation.pk)
    actions.notify_participant(participation.pk, actor=coordinator)
    assert queries.get_case(vendor_member, case.pk) == case
    assert queries.get_participation(vendor_member, participation.pk) == participation


def test_developer_never_sees_another_developer(
    coordinator, case, participation, other_vendor_org, vendor_member, other_vendor_member
) -> None:
    other = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    actions.notify_participant(other.pk, actor=coordinator)
    assert list(queries.visible_participations(vendor_member, case)) == [participation]
    assert list(queries.visible_participations(other_vendor_member, case)) == [other]
    with pytest.raises(NotFound):
        queries.get_participation(vendor_member, other.pk)
    with pytest.raises(NotFound):
        queries.get_participation(other_vendor_member, participation.pk)


def test_developer_still_sees_its_case_on_the_unreachable_track(coordinator, lead, vendor_org, vendor_member) -> None:
    walk = ParticipationWalk(coordinator=coordinator, lead=lead, vendor_org=vendor_org)
    participation = walk.to(P.LISTED_NAME)
    assert queries.get_case(vendor_member, participation.case_id).pk == participation.case_id


def test_partner_sees_shared_cases_with_every_developer(
    coordinator, case, participation, other_vendor_org, partner_org, partner
) -> None:
    other = actions.add_participant(case.pk, organisation_id=other_vendor_org.pk, actor=coordinator)
    with pytest.raises(NotFound):
        queries.get_case(partner, case.pk)
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    assert queries.get_case(partner, case.pk) == case
    assert set(queries.visible_participations(partner, case)) == {participation, other}
    assert queries.get_participation(partner, other.pk) == other


def test_reporter_sees_the_case_of_an_accepted_report(coordinator, case, reporter) -> None:
    report = submit_test_report(reporter=reporter)
    with pytest.raises(NotFound):
        queries.get_case(reporter, case.pk)
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    assert queries.get_case(reporter, case.pk) == case
    assert list(queries.visible_participations(reporter, case)) == []


def test_reporter_does_not_see_the_case_of_a_duplicate(coordinator, case, reporter) -> None:
    report = submit_test_report(reporter=reporter)
    intake.mark_duplicate(report.pk, case_id=case.pk, actor=coordinator)
    with pytest.raises(NotFound):
        queries.get_case(reporter, case.pk)


def test_committee_member_and_anonymous_see_no_case(case, committee_member) -> None:
    assert list(queries.visible_cases(committee_member)) == []
    assert list(queries.visible_cases(None)) == []
    with pytest.raises(NotFound):
        queries.get_case(committee_member, case.pk)
    with pytest.raises(NotFound):
        queries.get_case(None, "not-a-number")


def test_committee_packets(coordinator, lead, vendor_org, committee_member, vendor_member) -> None:
    walk = ParticipationWalk(coordinator=coordinator, lead=lead, vendor_org=vendor_org)
    before = walk.to(P.LISTED_PRODUCT)
    packet = walk.to(P.COMMITTEE_REVIEW)
    decided = walk.to(P.HOLD)
    assert set(queries.committee_packets(committee_member)) == {packet, decided}
    assert before not in queries.committee_packets(lead)
    assert list(queries.committee_packets(coordinator)) == []
    assert list(queries.committee_packets(vendor_member)) == []


def test_contact_log_is_for_staff(coordinator, intake_staff, participation, vendor_member) -> None:
    assert len(queries.contact_attempts(coordinator, participation.pk)) == 1
    assert len(queries.contact_attempts(intake_staff, participation.pk)) == 1
    with pytest.raises(NotFound):
        queries.contact_attempts(vendor_member, participation.pk)
    with pytest.raises(NotFound):
        queries.contact_attempts(coordinator, 999_999)


def test_vulnerabilities_follow_the_case(coordinator, case, vendor_member, other_vendor_member) -> None:
    vulnerability = actions.add_vulnerability(case.pk, title="XSS", actor=coordinator)
    assert list(queries.visible_vulnerabilities(vendor_member, case)) == [vulnerability]
    with pytest.raises(NotFound):
        queries.visible_vulnerabilities(other_vendor_member, case)
