"""The unreachable track (連絡不能) and the disclosure review committee (PRODUCT.md §2.3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kyocho.cases import actions
from kyocho.cases.tests.helpers import audited, frozen_at, last_event, log_attempts_until_unreachable
from kyocho.cases.workflow import ParticipationStatus as P
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def rules(settings):
    settings.KYOCHO = {
        **settings.KYOCHO,
        "UNREACHABLE_MIN_ATTEMPTS": 3,
        "UNREACHABLE_MIN_DAYS": 30,
        "UNREACHABLE_MIN_CHANNELS": 2,
        "UNREACHABLE_STAGE2_DAYS": 90,
    }
    return settings.KYOCHO


def attempt(participation, channel, at, actor):
    with frozen_at(at):
        actions.log_contact_attempt(participation.pk, channel=channel, outcome="no_answer", note="", at=at, actor=actor)


# --- the rule ------------------------------------------------------------------------------------


def test_unreachable_needs_attempts_days_and_channels(rules, coordinator, participation) -> None:
    start = participation.notified_at  # the portal notice is attempt 1
    with pytest.raises(Conflict) as refused:
        actions.mark_unreachable(participation.pk, actor=coordinator)
    message = refused.value.message
    assert "1 of 3 contact attempts" in message
    assert "spanning 0 of 30 days" in message
    assert "1 of 2 different channels" in message

    attempt(participation, "portal", start + 10 * DAY, coordinator)
    attempt(participation, "portal", start + 30 * DAY, coordinator)
    with frozen_at(start + 30 * DAY), pytest.raises(Conflict) as refused:
        actions.mark_unreachable(participation.pk, actor=coordinator)
    assert "contact attempts" not in refused.value.message
    assert "days" not in refused.value.message
    assert "1 of 2 different channels" in refused.value.message

    attempt(participation, "phone", start + 30 * DAY, coordinator)
    with frozen_at(start + 30 * DAY), audited() as names:
        actions.mark_unreachable(participation.pk, actor=coordinator)
    assert names == ["case:participant:unreachable"]
    assert last_event("case:participant:unreachable").data | {"organisation": 0} == {
        "organisation": 0,
        "from": "notified",
        "attempts": 4,
        "days": 30,
        "channels": 2,
    }


def test_span_one_day_short_is_refused(rules, coordinator, participation) -> None:
    start = participation.notified_at
    attempt(participation, "email", start + 29 * DAY, coordinator)
    attempt(participation, "phone", start + 29 * DAY + dt.timedelta(hours=23), coordinator)
    with frozen_at(start + 40 * DAY), pytest.raises(Conflict, match="spanning 29 of 30 days"):
        actions.mark_unreachable(participation.pk, actor=coordinator)


def test_rule_follows_the_settings(settings, coordinator, participation) -> None:
    settings.KYOCHO = {
        **settings.KYOCHO,
        "UNREACHABLE_MIN_ATTEMPTS": 1,
        "UNREACHABLE_MIN_DAYS": 1,
        "UNREACHABLE_MIN_CHANNELS": 1,
    }
    with pytest.raises(Conflict, match="spanning 0 of 1 days"):
        actions.mark_unreachable(participation.pk, actor=coordinator)
    attempt(participation, "portal", participation.notified_at + DAY, coordinator)
    with frozen_at(participation.notified_at + DAY):
        actions.mark_unreachable(participation.pk, actor=coordinator)


def test_mark_unreachable_permissions(rules, coordinator, participation, vendor_member, intake_staff, partner) -> None:
    with frozen_at(participation.notified_at + 31 * DAY):
        log_attempts_until_unreachable(participation, actor=coordinator)
        with pytest.raises(PermissionDenied):
            actions.mark_unreachable(participation.pk, actor=vendor_member)
        with pytest.raises(PermissionDenied):
            actions.mark_unreachable(participation.pk, actor=intake_staff)
        with pytest.raises(NotFound):
            actions.mark_unreachable(participation.pk, actor=partner)


def test_an_acknowledged_developer_is_not_unreachable(rules, coordinator, participation) -> None:
    actions.acknowledge_participation(participation.pk, actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.mark_unreachable(participation.pk, actor=coordinator)


# --- listing stages ------------------------------------------------------------------------------


def test_stage_one_then_stage_two_after_the_wait(rules, walk, coordinator) -> None:
    participation = walk.to(P.UNREACHABLE)
    with audited() as names:
        listed = actions.list_developer_name(participation.pk, actor=coordinator)
    assert names == ["case:participant:listed_name"]
    assert listed.listed_at is not None
    almost = listed.listed_at + 90 * DAY - dt.timedelta(minutes=1)
    with time_machine.travel(almost, tick=False), pytest.raises(Conflict, match="90 days after") as refused:
        actions.list_developer_product(participation.pk, actor=coordinator)
    assert "JST" in refused.value.message  # the earliest moment is shown with its zone
    with time_machine.travel(listed.listed_at + 90 * DAY, tick=False), audited() as names:
        product = actions.list_developer_product(participation.pk, actor=coordinator)
    assert names == ["case:participant:listed_product"]
    assert product.product_listed_at == listed.listed_at + 90 * DAY
    assert product.listed_at == listed.listed_at


def test_stage_two_wait_follows_the_settings(settings, walk, coordinator) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "UNREACHABLE_STAGE2_DAYS": 10}
    participation = walk.to(P.LISTED_NAME)
    with time_machine.travel(participation.listed_at + 10 * DAY, tick=False):
        actions.list_developer_product(participation.pk, actor=coordinator)


def test_listing_permissions(walk, vendor_member, intake_staff) -> None:
    unreachable = walk.to(P.UNREACHABLE)
    with pytest.raises(PermissionDenied):
        actions.list_developer_name(unreachable.pk, actor=vendor_member)
    listed = walk.to(P.LISTED_NAME)
    with pytest.raises(PermissionDenied):
        actions.list_developer_product(listed.pk, actor=intake_staff)


# --- committee -----------------------------------------------------------------------------------


def test_refer_after_stage_two_needs_no_reason(walk, coordinator) -> None:
    participation = walk.to(P.LISTED_PRODUCT)
    with audited() as names:
        referred = actions.refer_to_committee(participation.pk, actor=coordinator)
    assert names == ["case:participant:committee_review"]
    assert referred.status == P.COMMITTEE_REVIEW


def test_coordination_impossible_goes_to_the_committee_with_a_reason(walk, coordinator) -> None:
    participation = walk.to(P.ACKNOWLEDGED)
    with pytest.raises(InvalidInput) as refused:
        actions.refer_to_committee(participation.pk, reason="  ", actor=coordinator)
    assert refused.value.field == "reason"
    referred = actions.refer_to_committee(participation.pk, reason="refuses to fix", actor=coordinator)
    assert (referred.status, referred.committee_referral_reason) == (P.COMMITTEE_REVIEW, "refuses to fix")
    assert last_event("case:participant:committee_review").data["reason"] == "refuses to fix"


def test_a_held_decision_can_be_referred_again(walk, coordinator) -> None:
    participation = walk.to(P.HOLD)
    assert participation.committee_decided_at is not None
    with pytest.raises(InvalidInput):
        actions.refer_to_committee(participation.pk, actor=coordinator)
    again = actions.refer_to_committee(participation.pk, reason="new facts", actor=coordinator)
    assert (again.status, again.committee_decision_reason, again.committee_decided_at) == (P.COMMITTEE_REVIEW, "", None)


def test_refer_permissions(walk, vendor_member) -> None:
    participation = walk.to(P.LISTED_PRODUCT)
    with pytest.raises(PermissionDenied):
        actions.refer_to_committee(participation.pk, actor=vendor_member)


@pytest.mark.parametrize("decision", [P.PUBLISH_WITHOUT_VENDOR, P.HOLD])
def test_committee_member_decides(walk, committee_member, decision) -> None:
    participation = walk.to(P.COMMITTEE_REVIEW)
    with audited() as names:
        decided = actions.record_committee_decision(
            participation.pk, decision=decision, reason=" no answer for months ", actor=committee_member
        )
    assert names == [f"case:participant:{decision}"]
    assert (decided.status, decided.committee_decision_reason) == (decision, "no answer for months")
    assert decided.committee_decided_at is not None


def test_committee_decision_refusals(walk, coordinator, lead, committee_member, vendor_member, partner) -> None:
    participation = walk.to(P.COMMITTEE_REVIEW)
    with pytest.raises(InvalidInput) as refused:
        actions.record_committee_decision(participation.pk, decision="closed", reason="r", actor=lead)
    assert refused.value.field == "decision"
    with pytest.raises(InvalidInput) as refused:
        actions.record_committee_decision(participation.pk, decision=P.HOLD, reason="", actor=lead)
    assert refused.value.field == "reason"
    with pytest.raises(PermissionDenied, match="committee member or a lead"):
        actions.record_committee_decision(participation.pk, decision=P.HOLD, reason="r", actor=coordinator)
    with pytest.raises(PermissionDenied):  # the developer sees its own participation
        actions.record_committee_decision(participation.pk, decision=P.HOLD, reason="r", actor=vendor_member)
    with pytest.raises(NotFound):
        actions.record_committee_decision(participation.pk, decision=P.HOLD, reason="r", actor=partner)
    before_committee = walk.to(P.LISTED_PRODUCT)
    with pytest.raises(NotFound):  # not a packet put before the committee
        actions.record_committee_decision(before_committee.pk, decision=P.HOLD, reason="r", actor=committee_member)
    with pytest.raises(TransitionNotAllowed):
        actions.record_committee_decision(before_committee.pk, decision=P.HOLD, reason="r", actor=lead)
    decided = walk.to(P.PUBLISH_WITHOUT_VENDOR)
    with pytest.raises(TransitionNotAllowed):
        actions.record_committee_decision(decided.pk, decision=P.HOLD, reason="r", actor=committee_member)


# --- the developer answers after all -------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "was_listed"),
    [
        (P.UNREACHABLE, False),
        (P.LISTED_NAME, True),
        (P.LISTED_PRODUCT, True),
        (P.COMMITTEE_REVIEW, True),
        (P.PUBLISH_WITHOUT_VENDOR, True),
        (P.HOLD, True),
    ],
)
def test_developer_responded_withdraws_the_listing(walk, vendor_member, state, was_listed) -> None:
    participation = walk.to(state)
    with audited() as names:
        back = actions.developer_responded(participation.pk, actor=vendor_member)
    expected = ["case:participant:acknowledged"] + (["case:participant:listing_withdrawn"] if was_listed else [])
    assert names == expected
    assert back.status == P.ACKNOWLEDGED
    assert (back.listed_at, back.product_listed_at) == (None, None)
    assert back.acknowledged_at is not None


def test_developer_responded_after_coordination_impossible_keeps_first_contact(walk, coordinator) -> None:
    participation = walk.to(P.ACKNOWLEDGED)
    first = participation.acknowledged_at
    actions.refer_to_committee(participation.pk, reason="refuses to fix", actor=coordinator)
    with audited() as names:
        back = actions.developer_responded(participation.pk, actor=coordinator)
    assert names == ["case:participant:acknowledged"]
    assert back.acknowledged_at == first


def test_developer_responded_only_from_the_unreachable_track(
    walk, coordinator, vendor_member, other_vendor_member
) -> None:
    notified = walk.to(P.NOTIFIED)
    with pytest.raises(Conflict, match="unreachable track"):
        actions.developer_responded(notified.pk, actor=coordinator)
    listed = walk.to(P.LISTED_NAME)
    with pytest.raises(NotFound):
        actions.developer_responded(listed.pk, actor=other_vendor_member)
