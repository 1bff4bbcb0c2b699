"""CVE ids through CVE Services, against the local stand-in (kyocho.cases.cve_testing): reserve,
publish, update, release; every refusal leaves nothing half-stored."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from kyocho.audit.models import AuditEvent
from kyocho.cases import actions, cve
from kyocho.cases.cve_services import CveServicesError
from kyocho.cases.cve_testing import ORG_UUID, StandIn, cve_services_standin, unreachable_url
from kyocho.cases.models import Vulnerability
from kyocho.cases.tests.helpers import audited, last_event
from kyocho.cases.workflow import CaseResolution, CveState
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from kyocho.disclosure import actions as disclosure

pytestmark = pytest.mark.django_db

V31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"


@pytest.fixture
def cve_services(settings: Any) -> Iterator[StandIn]:
    with cve_services_standin() as service:
        settings.KYOCHO = {**settings.KYOCHO, "CVE_SERVICES": service.settings()}
        yield service


@pytest.fixture
def vulnerability(coordinator: Any, case: Any, vendor_org: Any) -> Vulnerability:
    return actions.add_vulnerability(
        case.pk,
        title="Stored XSS in the device name",
        description="The status page shows the device name without escaping it.",
        description_ja="状態表示ページが機器名をエスケープせずに表示します。",
        cwe="CWE-79",
        cvss31_vector=V31,
        cvss40_vector=V40,
        affected=[{"product": "Router RT-500", "versions": "< 2.4.2", "organisation_id": vendor_org.pk}],
        references=[{"url": "https://vendor-a.example/advisory/1", "title": "Vendor advisory"}],
        actor=coordinator,
    )


def reserved(vulnerability: Vulnerability, coordinator: Any) -> Vulnerability:
    return cve.reserve_cve(vulnerability.pk, actor=coordinator)


def test_reserve_stores_the_id_from_cve_services(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    with audited() as names:
        done = reserved(vulnerability, coordinator)
    assert names == ["case:vulnerability:cve_reserved"]
    assert done.cve_state == CveState.RESERVED
    assert done.cve_id == f"CVE-{now().year}-1000"
    assert done.cve_reserved_at is not None
    assert cve_services.reserved() == [done.cve_id]
    request = cve_services.requests[-1]
    assert (request["method"], request["path"]) == ("POST", "/api/cve-id")
    assert request["query"] == {"cve_year": str(now().year), "amount": "1", "short_name": "kyocho-test"}
    assert last_event("case:vulnerability:cve_reserved").data == {
        "vulnerability": vulnerability.pk,
        "cve_id": done.cve_id,
    }


def test_publish_sends_a_valid_container_then_updates_it(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    cve_id = reserved(vulnerability, coordinator).cve_id
    with audited() as names:
        published = cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert names == ["case:vulnerability:cve_published"]
    assert published.cve_state == CveState.PUBLISHED and published.cve_published_at is not None
    record = cve_services.ids[cve_id].record
    assert record is not None
    assert record["providerMetadata"] == {"orgId": ORG_UUID}
    assert record["descriptions"] == [
        {"lang": "en", "value": "The status page shows the device name without escaping it."},
        {"lang": "ja", "value": "状態表示ページが機器名をエスケープせずに表示します。"},
    ]
    assert record["affected"] == [
        {
            "vendor": "Example Vendor A",
            "product": "Router RT-500",
            "versions": [{"version": "0", "lessThan": "2.4.2", "status": "affected", "versionType": "custom"}],
            "defaultStatus": "unaffected",
        }
    ]
    assert record["problemTypes"][0]["descriptions"][0]["cweId"] == "CWE-79"
    scores = {
        name: metric[name]["baseScore"] for metric in record["metrics"] for name in metric if name.startswith("cvss")
    }
    assert scores == {"cvssV3_1": 5.4, "cvssV4_0": 5.3}
    assert record["references"] == [{"url": "https://vendor-a.example/advisory/1", "name": "Vendor advisory"}]

    first_published = published.cve_published_at
    actions.update_vulnerability(vulnerability.pk, description="Now with more detail.", actor=coordinator)
    with audited() as names:
        again = cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert names == ["case:vulnerability:cve_updated"]
    assert cve_services.requests[-1]["method"] == "PUT"
    assert cve_services.ids[cve_id].record["descriptions"][0]["value"] == "Now with more detail."  # type: ignore[index]
    assert again.cve_published_at == first_published


def test_release_rejects_the_id_and_forgets_it(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    cve_id = reserved(vulnerability, coordinator).cve_id
    with audited() as names:
        released = cve.release_cve(vulnerability.pk, actor=coordinator)
    assert names == ["case:vulnerability:cve_released"]
    assert (released.cve_id, released.cve_state, released.cve_reserved_at) == ("", CveState.NONE, None)
    assert cve_services.ids[cve_id].state == "REJECTED"
    assert cve_services.requests[-1]["query"] == {"state": "REJECTED"}
    assert last_event("case:vulnerability:cve_released").data["cve_id"] == cve_id


def test_a_published_record_cannot_be_released(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    reserved(vulnerability, coordinator)
    cve.publish_cve(vulnerability.pk, actor=coordinator)
    calls = len(cve_services.requests)
    with pytest.raises(Conflict, match="not yet published"):
        cve.release_cve(vulnerability.pk, actor=coordinator)
    assert len(cve_services.requests) == calls


def test_wrong_states_are_refused_before_calling_cve_services(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    with pytest.raises(TransitionNotAllowed):
        cve.publish_cve(vulnerability.pk, actor=coordinator)  # nothing reserved yet
    with pytest.raises(Conflict):
        cve.release_cve(vulnerability.pk, actor=coordinator)
    reserved(vulnerability, coordinator)
    with pytest.raises(TransitionNotAllowed):
        cve.reserve_cve(vulnerability.pk, actor=coordinator)  # one id is enough
    assert [request["path"] for request in cve_services.requests] == ["/api/cve-id"]


def test_an_id_of_another_cna_is_not_ours_to_publish(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    actions.update_vulnerability(vulnerability.pk, cve_id="CVE-2025-55555", actor=coordinator)
    for call in (cve.reserve_cve, cve.publish_cve):
        with pytest.raises(Conflict, match="another CNA"):
            call(vulnerability.pk, actor=coordinator)
    assert cve_services.requests == []


def test_only_coordinators(
    cve_services: StandIn, vulnerability: Vulnerability, vendor_member: Any, other_vendor_member: Any, intake_staff: Any
) -> None:
    with pytest.raises(PermissionDenied):
        cve.reserve_cve(vulnerability.pk, actor=vendor_member)
    with pytest.raises(PermissionDenied):
        cve.reserve_cve(vulnerability.pk, actor=intake_staff)
    with pytest.raises(NotFound):
        cve.reserve_cve(vulnerability.pk, actor=other_vendor_member)
    with pytest.raises(NotFound):
        cve.reserve_cve(999_999, actor=other_vendor_member)
    assert cve_services.requests == []


def test_refused_when_cve_services_is_not_configured(vulnerability: Vulnerability, coordinator: Any) -> None:
    with pytest.raises(Conflict, match="not configured"):
        cve.reserve_cve(vulnerability.pk, actor=coordinator)


def test_a_closed_case_reserves_nothing(cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any) -> None:
    actions.close_case(vulnerability.case_id, resolution=CaseResolution.WITHDRAWN, actor=coordinator)
    with pytest.raises(Conflict, match="closed"):
        cve.reserve_cve(vulnerability.pk, actor=coordinator)
    assert cve_services.requests == []


def assert_nothing_stored(vulnerability: Vulnerability, *, state: str = CveState.NONE) -> None:
    fresh = Vulnerability.objects.get(pk=vulnerability.pk)
    assert fresh.cve_state == state
    if state == CveState.NONE:
        assert (fresh.cve_id, fresh.cve_reserved_at) == ("", None)


def test_service_down_changes_nothing(settings: Any, vulnerability: Vulnerability, coordinator: Any) -> None:
    from kyocho.cases.cve_testing import API_KEY, ORG, USER

    settings.KYOCHO = {
        **settings.KYOCHO,
        "CVE_SERVICES": {"URL": unreachable_url(), "ORG": ORG, "USER": USER, "API_KEY": API_KEY},
    }
    with audited() as names, pytest.raises(CveServicesError, match="could not be reached") as refused:
        cve.reserve_cve(vulnerability.pk, actor=coordinator)
    assert refused.value.http_status == 502
    assert names == []
    assert_nothing_stored(vulnerability)


def test_wrong_credentials_are_said_plainly_and_the_key_is_never_logged(
    cve_services: StandIn, settings: Any, vulnerability: Vulnerability, coordinator: Any, caplog: Any
) -> None:
    wrong_key = "wrong-key-that-must-not-appear-anywhere"
    settings.KYOCHO = {**settings.KYOCHO, "CVE_SERVICES": {**cve_services.settings(), "API_KEY": wrong_key}}
    caplog.set_level(logging.DEBUG)
    with audited() as names, pytest.raises(CveServicesError, match="did not accept") as refused:
        cve.reserve_cve(vulnerability.pk, actor=coordinator)
    assert names == []
    assert_nothing_stored(vulnerability)
    assert cve_services.requests[-1]["CVE-API-KEY"] == wrong_key  # sent as the header, as CVE Services wants
    assert wrong_key not in caplog.text and wrong_key not in refused.value.message
    assert "401" in caplog.text


def test_quota_exhausted_is_reported_with_the_service_words(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    cve_services.quota = 0
    with audited() as names, pytest.raises(CveServicesError, match="EXCEEDED_ID_QUOTA") as refused:
        cve.reserve_cve(vulnerability.pk, actor=coordinator)
    assert "quota" in refused.value.message
    assert names == []
    assert_nothing_stored(vulnerability)


def test_a_reservation_that_cannot_be_stored_is_recorded_for_release(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any, case: Any, caplog: Any
) -> None:
    """CVE Services reserved an id, but it clashes with an id typed meanwhile for another vulnerability
    of the case: kyocho stores nothing and leaves the id in the log and the audit trail."""
    actions.add_vulnerability(case.pk, title="Another", cve_id="CVE-2026-4242", actor=coordinator)
    cve_services.next_id = "CVE-2026-4242"
    with pytest.raises(Conflict, match="already has this CVE id"):
        cve.reserve_cve(vulnerability.pk, actor=coordinator)
    assert_nothing_stored(vulnerability)
    trace = last_event("case:vulnerability:cve_not_stored")
    assert trace.data["vulnerability"] == vulnerability.pk
    assert trace.data["done"] == "reserved CVE-2026-4242"
    assert "CVE-2026-4242" in caplog.text and "release it" in caplog.text
    assert not AuditEvent.objects.filter(name="case:vulnerability:cve_reserved").exists()


def test_publishing_is_refused_under_embargo_until_the_date(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any, case: Any
) -> None:
    reserved(vulnerability, coordinator)
    end = now() + dt.timedelta(days=10)
    embargo = disclosure.propose_embargo(case.pk, end_at=end, reason="Fix release", actor=coordinator)
    with pytest.raises(Conflict, match="under embargo"):
        cve.publish_cve(vulnerability.pk, actor=coordinator)  # a proposed date binds as well
    disclosure.activate_embargo(embargo.pk, actor=coordinator, override_reason="test: no answer")
    calls = len(cve_services.requests)
    with pytest.raises(Conflict, match="under embargo"):
        cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert len(cve_services.requests) == calls  # nothing was sent
    assert_nothing_stored(vulnerability, state=CveState.RESERVED)
    with time_machine.travel(end + dt.timedelta(minutes=1)):
        assert cve.publish_cve(vulnerability.pk, actor=coordinator).cve_state == CveState.PUBLISHED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"affected": []}, "affected"),
        ({"references": []}, "references"),
    ],
)
def test_a_record_missing_what_cve_requires_is_not_sent(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any, change: dict[str, Any], field: str
) -> None:
    reserved(vulnerability, coordinator)
    actions.update_vulnerability(vulnerability.pk, actor=coordinator, **change)
    calls = len(cve_services.requests)
    with pytest.raises(InvalidInput) as refused:
        cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert refused.value.field == field
    assert len(cve_services.requests) == calls
    assert_nothing_stored(vulnerability, state=CveState.RESERVED)


def test_a_record_against_the_schema_is_not_sent(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    reserved(vulnerability, coordinator)
    actions.update_vulnerability(vulnerability.pk, description="x" * 5000, actor=coordinator)  # over 4096
    with pytest.raises(InvalidInput, match="CVE JSON 5 schema"):
        cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert cve_services.requests[-1]["path"].startswith("/api/org/")  # only asked for the organisation id
    assert_nothing_stored(vulnerability, state=CveState.RESERVED)


def test_the_service_refusing_a_record_stores_nothing(
    cve_services: StandIn, vulnerability: Vulnerability, coordinator: Any
) -> None:
    cve_id = reserved(vulnerability, coordinator).cve_id
    cve_services.ids[cve_id].record = {"already": "there"}  # someone published it elsewhere
    with audited() as names, pytest.raises(CveServicesError, match="CVE_RECORD_EXISTS"):
        cve.publish_cve(vulnerability.pk, actor=coordinator)
    assert names == []
    assert_nothing_stored(vulnerability, state=CveState.RESERVED)


def test_a_partial_configuration_is_reported_and_stays_off(settings: Any) -> None:
    from kyocho.cases import cve_services

    settings.KYOCHO = {
        **settings.KYOCHO,
        "CVE_SERVICES": {"URL": "https://cve.example/api", "ORG": "x", "USER": "", "API_KEY": ""},
    }
    assert not cve_services.enabled()
    (warning,) = cve_services.partly_configured()
    assert warning.id == "kyocho.W101"
    assert "KYOCHO_CVE_SERVICES_USER" in warning.msg and "KYOCHO_CVE_SERVICES_API_KEY" in warning.msg
    settings.KYOCHO = {**settings.KYOCHO, "CVE_SERVICES": {"URL": "", "ORG": "", "USER": "", "API_KEY": ""}}
    assert cve_services.partly_configured() == []
    settings.KYOCHO = {
        **settings.KYOCHO,
        "CVE_SERVICES": {"URL": "https://cve.example/api", "ORG": "x", "USER": "u", "API_KEY": "secret-cve-key"},
    }
    assert cve_services.partly_configured() == []
    account = cve_services.account()
    assert account is not None and account.url == "https://cve.example/api/"  # cvelib joins paths to it
    assert "secret-cve-key" not in repr(account)  # the key stays out of reprs (and so of logs)
