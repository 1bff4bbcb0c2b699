"""Case events P, X, A and breaches of the agreed date (§2.4)."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput
from kyocho.disclosure import actions
from kyocho.disclosure.models import Breach, CaseEvent
from kyocho.disclosure.queries import breach_count
from kyocho.disclosure.tests.helpers import audit_events, in_days, last_audit, refused_actor_params

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["P", "X"])
def test_public_or_exploit_ends_the_embargo_at_once(active, coordinator, kind) -> None:
    outcome = actions.record_case_event(
        active.case_id, kind=kind, evidence="https://example.com/post", actor=coordinator
    )

    assert outcome.embargo_ended is True
    assert outcome.may_end_embargo is False
    assert outcome.event.kind == kind
    active.refresh_from_db()
    assert active.status == "exited"
    assert f"case event {kind}" in active.exit_reason
    assert last_audit("case:event:recorded").data["kind"] == kind
    exited = last_audit("case:embargo:exited")
    assert exited.data["event"] == kind
    assert exited.seq > last_audit("case:event:recorded").seq  # same transaction, after the event


def test_public_during_a_revision_ends_the_embargo(active, coordinator) -> None:
    actions.propose_embargo(active.case_id, end_at=in_days(60), reason="later", actor=coordinator)
    assert actions.record_case_event(active.case_id, kind="P", evidence="blog", actor=coordinator).embargo_ended
    active.refresh_from_db()
    assert active.status == "exited"


def test_attacks_only_offer_to_end_the_embargo(active, coordinator) -> None:
    outcome = actions.record_case_event(active.case_id, kind="A", evidence="IDS logs", actor=coordinator)
    assert outcome.embargo_ended is False
    assert outcome.may_end_embargo is True
    active.refresh_from_db()
    assert active.status == "active"
    assert audit_events("case:embargo:exited") == []


def test_events_without_an_embargo_end_nothing(case, coordinator) -> None:
    outcome = actions.record_case_event(case.pk, kind="A", evidence="IDS logs", actor=coordinator)
    assert (outcome.embargo_ended, outcome.may_end_embargo) == (False, False)
    outcome = actions.record_case_event(case.pk, kind="P", evidence="blog", actor=coordinator)
    assert (outcome.embargo_ended, outcome.may_end_embargo) == (False, False)


def test_proposal_is_not_ended_by_p(proposed, coordinator) -> None:
    outcome = actions.record_case_event(proposed.case_id, kind="P", evidence="blog", actor=coordinator)
    assert outcome.embargo_ended is False
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_each_event_once_per_case(case, coordinator) -> None:
    actions.record_case_event(case.pk, kind="X", evidence="exploit-db", actor=coordinator)
    with pytest.raises(Conflict):
        actions.record_case_event(case.pk, kind="X", evidence="again", actor=coordinator)
    assert CaseEvent.objects.filter(case=case, kind="X").count() == 1


def test_an_event_may_be_dated_in_the_past(case, coordinator) -> None:
    when = (now() - dt.timedelta(days=2)).replace(microsecond=0)
    outcome = actions.record_case_event(case.pk, kind="P", evidence="blog", at=when, actor=coordinator)
    outcome.event.refresh_from_db()
    assert outcome.event.at == when
    assert outcome.event.recorded_by == coordinator


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "Q", "evidence": "x"}, "kind"),
        ({"kind": "P", "evidence": "  "}, "evidence"),
        ({"kind": "P", "evidence": "x", "at": "yesterday"}, "at"),
        ({"kind": "P", "evidence": "x", "at": dt.datetime(2020, 1, 1)}, "at"),  # noqa: DTZ001 - naive on purpose
        ({"kind": "P", "evidence": "x", "at": now() + dt.timedelta(hours=1)}, "at"),
    ],
)
def test_bad_events_are_refused(case, coordinator, arguments, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.record_case_event(case.pk, actor=coordinator, **arguments)
    assert refused.value.field == field
    assert not CaseEvent.objects.exists()


@refused_actor_params()
def test_only_coordinators_record_events(request, case, actor_name, error) -> None:
    with pytest.raises(error):
        actions.record_case_event(case.pk, kind="P", evidence="x", actor=request.getfixturevalue(actor_name))


# --- breaches ----------------------------------------------------------------------------------------


def test_a_breach_counts_against_the_organisation_and_makes_the_case_public(
    active, coordinator, vendor_org, second_vendor_org
) -> None:
    breach = actions.record_breach(
        active.case_id, organisation_id=vendor_org.pk, evidence="Their advisory went out early", actor=coordinator
    )

    assert breach.organisation == vendor_org
    assert breach.recorded_by == coordinator
    assert breach_count(vendor_org) == 1
    assert breach_count(second_vendor_org) == 0
    event = last_audit("case:breach:recorded")
    assert event.data["organisation"] == vendor_org.pk
    public = CaseEvent.objects.get(case_id=active.case_id, kind="P")
    assert public.evidence == "Their advisory went out early"
    active.refresh_from_db()
    assert active.status == "exited"

    # A second participant breaking the same date: counted too, P is not recorded again.
    actions.record_breach(active.case_id, organisation_id=second_vendor_org.pk, evidence="also", actor=coordinator)
    assert breach_count(second_vendor_org.pk) == 1
    assert CaseEvent.objects.filter(case_id=active.case_id, kind="P").count() == 1


def test_no_breach_without_an_agreed_date(proposed, coordinator, vendor_org) -> None:
    with pytest.raises(Conflict):
        actions.record_breach(proposed.case_id, organisation_id=vendor_org.pk, evidence="x", actor=coordinator)
    assert not Breach.objects.exists()


def test_a_breach_is_by_someone_asked_to_keep_the_date(active, coordinator, other_vendor_org) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.record_breach(active.case_id, organisation_id=other_vendor_org.pk, evidence="x", actor=coordinator)
    assert refused.value.field == "organisation_id"


def test_a_breach_needs_evidence(active, coordinator, vendor_org) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.record_breach(active.case_id, organisation_id=vendor_org.pk, evidence="", actor=coordinator)
    assert refused.value.field == "evidence"


@refused_actor_params()
def test_only_coordinators_record_breaches(request, active, vendor_org, actor_name, error) -> None:
    with pytest.raises(error):
        actions.record_breach(
            active.case_id, organisation_id=vendor_org.pk, evidence="x", actor=request.getfixturevalue(actor_name)
        )
    assert breach_count(vendor_org) == 0
