"""POST /api/v1/cases/{id}/notify: the notification through the API, with its refusals and OpenAPI."""

from __future__ import annotations

from typing import Any

import pysequoia
import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.disclosure.actions import suspend_from_prenotification
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors import actions as vendors
from kyocho.vendors import key_actions

pytestmark = pytest.mark.django_db


def register(organisation: Organisation, address: str, *, key_by: User | None = None) -> Organisation:
    contact = {"name": "PSIRT", "email": address, "responsible": True, "language": "en"}
    developer = vendors.clean_developer(
        {"name": organisation.name, "registration_type": "general", "contacts": [contact]}
    )
    registration = vendors.import_developer(developer, actor=None, organisation=organisation)
    if key_by is not None:
        armored = str(pysequoia.Tsk.generate(f"PSIRT <{address}>").extract_certificate())
        key_actions.add_public_key(registration.pk, armored=armored, actor=key_by)
    return organisation


@pytest.fixture
def keyed(vendor_org: Organisation, coordinator: User) -> Organisation:
    return register(vendor_org, "psirt@vendor-a.example", key_by=coordinator)


@pytest.fixture
def keyless(other_vendor_org: Organisation) -> Organisation:
    return register(other_vendor_org, "psirt@vendor-b.example")


@pytest.fixture
def case(coordinator: User) -> Case:
    return cases.open_case(title="Stored XSS in the admin console", actor=coordinator)


def post(user: User, case: Case, body: Any) -> Any:
    return token_client(user).post(f"/api/v1/cases/{case.pk}/notify", body, content_type="application/json")


def test_a_coordinator_notifies_developers_and_reads_how_each_was_reached(
    coordinator: User, case: Case, keyed: Organisation, keyless: Organisation
) -> None:
    response = post(coordinator, case, {"organisation_ids": [keyed.pk, keyless.pk]})
    assert response.status_code == 200
    body = json_of(response)
    assert (body["reference"], body["clock_started"], body["reporters_told"]) == (case.reference, True, 0)
    assert body["start_date"] is not None and body["target_disclosure_at"] is not None
    developers = {developer["organisation"]: developer for developer in body["developers"]}
    assert developers[keyed.name]["mail"] == "encrypted" and developers[keyed.name]["added"] is True
    (contact,) = developers[keyed.name]["contacts"]
    assert contact["address"] == "psirt@vendor-a.example" and contact["encrypted"]
    assert contact["key_fingerprint"] == keyed.registration.keys.get().fingerprint
    assert developers[keyless.name]["mail"] == "notice_only"
    assert developers[keyless.name]["contacts"] == [
        {"address": "psirt@vendor-b.example", "encrypted": False, "key_fingerprint": ""}
    ]
    assert OutboundEmail.objects.filter(purpose="case:notification").count() == 2


def test_a_suspended_developer_needs_an_override(
    coordinator: User, lead: User, case: Case, keyed: Organisation, keyless: Organisation
) -> None:
    suspend_from_prenotification(keyless.pk, reason="broke the date", actor=lead)
    refused = post(coordinator, case, {"organisation_ids": [keyed.pk, keyless.pk]})
    assert refused.status_code == 409
    body = json_of(refused)
    assert (body["code"], body["field"]) == ("conflict", "overrides") and "broke the date" in body["message"]
    assert not OutboundEmail.objects.exists()
    done = post(
        coordinator, case, {"organisation_ids": [keyed.pk, keyless.pk], "overrides": {str(keyless.pk): "only vendor"}}
    )
    assert done.status_code == 200
    assert json_of(done)["developers"][1]["override_reason"] == "only vendor"


def test_an_already_notified_developer_is_a_conflict(coordinator: User, case: Case, keyless: Organisation) -> None:
    assert post(coordinator, case, {"organisation_ids": [keyless.pk]}).status_code == 200
    again = post(coordinator, case, {"organisation_ids": [keyless.pk]})
    assert again.status_code == 409 and json_of(again)["field"] == "organisation_ids"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "organisation_ids"),
        ({"organisation_ids": []}, "organisation_ids"),
        ({"organisation_ids": ["x"]}, "organisation_ids.0"),
        ({"organisation_ids": "partner"}, "organisation_ids"),
        ({"organisation_ids": "developer", "overrides": {"abc": "reason"}}, "overrides"),
        ({"organisation_ids": "developer", "overrides": {"999999": "reason"}}, "overrides"),
    ],
)
def test_bad_requests_name_the_field(
    coordinator: User, case: Case, keyless: Organisation, partner_org: Organisation, body: dict[str, Any], field: str
) -> None:
    named = {"partner": [partner_org.pk], "developer": [keyless.pk]}
    body = {
        **body,
        **(
            {"organisation_ids": named[body["organisation_ids"]]}
            if isinstance(body.get("organisation_ids"), str)
            else {}
        ),
    }
    response = post(coordinator, case, body)
    assert response.status_code == 400
    assert json_of(response)["field"] == field
    assert not OutboundEmail.objects.exists()


def test_who_may_call_it(
    coordinator: User,
    intake_staff: User,
    vendor_member: User,
    partner: User,
    partner_org: Organisation,
    case: Case,
    keyless: Organisation,
) -> None:
    body = {"organisation_ids": [keyless.pk]}
    assert post(vendor_member, case, body).status_code == 404  # not notified: the case does not exist for it
    assert post(intake_staff, case, body).status_code == 403
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    assert post(partner, case, body).status_code == 403
    missing = token_client(coordinator).post("/api/v1/cases/999999/notify", body, content_type="application/json")
    assert missing.status_code == 404
    assert not OutboundEmail.objects.exists()


def test_the_operation_is_in_the_openapi_document(coordinator: User) -> None:
    document = json_of(token_client(coordinator).get("/api/v1/openapi.json"))
    operation = document["paths"]["/api/v1/cases/{case_id}/notify"]["post"]
    assert "encrypted" in operation["summary"]
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    assert "起算日" in operation["description"]
