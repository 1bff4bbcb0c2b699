"""``kyocho demo`` and ``kyocho demo-code``: demo people in every role, a case in coordination, and
sign-in codes without an authenticator app — idempotent, and never in production."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.test import Client

from kyocho import demo
from kyocho.accounts.models import ApiToken, Membership, Organisation, User
from kyocho.audit.models import AuditEvent
from kyocho.cases.models import Case, CasePartner, Participation
from kyocho.core.errors import NotFound, PermissionDenied
from kyocho.intake.models import Report

pytestmark = pytest.mark.django_db

ROLES = {
    "lead@kyocho-cc.example": "Lead coordinator",
    "coordinator@kyocho-cc.example": "Coordinator",
    "intake@kyocho-cc.example": "Intake staff",
    "admin@vendor-a.example": "Vendor admin",
    "member@vendor-a.example": "Vendor member",
    "admin@vendor-b.example": "Vendor admin",
    "admin@vendor-c.example": "Vendor admin",
    "member@vendor-b.example": "Vendor member",
    "team@overseas-cert.example": "Partner coordinator",
    "member@committee.example": "Committee member",
    "finder@example.net": "Reporter",
}


def snapshot() -> dict[str, int]:
    models = (
        User,
        Organisation,
        Membership,
        Case,
        Participation,
        CasePartner,
        Report,
        Authenticator,
        AuditEvent,
        ApiToken,
    )
    return {model.__name__: model.objects.count() for model in models}


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_has_a_person_in_every_role() -> None:
    accounts = demo.seed()
    assert {account.email: account.role for account in accounts} == ROLES
    for account in accounts:
        user = User.objects.get(email=account.email)
        assert user.check_password(demo.DEMO_PASSWORD)
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_demo_case_is_in_coordination_with_two_notified_developers() -> None:
    demo.seed()
    case = Case.objects.get(title=demo.DEMO_CASE_TITLE)
    assert case.status == "coordinating" and case.start_date is not None
    assert case.owner is not None and case.owner.email == "coordinator@kyocho-cc.example"
    assert sorted(case.participations.values_list("organisation__name", "status")) == [
        ("Example Router Co. (demo)", "acknowledged"),  # notified first, then answered
        ("Sample Firmware Inc. (demo)", "notified"),
    ]
    assert list(case.vulnerabilities.values_list("cwe", flat=True)) == ["CWE-79"]
    assert list(case.partners.values_list("organisation__name", flat=True)) == ["Overseas CERT (demo)"]
    # The acknowledged developer's answer and statement wait for the coordinator's review.
    acknowledged = case.participations.get(status="acknowledged")
    assert list(acknowledged.answers.values_list("status", "review_status")) == [("fixed", "pending")]
    assert acknowledged.statement.review_status == "pending"


def test_the_finders_first_report_became_the_case_and_the_second_waits() -> None:
    demo.seed()
    reports = Report.objects.filter(reporter__email="finder@example.net").order_by("received_at")
    assert [(report.status, report.case.title if report.case else None) for report in reports] == [
        ("accepted", demo.DEMO_CASE_TITLE),
        ("received", None),
    ]


def test_demo_is_built_through_the_actions() -> None:
    demo.seed()
    names = set(AuditEvent.objects.values_list("name", flat=True))
    assert names == {
        "accounts:organisation:created",
        "accounts:user:created",
        "accounts:membership:added",
        "case:case:opened",
        "case:participant:identified",
        "case:participant:notified",
        "case:conversation:opened",
        "case:case:coordinating",
        "intake:report:received",
        "intake:report:accepted",
        "intake:report:triaged",
        "intake:report:message_posted",
        "messaging:email:queued",
        "case:case:owner_assigned",
        "case:vulnerability:added",
        "case:vulnerability:updated",
        "case:vulnerability:ssvc_recorded",
        "case:participant:acknowledged",
        "case:participant:contact_logged",
        "case:answer:recorded",
        "case:statement:saved",
        "case:partner:shared",
        "case:message:posted",
        "vendors:terms:published",
        "vendors:terms:accepted",
        "vendors:registration:applied",
        "vendors:registration:imported",
        "vendors:product:added",
        "vendors:sbom:uploaded",
        "messaging:inbound:received",
        "messaging:inbound:intake",
        "messaging:inbound:held",
    }


def test_running_again_changes_nothing_and_prints_the_same() -> None:
    first = run_demo()
    before = snapshot()
    assert run_demo() == first
    assert snapshot() == before


def test_demo_fills_in_what_is_missing() -> None:
    demo.seed()
    Participation.objects.filter(organisation__name="Sample Firmware Inc. (demo)").delete()
    CasePartner.objects.all().delete()
    demo.seed()
    assert Participation.objects.filter(organisation__name="Sample Firmware Inc. (demo)", status="notified").exists()
    assert CasePartner.objects.count() == 1


def test_demo_table_shows_how_to_sign_in() -> None:
    out = run_demo()
    header, rule, *rows = out.splitlines()[:12]
    assert header.split() == ["role", "organisation", "email", "password", "TOTP", "secret"]
    assert set(rule) <= {"-", " "}
    assert any(
        "lead@kyocho-cc.example" in row and demo.DEMO_PASSWORD in row and demo.DEMO_TOTP_SECRET in row for row in rows
    )
    assert "kyocho demo-code EMAIL" in out


def test_demo_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(PermissionDenied):
        demo.seed()
    assert snapshot() == dict.fromkeys(snapshot(), 0)


def test_demo_code_is_what_the_authenticator_shows() -> None:
    demo.seed()
    user = User.objects.get(email="member@vendor-a.example")
    with time_machine.travel(dt.datetime(2026, 4, 1, 3, 0, 10, tzinfo=dt.UTC), tick=False):
        code, seconds_left = demo.current_code("Member@Vendor-A.example")
        assert seconds_left == 20
        assert TOTP(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)).validate_code(code)


def test_demo_code_command_prints_the_code() -> None:
    demo.seed()
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(dt.datetime(2026, 4, 1, 3, 0, 10, tzinfo=dt.UTC), tick=False):
        call_command("demo-code", "lead@kyocho-cc.example", stdout=out, stderr=err)
        assert out.getvalue().strip() == demo.current_code("lead@kyocho-cc.example")[0]
    assert err.getvalue().strip() == "valid for 20 more seconds"


def test_demo_code_never_reveals_a_real_persons_code(coordinator: User) -> None:
    TOTP.activate(coordinator, generate_totp_secret())
    with pytest.raises(NotFound):
        demo.current_code(coordinator.email)
    with pytest.raises(NotFound):
        demo.current_code("nobody@example.org")


def test_demo_code_is_refused_in_production(settings: Any) -> None:
    demo.seed()
    settings.PRODUCTION = True
    with pytest.raises(PermissionDenied):
        demo.current_code("lead@kyocho-cc.example")


def test_a_demo_account_signs_in_with_password_and_code(client: Client) -> None:
    demo.seed()
    email = "coordinator@kyocho-cc.example"
    step_one = client.post("/accounts/login/", {"login": email, "password": demo.DEMO_PASSWORD})
    assert step_one.status_code == 302 and "/2fa/" in step_one["Location"]
    step_two = client.post(step_one["Location"], {"code": demo.current_code(email)[0]})
    assert step_two.status_code == 302
    assert client.get("/home/").url == "/staff/"  # type: ignore[attr-defined]
