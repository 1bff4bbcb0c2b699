"""The audit chain detects every kind of tampering: edit, delete (middle and last), re-order, insert."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from kyocho.audit.actions import Entry, event_digest, record, record_many
from kyocho.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from kyocho.audit.queries import verify_chain

pytestmark = pytest.mark.django_db


def write_events(subject, count: int = 4) -> list[AuditEvent]:
    events = []
    for index in range(count):
        with transaction.atomic():
            events.append(
                record("test:thing:changed", actor=None, subject=subject, data={"n": index, "text": "日本語"})
            )
    return events


@pytest.fixture
def chain(coordinator_team):
    return write_events(coordinator_team)


def test_untouched_chain_verifies(chain) -> None:
    assert verify_chain() == []
    assert [event.seq for event in AuditEvent.objects.all()][-4:] == [e.seq for e in chain]


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused(coordinator_team) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record("test:thing:changed", actor=None, subject=coordinator_team)


def test_models_refuse_change_and_delete(chain) -> None:
    event = chain[0]
    event.name = "test:thing:other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_edit_is_detected(chain) -> None:
    AuditEvent.objects.filter(pk=chain[1].pk).update(data={"n": 99})
    problems = verify_chain()
    assert any("edited" in str(problem) for problem in problems)


def test_delete_in_the_middle_is_detected(chain) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    assert verify_chain()


def test_delete_of_the_last_event_is_detected(chain) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [chain[-1].pk])
    assert any("chain head" in str(problem) for problem in verify_chain())


def test_reorder_is_detected(chain) -> None:
    first, second = chain[1], chain[2]
    # Swap their sequence numbers (through a free number, as the column is unique).
    AuditEvent.objects.filter(pk=first.pk).update(seq=10_000_000)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    assert any("link" in str(problem) for problem in verify_chain())


def test_insert_with_a_recomputed_hash_is_still_detected(chain) -> None:
    # A forger who knows the hash function inserts an event after the second one and shifts the rest.
    anchor = chain[1]
    for event in reversed(chain[2:]):
        AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq + 1)
    fields = dict(
        seq=anchor.seq + 1, at=anchor.at.isoformat(), name="test:thing:forged", actor_label="system",
        subject_type=anchor.subject_type, subject_id=anchor.subject_id, data={}, prev_hash=anchor.hash,
    )  # fmt: skip
    AuditEvent.objects.bulk_create(
        [AuditEvent(**{**fields, "at": anchor.at}, hash=event_digest(**fields))]  # type: ignore[arg-type]
    )
    assert verify_chain()


def test_head_counts_every_event(chain) -> None:
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == AuditEvent.objects.count()
    last = AuditEvent.objects.last()
    assert last is not None
    assert head.hash == last.hash


def test_events_recorded_together_chain_like_events_recorded_one_by_one(chain, coordinator_team) -> None:
    start = chain[-1].seq
    with transaction.atomic():
        together = record_many(
            [
                Entry("test:thing:first", None, coordinator_team, {"n": 1}),
                Entry("test:thing:second", None, coordinator_team),
            ]
        )
        alone = record("test:thing:third", actor=None, subject=coordinator_team)
        assert record_many([]) == []
    assert [event.seq for event in [*together, alone]] == [start + 1, start + 2, start + 3]
    assert together[1].prev_hash == together[0].hash and alone.prev_hash == together[1].hash
    assert AuditEvent.objects.get(seq=start + 1).data == {"n": 1}
    assert AuditChainHead.objects.get().seq == start + 3
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_record_many_outside_a_transaction_is_refused(coordinator_team) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_many([Entry("test:thing:x", None, coordinator_team)])
