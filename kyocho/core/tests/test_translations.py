"""The Japanese catalogue is complete, keeps every placeholder of its English source, and the committed
.mo is what the committed .po compiles to (Django reads only the .mo, so a stale one hides fixes).

The .po is read by a small parser here rather than a new dependency; it understands what
makemessages writes: flags, msgid/msgid_plural/msgstr[n] with continuation lines, obsolete "#~" entries.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale" / "ja" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

# Python %-style with a name (%(days)d), str.format-style ({name}, {0}, {}), and HTML tags.
NAMED_PERCENT = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"\{[^{}\s]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgid_plural is None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted PO string: {text!r}")
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(1)), text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries in file order, the header (msgid "") first; obsolete "#~" entries are left out."""
    entries: list[Entry] = []
    entry, target = Entry(), None
    keyword = re.compile(r"^(msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")

    def finish() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if target is not None and target[0] == "msgstr":
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            if target is not None and target[0] == "msgstr" and not line.startswith("#~"):
                finish()
        elif match := keyword.match(line):
            name, index, value = match.groups()
            if name == "msgid":
                if target is not None and target[0] == "msgstr":
                    finish()
                entry.line = number
            target = ("msgstr", int(index or 0)) if name.startswith("msgstr") else (name, 0)
            _append(entry, target, _unquote(value))
        elif line.startswith('"') and target is not None:
            _append(entry, target, _unquote(line))
        else:
            raise ValueError(f"line {number}: cannot read {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgid":
        entry.msgid += text
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    else:
        entry.msgstr[index] = entry.msgstr.get(index, "") + text


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(entry for entry in entries if entry.is_header)
    pairs = (line.split(":", 1) for line in header.msgstr.get(0, "").splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def plural_count(entries: list[Entry]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header_fields(entries).get("Plural-Forms", ""))
    if not match:
        raise AssertionError("the header has no Plural-Forms: nplurals=…")
    return int(match.group(1))


def _placeholders(text: str) -> set[str]:
    return set(NAMED_PERCENT.findall(text)) | set(BRACES.findall(text))


def _edges(text: str) -> tuple[bool, bool]:
    return text.startswith("\n"), text.endswith("\n")


def fuzzy_entries(entries: list[Entry]) -> list[str]:
    return [f"line {entry.line}: {entry.msgid!r}" for entry in entries if "fuzzy" in entry.flags]


def untranslated_entries(entries: list[Entry], nplurals: int) -> list[str]:
    problems = []
    for entry in entries:
        if entry.is_header:
            continue
        expected = range(nplurals) if entry.msgid_plural is not None else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr[index] for index in expected):
            problems.append(f"line {entry.line}: {entry.msgid!r} has forms {entry.msgstr!r}")
    return problems


def _source_of(entry: Entry, index: int) -> str:
    """The English text a form translates. A one-form language (Japanese) uses msgstr[0] for every
    count, so that form answers to the plural source, which carries the count's placeholder."""
    if entry.msgid_plural is not None and (index > 0 or len(entry.msgstr) == 1):
        return entry.msgid_plural
    return entry.msgid


def placeholder_mismatches(entries: list[Entry]) -> list[str]:
    """Each translation keeps the source's placeholders, HTML tags and leading/trailing newlines."""
    problems = []
    for entry in entries:
        if entry.is_header:
            continue
        for index, translation in entry.msgstr.items():
            source = _source_of(entry, index)
            if _placeholders(translation) != _placeholders(source):
                problems.append(
                    f"line {entry.line}: {entry.msgid!r}[{index}] has {sorted(_placeholders(translation))}, "
                    f"the source {sorted(_placeholders(source))}"
                )
            if Counter(HTML_TAG.findall(translation)) != Counter(HTML_TAG.findall(source)):
                problems.append(f"line {entry.line}: {entry.msgid!r}[{index}] changes the HTML tags")
            if translation and _edges(translation) != _edges(source):
                problems.append(f"line {entry.line}: {entry.msgid!r}[{index}] changes leading/trailing newlines")
    return problems


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO_FILE.read_text(encoding="utf-8"))


def test_header_declares_japanese_with_one_plural_form(catalogue: list[Entry]) -> None:
    fields = header_fields(catalogue)
    assert fields["Language"] == "ja"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert plural_count(catalogue) == 1
    assert len(catalogue) > 400  # the whole interface, not a stub


def test_no_entry_is_fuzzy(catalogue: list[Entry]) -> None:
    assert fuzzy_entries(catalogue) == []


def test_every_message_is_translated_in_every_plural_form(catalogue: list[Entry]) -> None:
    assert untranslated_entries(catalogue, plural_count(catalogue)) == []


def test_translations_keep_the_placeholders(catalogue: list[Entry]) -> None:
    assert placeholder_mismatches(catalogue) == []


def test_the_checks_catch_broken_entries() -> None:
    broken = parse_po(
        'msgid ""\nmsgstr "Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Hi %(name)s"\nmsgstr "こんにちは"\n\n'
        'msgid "{count} left"\nmsgstr "残り {total}"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "一"\nmsgstr[1] "多"\n\n'
        'msgid "<b>Bold</b>\\n"\nmsgstr "太字"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy\n#~ msgid "Gone"\n#~ msgstr "削除済み"\n'
    )
    assert [entry.msgid for entry in broken] == ["", "Hi %(name)s", "{count} left", "one", "<b>Bold</b>\n", "Empty"]
    assert len(fuzzy_entries(broken)) == 1
    assert len(untranslated_entries(broken, plural_count(broken))) == 2  # two forms for one; an empty msgstr
    mismatches = "\n".join(placeholder_mismatches(broken))
    assert "Hi %(name)s" in mismatches
    assert "{count} left" in mismatches
    assert "changes the HTML tags" in mismatches
    assert "leading/trailing newlines" in mismatches


def test_committed_mo_matches_the_po(tmp_path: Path) -> None:
    """Compared as catalogues, not bytes: different gettext versions lay out the same .mo differently."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed")
    compiled = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(PO_FILE)], check=True, capture_output=True)
    if compiled.read_bytes() == MO_FILE.read_bytes():
        return
    with compiled.open("rb") as fresh, MO_FILE.open("rb") as committed:
        fresh_catalogue = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        committed_catalogue = gettext.GNUTranslations(committed)._catalog  # type: ignore[attr-defined]
    assert committed_catalogue == fresh_catalogue, "run: msgfmt --check -o locale/ja/LC_MESSAGES/django.mo …po"


def test_django_serves_the_japanese_catalogue() -> None:
    from django.utils import translation

    with translation.override("ja"):
        assert translation.gettext("Received") == "受付済み"
        assert (
            translation.ngettext("%(counter)s active case", "%(counter)s active cases", 3)
            == "進行中の案件 %(counter)s 件"
        )
