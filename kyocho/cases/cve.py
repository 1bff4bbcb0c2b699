"""CVE ids through CVE Services: reserve one, publish (or update) the record, release an unused one.

These actions follow the house recipe with one difference: the call to CVE Services goes over the
network, so it is made outside the database transaction (a lock is never held while waiting on
another service). Each action checks what it can first, calls CVE Services, and then stores the
outcome in its own transaction, checking again under the lock. If storing fails after CVE Services
already did its part, the id is written to the log and, where the database still answers, to the
audit trail (``case:vulnerability:cve_not_stored``) so an operator can release or fix it there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts.models import Organisation
from kyocho.audit.actions import record
from kyocho.cases import cve_services
from kyocho.cases.actions import locked_vulnerability, require_coordinator_on_case
from kyocho.cases.models import Case, Vulnerability
from kyocho.cases.workflow import CVE, CaseStatus, CveState
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.disclosure.models import Embargo
from kyocho.disclosure.workflow import IN_FORCE, EmbargoStatus
from kyocho.publishing.formats import cve as cve_format

logger = logging.getLogger(__name__)


def reserve_cve(vulnerability_id: int, *, actor: Any) -> Vulnerability:
    """Reserve one CVE id of the current year for the vulnerability (state none → reserved)."""
    vulnerability, case = _read(vulnerability_id, actor=actor)
    _require_target(vulnerability, CveState.RESERVED)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("This case is closed."))
    cve_id = cve_services.reserve_id(now().year)

    def store(locked: Vulnerability, case: Case) -> None:
        _require_target(locked, CveState.RESERVED)
        if case.vulnerabilities.filter(cve_id=cve_id).exists():
            raise Conflict(_("Another vulnerability of this case already has this CVE id."), field="cve_id")
        locked.cve_id, locked.cve_state, locked.cve_reserved_at = cve_id, CveState.RESERVED, now()
        record("case:vulnerability:cve_reserved", actor=actor, subject=case, data=_about(locked))
        locked.save(update_fields=["cve_id", "cve_state", "cve_reserved_at"])

    return _store_after_remote(vulnerability_id, actor=actor, store=store, done=f"reserved {cve_id}")


def publish_cve(vulnerability_id: int, *, actor: Any) -> Vulnerability:
    """Publish the vulnerability's CVE record (reserved → published); once published, publishing
    again replaces the record with the current data. Refused while the case's disclosure date is
    agreed or proposed and not yet reached: publishing a CVE record is publishing the vulnerability."""
    vulnerability, case = _read(vulnerability_id, actor=actor)
    _require_target(vulnerability, CveState.PUBLISHED)
    _require_no_embargo(case)
    data = cve_record_data(vulnerability)
    _require_publishable(data)
    container = cve_format.cna_container(data, provider_org_id=cve_services.organisation_uuid())
    problems = cve_format.schema_problems(container)
    if problems:
        raise InvalidInput(
            _("The CVE record does not follow the CVE JSON 5 schema: %(problems)s") % {"problems": "; ".join(problems)}
        )
    update = vulnerability.cve_state == CveState.PUBLISHED
    cve_services.publish_record(vulnerability.cve_id, container, update=update)

    def store(locked: Vulnerability, case: Case) -> None:
        if (locked.cve_id, locked.cve_state) != (vulnerability.cve_id, vulnerability.cve_state):
            raise Conflict(_("The vulnerability's CVE id changed meanwhile."))
        CVE.check(locked.cve_state, CveState.PUBLISHED)
        locked.cve_state = CveState.PUBLISHED
        locked.cve_published_at = locked.cve_published_at or now()  # the first publication
        verb = "cve_updated" if update else "cve_published"
        record(f"case:vulnerability:{verb}", actor=actor, subject=case, data=_about(locked))
        locked.save(update_fields=["cve_state", "cve_published_at"])

    done = f"{'updated' if update else 'published'} {vulnerability.cve_id}"
    return _store_after_remote(vulnerability_id, actor=actor, store=store, done=done)


def release_cve(vulnerability_id: int, *, actor: Any) -> Vulnerability:
    """Give back a reserved id that was never published (CVE Services rejects it; state → none)."""
    vulnerability, _case = _read(vulnerability_id, actor=actor)
    if vulnerability.cve_state != CveState.RESERVED:
        raise Conflict(_("Only a CVE id reserved through CVE Services and not yet published can be released."))
    cve_id = vulnerability.cve_id
    cve_services.reject_id(cve_id)

    def store(locked: Vulnerability, case: Case) -> None:
        if (locked.cve_id, locked.cve_state) != (cve_id, CveState.RESERVED):
            raise Conflict(_("The vulnerability's CVE id changed meanwhile."))
        CVE.check(locked.cve_state, CveState.NONE)
        record("case:vulnerability:cve_released", actor=actor, subject=case, data=_about(locked))
        locked.cve_id, locked.cve_state, locked.cve_reserved_at = "", CveState.NONE, None
        locked.save(update_fields=["cve_id", "cve_state", "cve_reserved_at"])

    return _store_after_remote(vulnerability_id, actor=actor, store=store, done=f"rejected {cve_id}")


# --- The steps ------------------------------------------------------------------------------------


def _read(vulnerability_id: int, *, actor: Any) -> tuple[Vulnerability, Case]:
    """The first checks, without a lock: visible, a coordinator's, CVE Services configured."""
    vulnerability = Vulnerability.objects.select_related("case").filter(pk=vulnerability_id).first()
    if vulnerability is None:
        raise NotFound()
    require_coordinator_on_case(vulnerability.case, actor)
    if not cve_services.enabled():
        raise Conflict(_("CVE Services is not configured on this installation."))
    return vulnerability, vulnerability.case


