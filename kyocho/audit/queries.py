"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from kyocho.audit.actions import GENESIS_HASH, event_digest
from kyocho.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"event #{self.seq}: {self.problem}"


def verify_chain(batch_size: int = 2000) -> list[ChainProblem]:
    """Every way the stored chain differs from an untouched one; empty when it is intact."""
    problems: list[ChainProblem] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in _events_in_order(batch_size):
        if event.seq != expected_seq:
            problems.append(ChainProblem(event.seq, f"expected sequence number {expected_seq} (missing or moved)"))
        if event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(event.seq, "does not link to the event before it (deleted, inserted or re-ordered)")
            )
        recomputed = event_digest(
            seq=event.seq,
            at=event.at.isoformat(),
            name=event.name,
            actor_label=event.actor_label,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            problems.append(ChainProblem(event.seq, "content does not match its hash (edited)"))
        expected_seq, prev_hash = event.seq + 1, event.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        problems.append(
            ChainProblem(head_seq, "the chain head does not match the last event (events removed at the end)")
        )
    return problems


def _events_in_order(batch_size: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def events_for(subject: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
