"""A developer's follow-up through the API: state and progress, the contact log, logging an attempt.
Staff only; developers and partners get 404, as if the participation did not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.cases import actions
from kyocho.cases.models import ContactAttempt, Participation
from kyocho.conftest import coordinating_case
from kyocho.core.clock import now

pytestmark = pytest.mark.django_db

URL = "/api/v1/participations"


@pytest.fixture
def participation(coordinator: User, vendor_org: Organisation, partner_org: Organisation) -> Participation:
    case = coordinating_case(coordinator, vendor_org, title="Secret: SQL injection in the login form")
    actions.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    return case.participations.get()


def post_attempt(user: User, participation: Participation, **fields: Any) -> Any:
    body = {"channel": "phone", "outcome": "no_answer", **fields}
    return token_client(user).post(f"{URL}/{participation.pk}/contact-attempts", body, content_type="application/json")


def test_the_case_api_gives_the_participation_id(coordinator: User, participation: Participation) -> None:
    body = json_of(token_client(coordinator).get(f"/api/v1/cases/{participation.case_id}"))
    assert [p["id"] for p in body["participants"]] == [participation.pk]


def test_state_and_progress(coordinator: User, participation: Participation) -> None:
    body = json_of(token_client(coordinator).get(f"{URL}/{participation.pk}"))
    assert body["case_reference"] == participation.case.reference
    assert (body["organisation"], body["status"]) == ("Example Vendor A", "notified")
    assert body["allowed_transitions"] == ["acknowledged", "closed", "unreachable"]
    assert body["notified_at"] is not None and body["escalated_at"] is None
    progress = body["progress"]
    assert (progress["attempts"], progress["attempts_needed"], progress["channels"], progress["channels_needed"]) == (
        1,
        3,
        1,
        2,
    )
    assert progress["days_needed"] == 30 and progress["complete"] is False
    assert "1 of 3 contact attempts" in progress["missing"]


def test_the_contact_log(coordinator: User, participation: Participation) -> None:
    post_attempt(coordinator, participation, outcome="reached", address="+81-3-1111-2222", note="Spoke to Ms Sato")
    body = json_of(token_client(coordinator).get(f"{URL}/{participation.pk}/contact-attempts"))
    assert body["count"] == 2
    first, second = body["items"]
    assert (first["channel"], first["outcome"], first["recorded_by"], first["email_status"]) == (
        "portal",
        "sent",
        coordinator.email,
        None,
    )
    assert (second["channel"], second["address"], second["note"]) == ("phone", "+81-3-1111-2222", "Spoke to Ms Sato")


def test_logging_an_attempt(coordinator: User, participation: Participation) -> None:
    at = now() - dt.timedelta(minutes=5)
    at = max(at, participation.notified_at or at)
    response = post_attempt(coordinator, participation, channel="via_partner", outcome="sent", at=at.isoformat())
    assert response.status_code == 201
    body = json_of(response)
    attempt = ContactAttempt.objects.get(pk=body["id"])
    assert (attempt.channel, attempt.at, attempt.recorded_by) == ("via_partner", at, coordinator)
    progress = json_of(token_client(coordinator).get(f"{URL}/{participation.pk}"))["progress"]
    assert (progress["attempts"], progress["channels"]) == (2, 2)


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"channel": "pigeon"}, 400, "channel", "“pigeon” is not one of"),
        ({"outcome": "maybe"}, 400, "outcome", "“maybe” is not one of"),
        ({"at": "2999-01-01T00:00:00+09:00"}, 400, "at", "cannot be in the future"),
        ({"at": "2000-01-01T00:00:00+09:00"}, 400, "at", "cannot be earlier than the notification"),
        ({"at": "2026-01-01T00:00:00"}, 400, "at", "with its time zone"),
        ({"at": "soon"}, 400, "at", "check at"),
        ({"address": "x" * 255}, 400, "address", "check address"),
    ],
)
def test_bad_attempts_are_refused_with_the_field(
    coordinator: User, participation: Participation, fields: dict[str, Any], status: int, field: str, message: str
) -> None:
    response = post_attempt(coordinator, participation, **fields)
    assert response.status_code == status
    body = json_of(response)
    assert body["field"] == field and message in body["message"]
    assert ContactAttempt.objects.count() == 1


def test_no_attempt_for_a_closed_participation(coordinator: User, participation: Participation) -> None:
    actions.close_participation(participation.pk, actor=coordinator)
    response = post_attempt(coordinator, participation)
    assert response.status_code == 409 and json_of(response)["code"] == "conflict"


@pytest.mark.parametrize("role", ["vendor_member", "other_vendor_member", "partner", "committee_member", "reporter"])
def test_everyone_but_staff_gets_404(participation: Participation, role: str, request: Any) -> None:
    user = request.getfixturevalue(role)
    client = token_client(user)
    for path in (f"{URL}/{participation.pk}", f"{URL}/{participation.pk}/contact-attempts"):
        response = client.get(path)
        assert response.status_code == 404 and json_of(response)["code"] == "not_found", (role, path)
    assert post_attempt(user, participation).status_code == 404
    assert ContactAttempt.objects.count() == 1


def test_intake_staff_read_but_do_not_log(intake_staff: User, participation: Participation) -> None:
    client = token_client(intake_staff)
    assert client.get(f"{URL}/{participation.pk}/contact-attempts").status_code == 200
    response = post_attempt(intake_staff, participation)
    assert response.status_code == 403 and json_of(response)["code"] == "forbidden"


def test_unknown_participation_is_404(coordinator: User) -> None:
    assert token_client(coordinator).get(f"{URL}/999999").status_code == 404
    assert token_client(coordinator).get(f"{URL}/999999/contact-attempts").status_code == 404