def _require_target(vulnerability: Vulnerability, target: str) -> None:
    if vulnerability.cve_state == CveState.EXTERNAL:
        raise Conflict(_("This CVE id was assigned by another CNA: its record is theirs to publish."), field="cve_id")
    CVE.check(vulnerability.cve_state, target)


def _require_no_embargo(case: Case) -> None:
    embargo = Embargo.objects.filter(case=case).first()
    if embargo is None:
        return
    at = now()
    agreed = embargo.status in IN_FORCE and embargo.end_at is not None and embargo.end_at > at
    if agreed or embargo.status == EmbargoStatus.PROPOSED:
        raise Conflict(
            _(
                "The case is under embargo: its CVE record can be published only once the disclosure date "
                "has come. Publishing a CVE record is publishing the vulnerability."
            )
        )


def _require_publishable(data: cve_format.CveVulnerability) -> None:
    """What CVE Services requires, said in a coordinator's words before the schema's."""
    if not data.description_en:
        raise InvalidInput(_("A CVE record needs the description in English."), field="description")
    if not data.affected:
        raise InvalidInput(_("A CVE record names at least one affected product."), field="affected")
    if not data.references:
        raise InvalidInput(_("A CVE record needs at least one reference (an advisory's address)."), field="references")


def cve_record_data(vulnerability: Vulnerability) -> cve_format.CveVulnerability:
    """The vulnerability as the CVE record shows it, with each affected product's developer by name."""
    developer_ids = {entry["organisation_id"] for entry in vulnerability.affected if entry.get("organisation_id")}
    names = {
        organisation.pk: organisation.name_en or organisation.name
        for organisation in Organisation.objects.filter(pk__in=developer_ids)
    }
    return cve_format.CveVulnerability(
        title=vulnerability.title,
        description_en=vulnerability.description,
        description_ja=vulnerability.description_ja,
        cwe=vulnerability.cwe,
        cvss31_vector=vulnerability.cvss31_vector,
        cvss40_vector=vulnerability.cvss40_vector,
        affected=tuple(
            cve_format.AffectedProduct(
                vendor=names.get(entry.get("organisation_id") or 0, ""),
                product=entry["product"],
                versions=entry.get("versions", ""),
            )
            for entry in vulnerability.affected
        ),
        references=tuple(
            cve_format.Reference(url=reference["url"], title=reference.get("title", ""))
            for reference in vulnerability.references
        ),
    )


def _about(vulnerability: Vulnerability) -> dict[str, Any]:
    return {"vulnerability": vulnerability.pk, "cve_id": vulnerability.cve_id}


def _store_after_remote(
    vulnerability_id: int, *, actor: Any, store: Callable[[Vulnerability, Case], None], done: str
) -> Vulnerability:
    """Store what CVE Services did; if that fails, leave a trace of it where an operator looks."""
    try:
        with locked_vulnerability(vulnerability_id, actor=actor) as (vulnerability, case):
            store(vulnerability, case)
        return vulnerability
    except Exception as error:
        _record_not_stored(vulnerability_id, done=done, reason=error)
        raise


def _record_not_stored(vulnerability_id: int, *, done: str, reason: Exception) -> None:
    # The log line comes first: it survives even when the database is what failed.
    logger.error(
        "CVE Services %s for vulnerability %s, but kyocho could not store it (%s): fix or release it in CVE Services",
        done,
        vulnerability_id,
        type(reason).__name__,
    )
    with _ignoring_a_broken_database():
        case = Case.objects.filter(vulnerabilities__pk=vulnerability_id).first()
        if case is not None:
            with transaction.atomic():
                record(
                    "case:vulnerability:cve_not_stored",
                    actor=None,
                    subject=case,
                    data={"vulnerability": vulnerability_id, "done": done, "reason": str(reason)},
                )


@contextmanager
def _ignoring_a_broken_database() -> Iterator[None]:
    try:
        yield
    except Exception:  # the original error is re-raised by the caller; this trace is best effort
        logger.exception("could not write the audit event for vulnerability CVE trouble")
