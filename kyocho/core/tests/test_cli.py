"""The ``kyocho`` command: its own short help, Django's commands behind ``kyocho django``, and the
operator commands (createstaff, audit verify, check) with their exit codes."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError, SystemCheckError

from kyocho import cli
from kyocho.accounts.models import Membership, Organisation, User
from kyocho.accounts.roles import OrganisationKind
from kyocho.audit.models import AuditEvent
from kyocho.audit.queries import events_for
from kyocho.conftest import make_organisation
from kyocho.core.errors import Conflict, InvalidInput
from kyocho.core.management.commands._base import operator_language
from kyocho.core.tests.processes import kyocho_env, migrate, migrated_copy, run_kyocho

STAFF_PASSWORD = "a long staff password 2026"


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    cli.main(list(args))
    return capsys.readouterr().out


# --- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"]])
def test_help_lists_kyochos_commands_only(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    text = run_main(capsys, *args)
    for name in ("serve", "worker", "migrate", "demo", "demo-code", "createstaff", "audit", "check", "statedoc"):
        assert f"\n  {name} " in text
    assert "makemigrations" not in text and "dumpdata" not in text
    assert "kyocho django --help" in text


def test_every_listed_command_exists_and_explains_itself() -> None:
    from django.core.management import load_command_class

    commands = get_commands()
    for name in cli.COMMANDS:
        assert name in commands, name
        assert load_command_class(commands[name], name).help.strip()


def test_djangos_commands_stay_reachable(capsys: pytest.CaptureFixture[str]) -> None:
    text = run_main(capsys, "django", "help")
    assert "makemigrations" in text and "kyocho django help <subcommand>" in text


@pytest.mark.parametrize(
    ("variables", "language"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP", "LANG": "C"}, "ja"),
        ({}, "en"),
    ],
)
def test_operator_language_follows_the_locale(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], language: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert operator_language() == language


def test_statedoc_prints_the_state_machine_document() -> None:
    from kyocho.core.statedoc import render_markdown

    out = io.StringIO()
    call_command("statedoc", stdout=out)
    assert out.getvalue() == render_markdown()


# --- createstaff ----------------------------------------------------------------------------------


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(STAFF_PASSWORD + "\n", encoding="utf-8")
    return path


def createstaff(email: str, role: str, password_file: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command("createstaff", email, role=role, password_file=password_file, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_createstaff_creates_the_team_and_the_member(password_file: Path) -> None:
    out = createstaff("Lead@Example.org", "lead", password_file, name="Aoi")
    user = User.objects.get(email="lead@example.org")
    assert user.display_name == "Aoi" and user.check_password(STAFF_PASSWORD)
    team = Organisation.objects.get(kind=OrganisationKind.COORDINATOR_TEAM)
    assert team.name == "Coordinators"
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [(team.pk, "lead")]
    assert [event.name for event in events_for(user)] == ["accounts:user:created"]
    assert [event.name for event in events_for(team)] == ["accounts:organisation:created", "accounts:membership:added"]
    assert "http://127.0.0.1:8000/accounts/login/" in out and "authenticator app" in out


@pytest.mark.django_db
def test_createstaff_joins_the_existing_team(password_file: Path) -> None:
    team = make_organisation("JPCERT/CC", OrganisationKind.COORDINATOR_TEAM)
    createstaff("one@example.org", "coordinator", password_file)
    createstaff("two@example.org", "intake", password_file)
    assert Organisation.objects.filter(kind=OrganisationKind.COORDINATOR_TEAM).count() == 1
    assert set(Membership.objects.filter(organisation=team).values_list("role", flat=True)) == {"coordinator", "intake"}


@pytest.mark.django_db
def test_createstaff_needs_a_team_choice_when_there_are_several(password_file: Path) -> None:
    make_organisation("Team East", OrganisationKind.COORDINATOR_TEAM)
    make_organisation("Team West", OrganisationKind.COORDINATOR_TEAM)
    with pytest.raises(InvalidInput) as refused:
        createstaff("one@example.org", "lead", password_file)
    assert refused.value.field == "team"
    createstaff("one@example.org", "lead", password_file, team="Team West")
    assert Membership.objects.get(user__email="one@example.org").organisation.name == "Team West"


@pytest.mark.django_db
def test_createstaff_refuses_a_weak_password_and_creates_nothing(tmp_path: Path) -> None:
    weak = tmp_path / "weak"
    weak.write_text("short\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        createstaff("one@example.org", "lead", weak)
    assert refused.value.field == "password"
    assert not User.objects.exists() and not Organisation.objects.exists()


@pytest.mark.django_db
def test_createstaff_refuses_an_existing_address(password_file: Path) -> None:
    createstaff("one@example.org", "lead", password_file)
    with pytest.raises(Conflict):
        createstaff("ONE@example.org", "intake", password_file)


@pytest.mark.django_db
def test_createstaff_without_a_terminal_needs_a_password_file() -> None:
    with pytest.raises(InvalidInput, match="--password-file"):
        call_command("createstaff", "one@example.org", role="lead", stdout=io.StringIO())


@pytest.mark.django_db
def test_createstaff_reports_an_unreadable_password_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Cannot read the password file"):
        createstaff("one@example.org", "lead", tmp_path / "missing")


def test_createstaff_offers_only_staff_roles(password_file: Path) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        createstaff("one@example.org", "vendor_admin", password_file)


# --- audit verify and check -----------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_verify_on_an_intact_chain() -> None:
    make_organisation("Vendor", OrganisationKind.PRODUCT_DEVELOPER)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == "audit chain intact: 1 events"


@pytest.mark.django_db
def test_audit_verify_lists_each_problem_and_fails() -> None:
    make_organisation("Vendor", OrganisationKind.PRODUCT_DEVELOPER)
    make_organisation("Other vendor", OrganisationKind.PRODUCT_DEVELOPER)
    AuditEvent.objects.filter(seq=1).update(name="accounts:organisation:renamed")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 1
    assert "event #1: content does not match its hash (edited)" in err.getvalue()
    assert "audit chain broken: 1 problems" in err.getvalue()


def test_check_deploy_lists_what_is_unsafe_in_production() -> None:
    with pytest.raises(SystemCheckError) as found:
        call_command("check", deploy=True, stdout=io.StringIO(), stderr=io.StringIO())
    assert "(kyocho.E001) KYOCHO_SECRET_KEY must be a random value" in str(found.value)
    assert "(kyocho.E001) KYOCHO_SITE_URL must be an https:// address" in str(found.value)


def test_check_without_deploy_is_quiet_in_development() -> None:
    out = io.StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()


# --- the real command in a subprocess: exit codes -------------------------------------------------


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A data directory that does not exist yet, as on a fresh checkout.
    return migrate(tmp_path_factory.mktemp("cli") / "fresh" / "var")


def test_a_domain_error_exits_2_with_its_message(migrated: Path, tmp_path: Path, password_file: Path) -> None:
    env = kyocho_env(migrated_copy(migrated, tmp_path / "var"))
    result = run_kyocho(
        "createstaff", "not-an-address", "--role", "lead", "--password-file", str(password_file), env=env
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "email: Enter a valid email address."


def test_audit_verify_exit_codes(migrated: Path, tmp_path: Path, password_file: Path) -> None:
    data_dir = migrated_copy(migrated, tmp_path / "var")
    env = kyocho_env(data_dir)
    assert (
        run_kyocho(
            "createstaff", "lead@example.org", "--role", "lead", "--password-file", str(password_file), env=env
        ).returncode
        == 0
    )
    intact = run_kyocho("audit", "verify", env=env)
    assert (intact.returncode, intact.stdout.strip()) == (0, "audit chain intact: 3 events")

    with sqlite3.connect(data_dir / "kyocho.sqlite3") as database:
        database.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    broken = run_kyocho("audit", "verify", env=env)
    assert broken.returncode == 1
    assert "event #3: expected sequence number 2" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_a_configuration_problem_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = run_kyocho("check", env=kyocho_env(tmp_path, KYOCHO_SMTP_PORT="twenty-five"))
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "kyocho: configuration problem: KYOCHO_SMTP_PORT='twenty-five' is not a whole number"
    )


def test_help_needs_no_configuration(tmp_path: Path) -> None:
    result = run_kyocho("--help", env=kyocho_env(tmp_path, KYOCHO_ENV="production"))
    assert result.returncode == 0 and "createstaff" in result.stdout
