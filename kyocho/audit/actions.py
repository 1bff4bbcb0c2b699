"""Writing the audit trail. Called by every other app's actions inside their transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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


def record(name: str, *, actor: Any, subject: models.Model, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append ``name`` about ``subject``. Must run inside the transaction of the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    # Round-trip through JSON so what is hashed is exactly what the database will give back.
    payload = json.loads(json.dumps(data or {}, default=str, ensure_ascii=False))
    at = now()
    seq = head.seq + 1
    fields = {
        "seq": seq,
        "at": at.isoformat(),
        "name": name,
        "actor_label": actor_label_of(actor),
        "subject_type": subject._meta.label_lower,
        "subject_id": str(subject.pk),
        "data": payload,
        "prev_hash": head.hash,
    }
    digest = event_digest(**fields)
    event = AuditEvent.objects.create(
        seq=seq,
        at=at,
        name=name,
        actor=actor,
        actor_label=fields["actor_label"],
        subject_type=fields["subject_type"],
        subject_id=fields["subject_id"],
        data=payload,
        prev_hash=head.hash,
        hash=digest,
    )
    AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return event
