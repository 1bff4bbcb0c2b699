"""Configuration from the environment: typed readers that fail loudly, naming the variable, and a
production mode that refuses to start on an insecure configuration."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from kyocho.core.env import ConfigError, database_from_url, env_bool, env_int, env_list, env_secret, env_str
from kyocho.core.tests.processes import kyocho_env

GOOD_KEY = "k" * 20 + "-random-enough-for-this-test-0123456789"
PRODUCTION = {
    "KYOCHO_ENV": "production",
    "KYOCHO_SECRET_KEY": GOOD_KEY,
    "KYOCHO_ALLOWED_HOSTS": "cvd.example.org",
    "KYOCHO_SITE_URL": "https://cvd.example.org",
}


def start_django(tmp_path: Path, code: str = "", **variables: str) -> subprocess.CompletedProcess[str]:
    """``django.setup()`` in a fresh interpreter with these variables, as a server process would start."""
    env = kyocho_env(tmp_path, DJANGO_SETTINGS_MODULE="kyocho.settings", **variables)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- the process ----------------------------------------------------------------------------------


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = start_django(tmp_path, KYOCHO_ENV="production")
    assert result.returncode != 0
    assert "ConfigError: KYOCHO_SECRET_KEY is not set" in result.stderr


def test_production_with_insecure_values_refuses_to_start(tmp_path: Path) -> None:
    result = start_django(tmp_path, KYOCHO_ENV="production", KYOCHO_SECRET_KEY="short", KYOCHO_DEBUG="true")
    assert result.returncode != 0
    assert "ConfigError: refusing to start in production" in result.stderr
    for problem in (
        "KYOCHO_SECRET_KEY must be a random value of at least 50 characters",
        "KYOCHO_DEBUG must be off",
        "KYOCHO_ALLOWED_HOSTS must list the host names",
        "KYOCHO_SITE_URL must be an https:// address",
    ):
        assert problem in result.stderr


def test_production_with_a_safe_configuration_starts(tmp_path: Path) -> None:
    result = start_django(tmp_path, "from django.conf import settings; print(settings.PRODUCTION)", **PRODUCTION)
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr


def test_secret_key_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY + "\n", encoding="utf-8")
    variables = {**PRODUCTION, "KYOCHO_SECRET_KEY": "", "KYOCHO_SECRET_KEY_FILE": str(key_file)}
    result = start_django(tmp_path, "from django.conf import settings; print(settings.SECRET_KEY)", **variables)
    assert (result.returncode, result.stdout.strip()) == (0, GOOD_KEY), result.stderr


# Reading the settings file again in this process is enough for the rest, and much faster.
SETTINGS_FILE = Path(__file__).resolve().parents[2] / "settings.py"


def read_settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, object]:
    for name in [name for name in os.environ if name.startswith("KYOCHO_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("KYOCHO_DEBUG", "true", "KYOCHO_DEBUG must be off"),
        ("KYOCHO_ALLOWED_HOSTS", "*", "KYOCHO_ALLOWED_HOSTS must list"),
        ("KYOCHO_SITE_URL", "http://cvd.example.org", "KYOCHO_SITE_URL must be an https://"),
        ("KYOCHO_SECRET_KEY", "too-short", "KYOCHO_SECRET_KEY must be a random value"),
    ],
)
def test_production_refuses_each_insecure_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    read_settings(monkeypatch, **PRODUCTION)  # the safe configuration itself is accepted
    with pytest.raises(ConfigError, match="refusing to start in production") as refused:
        read_settings(monkeypatch, **{**PRODUCTION, variable: value})
    assert named in str(refused.value)


def test_an_unreadable_secret_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        read_settings(monkeypatch, KYOCHO_SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert (
        str(refused.value) == f"KYOCHO_SECRET_KEY_FILE={tmp_path / 'missing'} cannot be read: No such file or directory"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KYOCHO_SMTP_PORT", "twenty-five", "KYOCHO_SMTP_PORT='twenty-five' is not a whole number"),
        ("KYOCHO_WORKER_HEARTBEAT_SECONDS", "0", "KYOCHO_WORKER_HEARTBEAT_SECONDS=0 must be at least 1"),
        ("KYOCHO_DEFAULT_DISCLOSURE_DAYS", "45d", "KYOCHO_DEFAULT_DISCLOSURE_DAYS='45d' is not a whole number"),
        ("KYOCHO_DEBUG", "maybe", "KYOCHO_DEBUG='maybe' is not a boolean (use true or false)"),
        ("KYOCHO_BEHIND_PROXY", "y", "KYOCHO_BEHIND_PROXY='y' is not a boolean (use true or false)"),
        ("KYOCHO_ENV", "staging", "KYOCHO_ENV='staging': use development, production or test"),
        ("KYOCHO_DATABASE_URL", "mysql://db/kyocho", "KYOCHO_DATABASE_URL has scheme 'mysql'"),
        ("KYOCHO_IMAP_CA_FILE", "/nonexistent/ca.pem", "KYOCHO_IMAP_CA_FILE='/nonexistent/ca.pem' is not a file"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        read_settings(monkeypatch, **{variable: value})
    assert message in str(refused.value)


def test_configurable_rules_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    values = read_settings(monkeypatch, KYOCHO_DEFAULT_DISCLOSURE_DAYS="60", KYOCHO_WORKER_HEARTBEAT_SECONDS="5")
    assert values["KYOCHO"]["DEFAULT_DISCLOSURE_DAYS"] == 60  # type: ignore[index]
    assert values["KYOCHO"]["WORKER_HEARTBEAT_SECONDS"] == 5  # type: ignore[index]


# --- the readers ----------------------------------------------------------------------------------


def test_env_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KYOCHO_X", raising=False)
    assert env_str("KYOCHO_X", "default") == "default"
    with pytest.raises(ConfigError, match="KYOCHO_X is not set"):
        env_str("KYOCHO_X")
    monkeypatch.setenv("KYOCHO_X", "")
    assert env_str("KYOCHO_X", "default") == "default"
    monkeypatch.setenv("KYOCHO_X", "value")
    assert env_str("KYOCHO_X", "default") == "value"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_bool(monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    monkeypatch.setenv("KYOCHO_FLAG", raw)
    assert env_bool("KYOCHO_FLAG", default=not value) is value


def test_env_bool_default_and_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KYOCHO_FLAG", raising=False)
    assert env_bool("KYOCHO_FLAG", default=True) is True
    monkeypatch.setenv("KYOCHO_FLAG", "2")
    with pytest.raises(ConfigError, match="KYOCHO_FLAG='2' is not a boolean"):
        env_bool("KYOCHO_FLAG", default=False)


def test_env_int(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KYOCHO_N", raising=False)
    assert env_int("KYOCHO_N", 5) == 5
    monkeypatch.setenv("KYOCHO_N", "12")
    assert env_int("KYOCHO_N", 5, minimum=1) == 12
    monkeypatch.setenv("KYOCHO_N", "1.5")
    with pytest.raises(ConfigError, match=r"KYOCHO_N=.1\.5. is not a whole number"):
        env_int("KYOCHO_N", 5)
    monkeypatch.setenv("KYOCHO_N", "-3")
    with pytest.raises(ConfigError, match="KYOCHO_N=-3 must be at least 0"):
        env_int("KYOCHO_N", 5, minimum=0)
    monkeypatch.setenv("KYOCHO_N", "24")
    with pytest.raises(ConfigError, match="KYOCHO_N=24 must be at most 23"):
        env_int("KYOCHO_N", 9, minimum=0, maximum=23)


def test_env_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYOCHO_HOSTS", " a.example , ,b.example,")
    assert env_list("KYOCHO_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.setenv("KYOCHO_HOSTS", "  ")
    assert env_list("KYOCHO_HOSTS", ["x"]) == ["x"]


def test_env_secret_prefers_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("KYOCHO_PW", "from-variable")
    assert env_secret("KYOCHO_PW") == "from-variable"
    monkeypatch.setenv("KYOCHO_PW_FILE", str(secret))
    assert env_secret("KYOCHO_PW") == "from-file"


DATA = Path("/srv/kyocho/var")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////var/lib/kyocho/db.sqlite3", "/var/lib/kyocho/db.sqlite3"),
        ("sqlite:///relative/db.sqlite3", "relative/db.sqlite3"),
        ("sqlite://", str(DATA / "kyocho.sqlite3")),
        ("sqlite:////srv/with%20space.sqlite3", "/srv/with space.sqlite3"),
    ],
)
def test_sqlite_urls(url: str, name: str) -> None:
    database = database_from_url(url, DATA)
    assert (database["ENGINE"], database["NAME"]) == ("django.db.backends.sqlite3", name)
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]  # type: ignore[index]
    assert database["TEST"] == {"NAME": str(DATA / "test-kyocho.sqlite3")}


def test_postgres_url_with_everything() -> None:
    database = database_from_url("postgres://cvd:p%40ss%2Fword@db.internal:6432/kyocho?sslmode=require", DATA)
    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kyocho",
        "USER": "cvd",
        "PASSWORD": "p@ss/word",
        "HOST": "db.internal",
        "PORT": "6432",
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def test_postgresql_scheme_and_defaults() -> None:
    database = database_from_url("postgresql:///kyocho", DATA)
    assert (database["NAME"], database["USER"], database["HOST"], database["PORT"]) == ("kyocho", "", "", "")


def test_postgres_url_needs_a_database_name() -> None:
    with pytest.raises(ConfigError, match="names no database"):
        database_from_url("postgres://user@host:5432/", DATA)


def test_unknown_database_scheme() -> None:
    with pytest.raises(ConfigError, match="use sqlite:/// or postgres://"):
        database_from_url("mysql://db/kyocho", DATA)
