"""Checking advisory content and references."""

from __future__ import annotations

import pytest

from kyocho.advisories.content import SECTION_MAX, TITLE_MAX, clean_content, clean_references, require_titles
from kyocho.advisories.workflow import SECTIONS
from kyocho.core.errors import InvalidInput


def test_every_section_in_both_languages_is_kept_and_trimmed() -> None:
    content = {language: {section: f" {section} " for section in SECTIONS} for language in ("ja", "en")}
    cleaned = clean_content(content)
    assert cleaned["ja"]["impact"] == "impact"
    assert set(cleaned["en"]) == set(SECTIONS)


def test_a_missing_language_becomes_empty() -> None:
    assert clean_content({"ja": {"title": "題名"}}) == {"ja": {"title": "題名"}, "en": {}}


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("text", "content"),
        ({"fr": {"title": "x"}}, "content"),
        ({"ja": ["title"]}, "content.ja"),
        ({"ja": {"script": "x"}}, "content.ja.script"),
        ({"en": {"title": 3}}, "content.en.title"),
        ({"en": {"overview": None}}, "content.en.overview"),
        ({"en": {"title": "x" * (TITLE_MAX + 1)}}, "content.en.title"),
        ({"ja": {"description": "x" * (SECTION_MAX + 1)}}, "content.ja.description"),
    ],
)
def test_bad_content_is_refused(content, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_content(content)
    assert refused.value.field == field


@pytest.mark.parametrize("missing", ["ja", "en"])
def test_titles_in_both_languages(missing) -> None:
    content = clean_content({"ja": {"title": "題名"}, "en": {"title": "Title"}})
    require_titles(content)
    content[missing]["title"] = ""
    with pytest.raises(InvalidInput) as refused:
        require_titles(content)
    assert refused.value.field == f"content.{missing}.title"


def test_references() -> None:
    assert clean_references(None) == []
    assert clean_references([{"url": " https://example.com/a "}]) == [{"url": "https://example.com/a", "title": ""}]


@pytest.mark.parametrize(
    ("references", "field"),
    [
        ("https://example.com", "references"),
        ([{"url": "https://example.com"}] * 201, "references"),
        (["https://example.com"], "references.0"),
        ([{"url": "https://example.com", "rel": "x"}], "references.0"),
        ([{"url": "javascript:alert(1)"}], "references.0.url"),
        ([{"url": "ftp://example.com/x"}], "references.0.url"),
        ([{"url": "https://example.com/" + "a" * 2000}], "references.0.url"),
        ([{"url": "https://example.com", "title": "t" * 301}], "references.0.title"),
        ([{"title": "no url"}], "references.0"),
    ],
)
def test_bad_references_are_refused(references, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_references(references)
    assert refused.value.field == field
