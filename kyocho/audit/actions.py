"""Writing the audit trail. Called by every other app's actions inside their transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import models, transaction

from kyocho.audit.models import AuditChainHead, AuditEvent
from kyocho.core.clock import now

GENESIS_HASH = "0" * 64


def event_digest(
    *,
    seq: int,
    at: str,
    name: str,
    actor_label: str,
    subject_type: str,
    subject_id: str,
    data: Any,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [seq, at, name, actor_label, subject_type, subject_id, data, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def actor_label_of(actor: Any) -> str:
    if actor is None:
        return "system"
    return f"user:{actor.pk}:{actor.email}"


class Entry(NamedTuple):
    """One event to append: what happened (``subject:object:verb``), who did it, to what, and details."""

    name: str
    actor: Any
    subject: models.Model
    data: dict[str, Any] | None = None


def record(name: str, *, actor: Any, subject: models.Model, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append ``name`` about ``subject``. Must run inside the transaction of the change it describes."""
    return record_many([Entry(name, actor, subject, data)])[0]


def record_many(entries: Iterable[Entry]) -> list[AuditEvent]:
    """Append the events in order, chained as if recorded one by one, with one lock of the chain head
    and one insert: a notification to a thousand developers writes thousands of events. Must run inside
    the transaction of the change they describe."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    entries = list(entries)
    if not entries:
        return []
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    at = now()
    seq, prev_hash = head.seq, head.hash
    events = []
    for entry in entries:
        seq += 1
        # Round-trip through JSON so what is hashed is exactly what the database will give back.
        payload = json.loads(json.dumps(entry.data or {}, default=str, ensure_ascii=False))
        fields = {
            "seq": seq,
            "at": at.isoformat(),
            "name": entry.name,
            "actor_label": actor_label_of(entry.actor),
            "subject_type": entry.subject._meta.label_lower,
            "subject_id": str(entry.subject.pk),
            "data": payload,
            "prev_hash": prev_hash,
        }
        digest = event_digest(**fields)
        events.append(
            AuditEvent(
                seq=seq,
                at=at,
                name=entry.name,
                actor=entry.actor,
                actor_label=fields["actor_label"],
                subject_type=fields["subject_type"],
                subject_id=fields["subject_id"],
                data=payload,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
    return events
