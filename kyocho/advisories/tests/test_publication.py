"""Scheduling advisories for the disclosure date and publishing them at that instant; revisions and withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from kyocho.advisories import actions
from kyocho.advisories.models import Advisory, AdvisoryRevision
from kyocho.advisories.queries import public_advisories, visible_advisories
from kyocho.advisories.tasks import publish_due_advisories_task
from kyocho.advisories.tests.helpers import approved, content, draft, published, scheduled
from kyocho.cases.models import Case
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, PermissionDenied, TransitionNotAllowed
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.tests.helpers import (
    REFUSED_ACTORS,
    REFUSED_ACTORS_HIDDEN,
    audit_events,
    coordinating_case,
    everyone_consents,
    in_days,
    last_audit,
    refused_actor_params,
)

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)


def status_of(advisory: Advisory) -> str:
    advisory.refresh_from_db()
    return advisory.status


# --- schedule ----------------------------------------------------------------------------------------


def test_scheduling_binds_the_advisory_to_the_embargo_end(active, coordinator) -> None:
    advisory = actions.schedule_advisory(approved(active.case, coordinator).pk, actor=coordinator)
    assert advisory.status == "scheduled"
    assert advisory.scheduled_for == active.end_at
    assert last_audit("case:advisory:scheduled").data["scheduled_for"] == active.end_at.isoformat()


def test_scheduling_during_a_revision_uses_the_agreed_date(active, coordinator) -> None:
    disclosure.propose_embargo(active.case_id, end_at=in_days(60), reason="later", actor=coordinator)
    advisory = actions.schedule_advisory(approved(active.case, coordinator).pk, actor=coordinator)
    assert advisory.scheduled_for == active.end_at


@pytest.mark.parametrize("embargo", ["none", "proposed", "exited"])
def test_scheduling_needs_a_date_in_force(request, coordinator, embargo) -> None:
    if embargo == "none":
        case = request.getfixturevalue("case")
    else:
        state = request.getfixturevalue("proposed" if embargo == "proposed" else "active")
        if embargo == "exited":
            disclosure.exit_embargo(state.pk, reason="public", actor=coordinator)
        case = state.case
    advisory = approved(case, coordinator)
    with pytest.raises(Conflict):
        actions.schedule_advisory(advisory.pk, actor=coordinator)
    assert status_of(advisory) == "approved"


def test_scheduling_after_the_date_passed_is_refused(active, coordinator, time_machine) -> None:
    advisory = approved(active.case, coordinator)
    time_machine.move_to(active.end_at)
    with pytest.raises(Conflict):
        actions.schedule_advisory(advisory.pk, actor=coordinator)


def test_only_an_approved_advisory_is_scheduled(active, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.schedule_advisory(draft(active.case, coordinator).pk, actor=coordinator)


def test_unscheduling(active, coordinator) -> None:
    advisory = actions.unschedule(scheduled(active.case, coordinator).pk, actor=coordinator)
    assert advisory.status == "approved"
    assert advisory.scheduled_for is None
    assert last_audit("case:advisory:unscheduled").actor == coordinator
    with pytest.raises(TransitionNotAllowed):
        actions.unschedule(advisory.pk, actor=coordinator)


@refused_actor_params(REFUSED_ACTORS_HIDDEN)
def test_only_coordinators_schedule(request, active, coordinator, actor_name, error) -> None:
    actor = request.getfixturevalue(actor_name)
    advisory = approved(active.case, coordinator)
    with pytest.raises(error):
        actions.schedule_advisory(advisory.pk, actor=actor)
    actions.schedule_advisory(advisory.pk, actor=coordinator)
    with pytest.raises(error):
        actions.unschedule(advisory.pk, actor=actor)


# --- publication at the agreed instant ---------------------------------------------------------------


def test_everything_of_the_case_becomes_public_at_the_end_and_not_a_second_before(
    active, coordinator, anonymous, vendor_member, time_machine
) -> None:
    case = active.case
    first = scheduled(case, coordinator)
    second = scheduled(case, coordinator, kind="jvnta")
    not_ready = approved(case, coordinator)  # approved but never scheduled: stays behind
    end = active.end_at

    time_machine.move_to(end - SECOND, tick=False)
    assert actions.publish_due_advisories(now()) == []
    assert list(public_advisories()) == []
    assert list(visible_advisories(anonymous)) == []
    assert list(visible_advisories(vendor_member)) == []
    assert {status_of(first), status_of(second)} == {"scheduled"}

    time_machine.move_to(end, tick=False)
    assert actions.publish_due_advisories(now()) == [case.pk]

    for advisory in (first, second):
        advisory.refresh_from_db()
        assert advisory.status == "published"
        assert advisory.revision == 1
        assert advisory.first_published_at == end
        assert advisory.last_published_at == end
        revision = advisory.revisions.get()
        assert (revision.number, revision.note_ja, revision.note_en) == (1, "公開", "Published")
        assert revision.published_at == end
        assert revision.content == advisory.content
        assert revision.published_by is None
    assert status_of(not_ready) == "approved"
    assert set(public_advisories()) == {first, second}
    assert set(visible_advisories(anonymous)) == {first, second}
    active.refresh_from_db()
    assert active.status == "exited"
    assert "disclosure date" in active.exit_reason
    assert Case.objects.get(pk=case.pk).status == "published"
    assert last_audit("case:case:published").actor is None
    assert len(audit_events("case:advisory:published")) == 2


def test_a_late_run_still_stamps_the_agreed_instant(active, coordinator, time_machine) -> None:
    advisory = scheduled(active.case, coordinator)
    time_machine.move_to(active.end_at + dt.timedelta(minutes=7), tick=False)
    publish_due_advisories_task.call()
    advisory.refresh_from_db()
    assert advisory.first_published_at == active.end_at


def test_running_twice_publishes_nothing_twice(active, coordinator, time_machine) -> None:
    advisory = scheduled(active.case, coordinator)
    time_machine.move_to(active.end_at, tick=False)
    assert actions.publish_due_advisories(now()) == [active.case_id]
    assert actions.publish_due_advisories(now()) == []
    assert AdvisoryRevision.objects.filter(advisory=advisory).count() == 1
    assert len(audit_events("case:case:published")) == 1


def test_a_pending_revision_does_not_move_the_agreed_instant(active, coordinator, time_machine) -> None:
    advisory = scheduled(active.case, coordinator)
    disclosure.propose_embargo(active.case_id, end_at=in_days(60), reason="later", actor=coordinator)
    time_machine.move_to(active.end_at, tick=False)
    assert actions.publish_due_advisories(now()) == [active.case_id]
    advisory.refresh_from_db()
    assert advisory.first_published_at == active.end_at
    active.refresh_from_db()
    assert active.status == "exited"


def test_an_activated_revision_moves_the_instant(active, coordinator, time_machine) -> None:
    advisory = scheduled(active.case, coordinator)
    later = in_days(60)
    disclosure.propose_embargo(active.case_id, end_at=later, reason="later", actor=coordinator)
    everyone_consents(active, coordinator)
    disclosure.activate_embargo(active.pk, actor=coordinator)

    time_machine.move_to(later - SECOND, tick=False)
    assert actions.publish_due_advisories(now()) == []
    assert list(public_advisories()) == []
    time_machine.move_to(later, tick=False)
    assert actions.publish_due_advisories(now()) == [active.case_id]
    advisory.refresh_from_db()
    assert advisory.first_published_at == later


def test_one_case_failing_does_not_hold_back_the_others(
    active, coordinator, vendor_org, time_machine, monkeypatch
) -> None:
    other_case = coordinating_case(coordinator, vendor_org, title="Second case")
    other = disclosure.propose_embargo(other_case.pk, end_at=active.end_at, reason="same day", actor=coordinator)
    everyone_consents(other, coordinator)
    disclosure.activate_embargo(other.pk, actor=coordinator)
    broken = scheduled(active.case, coordinator)
    fine = scheduled(other_case, coordinator)
    # The first case's content lost its English title behind the actions' back (a damaged row).
    Advisory.objects.filter(pk=broken.pk).update(content={"ja": {"title": "題名"}, "en": {}})

    time_machine.move_to(active.end_at, tick=False)
    assert actions.publish_due_advisories(now()) == [other_case.pk]
    assert status_of(broken) == "scheduled"
    assert status_of(fine) == "published"
    active.refresh_from_db()
    assert active.status == "active"  # nothing of the failed case changed


# --- publish now -------------------------------------------------------------------------------------


def test_publishing_now_without_an_embargo(case, coordinator, anonymous) -> None:
    before = now()
    advisory = actions.publish_now(approved(case, coordinator).pk, actor=coordinator)
    advisory.refresh_from_db()
    assert advisory.status == "published"
    assert advisory.first_published_at is not None
    assert advisory.first_published_at >= before
    assert advisory.revisions.get().published_by == coordinator
    assert last_audit("case:advisory:scheduled").actor == coordinator
    assert last_audit("case:advisory:published").actor == coordinator
    assert Case.objects.get(pk=case.pk).status == "published"
    assert list(visible_advisories(anonymous)) == [advisory]
    # A second advisory of an already published case.
    assert published(case, coordinator, kind="jvnta").status == "published"


def test_publishing_now_is_refused_while_an_embargo_holds(active, coordinator) -> None:
    advisory = approved(active.case, coordinator)
    with pytest.raises(Conflict):
        actions.publish_now(advisory.pk, actor=coordinator)
    assert status_of(advisory) == "approved"


def test_publishing_now_after_p_ended_the_embargo(active, coordinator) -> None:
    advisory = scheduled(active.case, coordinator)
    disclosure.record_case_event(active.case_id, kind="P", evidence="blog", actor=coordinator)
    assert actions.publish_now(advisory.pk, actor=coordinator).status == "published"


def test_publishing_now_after_the_end_before_the_scheduler(active, coordinator, time_machine) -> None:
    waiting = scheduled(active.case, coordinator)
    extra = approved(active.case, coordinator, kind="jvnta")
    time_machine.move_to(active.end_at + dt.timedelta(minutes=1), tick=False)

    actions.publish_now(extra.pk, actor=coordinator)

    waiting.refresh_from_db()
    extra.refresh_from_db()
    assert waiting.first_published_at == active.end_at  # what was due went out as the scheduler would
    assert extra.first_published_at == now()
    with pytest.raises(Conflict):
        actions.publish_now(waiting.pk, actor=coordinator)  # never a second first publication
    assert waiting.revisions.count() == 1


@pytest.mark.parametrize("make", [draft, published])
def test_publishing_now_from_the_wrong_state(case, coordinator, make) -> None:
    advisory = make(case, coordinator)
    with pytest.raises((TransitionNotAllowed, Conflict)):
        actions.publish_now(advisory.pk, actor=coordinator)
    assert AdvisoryRevision.objects.filter(advisory=advisory).count() == (1 if make is published else 0)


@refused_actor_params(REFUSED_ACTORS_HIDDEN)
def test_only_coordinators_publish(request, case, coordinator, actor_name, error) -> None:
    advisory = approved(case, coordinator)
    with pytest.raises(error):
        actions.publish_now(advisory.pk, actor=request.getfixturevalue(actor_name))
    assert status_of(advisory) == "approved"


# --- revisions and withdrawal -------------------------------------------------------------------------


def test_a_new_revision_with_its_history_line(case, coordinator, time_machine) -> None:
    advisory = published(case, coordinator)
    time_machine.move_to(now() + dt.timedelta(days=3), tick=False)

    advisory = actions.publish_revision(
        advisory.pk,
        content=content(en_solution="Update to 2.0.1."),
        note_ja="対策方法を更新しました",
        note_en="Updated the solution",
        actor=coordinator,
    )

    advisory.refresh_from_db()
    assert advisory.status == "published"
    assert advisory.revision == 2
    assert advisory.content["en"]["solution"] == "Update to 2.0.1."
    assert advisory.last_published_at == now()
    assert advisory.first_published_at is not None
    assert advisory.last_published_at is not None
    assert advisory.first_published_at < advisory.last_published_at
    history = list(advisory.revisions.values_list("number", "note_en"))
    assert history == [(1, "Published"), (2, "Updated the solution")]
    assert last_audit("case:advisory:revised").data["revision"] == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"note_ja": " "}, "note_ja"),
        ({"note_en": ""}, "note_en"),
        ({"content": content(ja_title="")}, "content.ja.title"),
        ({"content": {"en": {"cvss": "9.8"}}}, "content.en.cvss"),
    ],
)
def test_bad_revisions_are_refused(case, coordinator, changes, field) -> None:
    advisory = published(case, coordinator)
    arguments = {"content": content(), "note_ja": "更新", "note_en": "Updated", **changes}
    with pytest.raises(InvalidInput) as refused:
        actions.publish_revision(advisory.pk, actor=coordinator, **arguments)
    assert refused.value.field == field
    assert advisory.revisions.count() == 1


def test_only_a_published_advisory_gets_revisions(case, coordinator) -> None:
    with pytest.raises(TransitionNotAllowed):
        actions.publish_revision(
            approved(case, coordinator).pk, content=content(), note_ja="更新", note_en="Updated", actor=coordinator
        )


def test_withdrawal(case, coordinator, anonymous) -> None:
    advisory = actions.withdraw_advisory(
        published(case, coordinator).pk, reason="Not a vulnerability after all", actor=coordinator
    )
    assert advisory.status == "withdrawn"
    assert advisory.withdrawn_reason == "Not a vulnerability after all"
    assert last_audit("case:advisory:withdrawn").data["reason"] == "Not a vulnerability after all"
    assert list(visible_advisories(anonymous)) == []
    with pytest.raises(TransitionNotAllowed):
        actions.withdraw_advisory(advisory.pk, reason="again", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.publish_revision(advisory.pk, content=content(), note_ja="x", note_en="x", actor=coordinator)


def test_withdrawal_needs_a_reason_and_a_published_advisory(case, coordinator) -> None:
    advisory = published(case, coordinator)
    with pytest.raises(InvalidInput):
        actions.withdraw_advisory(advisory.pk, reason="", actor=coordinator)
    with pytest.raises(TransitionNotAllowed):
        actions.withdraw_advisory(draft(case, coordinator).pk, reason="x", actor=coordinator)


@pytest.mark.parametrize("actor_name", list(REFUSED_ACTORS))
def test_only_coordinators_revise_or_withdraw(request, case, coordinator, actor_name) -> None:
    # A published advisory is seen by everyone: all but coordinators are refused, none told it is missing.
    actor = request.getfixturevalue(actor_name)
    advisory = published(case, coordinator)
    with pytest.raises(PermissionDenied):
        actions.publish_revision(advisory.pk, content=content(), note_ja="x", note_en="x", actor=actor)
    with pytest.raises(PermissionDenied):
        actions.withdraw_advisory(advisory.pk, reason="x", actor=actor)
