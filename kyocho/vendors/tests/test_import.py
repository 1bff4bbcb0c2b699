"""Bulk import of a vendor list: dry run problems, all-or-nothing, duplicates, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from kyocho.accounts.models import Organisation, User
from kyocho.audit.models import AuditEvent
from kyocho.core.errors import InvalidInput, PermissionDenied
from kyocho.vendors import importer
from kyocho.vendors.models import Product, Registration

pytestmark = pytest.mark.django_db

HEADER = "name,name_en,registration_type,contact_name,contact_email,phone,keywords,products,listed_publicly\n"
GOOD = (
    HEADER
    + "アルファ株式会社,Alpha Inc.,general,Aiko,psirt@alpha.example,03-1111-2222,router;camera,"
    + '"Alpha Router|cpe:2.3:h:alpha:router:*:*:*:*:*:*:*:*|pkg:generic/alpha/router;Alpha Cam||",yes\n'
    + "Beta LLC,,individual,Ben,sec@beta.example,,,,no\n"
)
BAD = (
    HEADER
    + "Gamma,,general,Gina,gina@gamma.example,,,,yes\n"
    + "Delta,,premium,Dan,dan@delta.example,,,,yes\n"
    + "Epsilon,,general,Eve,not-an-address,,,,yes\n"
    + "Zeta,,general,Zed,z@zeta.example,,,Z|cpe:bad|,yes\n"
    + "Gamma,,general,Gil,gil@gamma.example,,,,yes\n"
)


def test_csv_import_writes_every_row(lead: User) -> None:
    result = importer.run(GOOD.encode(), actor=lead, filename="list.csv")
    assert (result.rows, result.written, result.problems) == (2, 2, [])
    alpha = Registration.objects.get(organisation__name="アルファ株式会社")
    assert alpha.status == "listed"
    assert alpha.organisation.name_en == "Alpha Inc."
    assert alpha.keywords == ["router", "camera"]
    assert alpha.listed_publicly
    assert alpha.contacts.get().responsible
    assert sorted(Product.objects.filter(registration=alpha).values_list("name", "purl")) == [
        ("Alpha Cam", ""),
        ("Alpha Router", "pkg:generic/alpha/router"),
    ]
    assert AuditEvent.objects.filter(name="vendors:registration:imported").count() == 2


def test_dry_run_reports_every_problem_with_row_and_field_and_writes_nothing(lead: User) -> None:
    result = importer.dry_run(BAD.encode(), actor=lead, filename="list.csv")
    assert [(p.row, p.field) for p in result.problems] == [
        (2, "registration_type"),
        (3, "contact_email"),
        (4, "products (0.cpe)"),
        (5, "name"),
    ]
    assert "row 1" in str(result.problems[-1])  # a duplicate names the row it repeats
    assert not Registration.objects.exists()


def test_real_run_with_any_problem_writes_nothing(lead: User) -> None:
    result = importer.run(BAD.encode(), actor=lead, filename="list.csv")
    assert result.written == 0
    assert result.problems
    assert not Organisation.objects.filter(name="Gamma").exists()


def test_a_failure_while_writing_rolls_back_the_rows_already_written(
    lead: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kyocho.core.errors import Conflict
    from kyocho.vendors import actions

    real = actions.import_developer
    calls = []

    def second_fails(developer, *, actor):  # type: ignore[no-untyped-def]
        calls.append(developer.name)
        if len(calls) == 2:
            raise Conflict("registered meanwhile", field="name")
        return real(developer, actor=actor)

    monkeypatch.setattr(actions, "import_developer", second_fails)
    result = importer.run(GOOD.encode(), actor=lead, filename="list.csv")
    assert [(p.row, p.field) for p in result.problems] == [(2, "name")]
    assert not Registration.objects.exists()
    assert not Organisation.objects.filter(name="アルファ株式会社").exists()


def test_names_already_registered_are_duplicates(lead: User) -> None:
    importer.run(GOOD.encode(), actor=lead, filename="list.csv")
    result = importer.dry_run(GOOD.encode(), actor=lead, filename="list.csv")
    assert [(p.row, p.field) for p in result.problems] == [(1, "name"), (2, "name")]


def test_json_list(lead: User) -> None:
    rows = [
        {
            "name": "Json Vendor",
            "registration_type": "general",
            "contact_name": "J",
            "contact_email": "j@json.example",
            "products": ["Lib||pkg:npm/json-lib"],
            "listed_publicly": True,
            "colour": "blue",
        }
    ]
    result = importer.dry_run(json.dumps(rows).encode(), actor=lead, filename="list.json")
    assert [(p.row, p.field) for p in result.problems] == [(1, "colour")]
    del rows[0]["colour"]
    assert importer.run(json.dumps(rows).encode(), actor=lead, filename="list.json").written == 1
    assert Product.objects.get().purl == "pkg:npm/json-lib"


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe", b"[{]", b'{"name": "x"}', b"name,phone\nX,1\n"],
)
def test_unreadable_files_are_refused(lead: User, data: bytes) -> None:
    with pytest.raises(InvalidInput):
        importer.dry_run(data, actor=lead)


def test_import_is_for_leads(coordinator: User) -> None:
    with pytest.raises(PermissionDenied):
        importer.run(GOOD.encode(), actor=coordinator)


def test_command_dry_run_prints_problems_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.csv"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("vendors", "import", str(path), "--dry-run")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "row 2: registration_type: Choose general or individual registration." in out
    assert "row 3: contact_email: Enter a valid email address." in out
    assert not Registration.objects.exists()


def test_command_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("vendors", "import", str(path), "--dry-run")
    assert "2 rows, no problems." in capsys.readouterr().out
    assert not Registration.objects.exists()
    call_command("vendors", "import", str(path))
    assert "Imported 2 developers." in capsys.readouterr().out
    assert Registration.objects.count() == 2


def test_terms_publish_command(tmp_path: Path) -> None:
    (tmp_path / "ja.txt").write_text("規約本文", encoding="utf-8")
    (tmp_path / "en.txt").write_text("Terms body", encoding="utf-8")
    call_command(
        "terms", "publish", "--version", "2026-04", "--ja", str(tmp_path / "ja.txt"), "--en", str(tmp_path / "en.txt")
    )
    from kyocho.vendors.queries import current_terms

    terms = current_terms()
    assert terms is not None
    assert (terms.version, terms.text_ja, terms.text_en) == ("2026-04", "規約本文", "Terms body")
    assert AuditEvent.objects.filter(name="vendors:terms:published").exists()


EXISTING = {
    "name": "Example Vendor A",
    "registration_type": "general",
    "contacts": [{"name": "PSIRT", "email": "psirt@vendor-a.example", "responsible": True}],
}


def test_an_existing_developer_organisation_is_listed_as_it_is(lead: User, vendor_org: Organisation) -> None:
    from kyocho.vendors import actions

    registration = actions.import_developer(actions.clean_developer(EXISTING), actor=lead, organisation=vendor_org)
    assert (registration.organisation, registration.status) == (vendor_org, "listed")
    assert AuditEvent.objects.latest("seq").name == "vendors:registration:imported"


def test_an_organisation_is_registered_once_and_only_a_developer(
    lead: User, vendor_org: Organisation, partner_org: Organisation
) -> None:
    from kyocho.core.errors import Conflict
    from kyocho.vendors import actions

    developer = actions.clean_developer(EXISTING)
    actions.import_developer(developer, actor=None, organisation=vendor_org)
    with pytest.raises(Conflict):
        actions.import_developer(developer, actor=lead, organisation=vendor_org)
    with pytest.raises(InvalidInput) as refusal:
        actions.import_developer(developer, actor=lead, organisation=partner_org)
    assert refusal.value.field == "organisation"
    assert Registration.objects.count() == 1
