"""Duplicate suggestions: what matched, in what order, and only among what the actor may see."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.intake import actions
from kyocho.intake.duplicates import cve_ids, jaccard, normalise_name, suggest_duplicates, trigrams
from kyocho.intake.tests.helpers import live_case, submit

pytestmark = pytest.mark.django_db

XSS = "The admin page reflects the Host header into a script block without escaping it."
OTHER_TEXT = "A buffer overflow in the firmware update parser lets a remote attacker run code."


def report_about(
    product: str = "Other Product", developer: str = "", description: str = OTHER_TEXT, **more: Any
) -> Any:
    report, _token = submit(
        product_name=product, developer_name=developer, description=description, reproduction="", **more
    )
    return report


def subjects(suggestions: list[Any]) -> list[Any]:
    return [suggestion.subject for suggestion in suggestions]


def reasons_for(suggestions: list[Any], subject: Any) -> list[str]:
    (match,) = [suggestion for suggestion in suggestions if suggestion.subject == subject]
    return list(match.reasons)


def test_names_are_normalised() -> None:
    assert normalise_name("ＲＴ-500 Router") == normalise_name("rt 500 router") == "rt500router"


def test_cve_ids_are_found_in_any_case_and_width() -> None:
    assert cve_ids("see cve-2024-12345 and ＣＶＥ-2023-0001.") == {"CVE-2024-12345", "CVE-2023-0001"}


def test_trigram_similarity() -> None:
    assert jaccard(trigrams(XSS), trigrams(XSS.upper())) == 1.0
    assert jaccard(trigrams(XSS), trigrams(OTHER_TEXT)) < 0.25
    assert jaccard(trigrams(""), trigrams(XSS)) == 0.0


def test_each_reason_is_reported(coordinator: User) -> None:
    report = report_about("Example Router RT-500", "Example Networks", XSS, public_references="CVE-2026-1111")
    same_product = report_about("example router rt 500")
    same_developer = report_about("Something Else", "EXAMPLE NETWORKS")
    same_cve = report_about("Unrelated", description="Known as CVE-2026-1111 upstream; " + OTHER_TEXT)
    similar_text = report_about("Unrelated", description=XSS.replace("script", "page"))
    found = suggest_duplicates(coordinator, report)
    assert reasons_for(found, same_product) == ["product"]
    assert reasons_for(found, same_developer) == ["developer"]
    assert reasons_for(found, same_cve) == ["cve"]
    assert reasons_for(found, similar_text) == ["text"]
    (cve_match,) = [suggestion for suggestion in found if suggestion.subject == same_cve]
    assert cve_match.matched_cves == ["CVE-2026-1111"]


def test_unrelated_reports_are_not_suggested(coordinator: User) -> None:
    report = report_about("Example Router", "Example Networks", XSS)
    unrelated = report_about("Photo Viewer", "Pixel Works", OTHER_TEXT)
    assert unrelated not in subjects(suggest_duplicates(coordinator, report))


def test_the_report_itself_and_spam_are_not_suggested(coordinator: User) -> None:
    report = report_about("Example Router", description=XSS)
    spam = report_about("Example Router", description=XSS)
    actions.mark_spam(spam.pk, actor=coordinator)
    assert suggest_duplicates(coordinator, report) == []


def test_ranking_puts_the_strongest_evidence_first(coordinator: User) -> None:
    report = report_about("Example Router", "Example Networks", XSS + " CVE-2026-2222")
    only_developer = report_about("Other", "Example Networks")
    product_and_text = report_about("Example Router", description=XSS)
    everything = report_about("Example Router", "Example Networks", XSS + " CVE-2026-2222")
    only_product = report_about("Example Router")
    assert subjects(suggest_duplicates(coordinator, report)) == [
        everything,
        product_and_text,
        only_product,
        only_developer,
    ]


def test_cases_are_suggested_through_their_reports(coordinator: User) -> None:
    case = live_case(coordinator)
    earlier = report_about("Example Router", "Example Networks", XSS)
    actions.accept_report(earlier.pk, case_id=case.pk, actor=coordinator)
    report = report_about("Example Router", description=XSS)
    found = suggest_duplicates(coordinator, report)
    assert subjects(found)[:2] in ([case, earlier], [earlier, case])
    (case_match,) = [suggestion for suggestion in found if suggestion.is_case]
    assert case_match.reasons == ["product", "text"]
    assert case_match.can_be_duplicate_target


def test_a_case_matches_a_cve_in_its_summary(coordinator: User) -> None:
    from kyocho.cases import actions as cases

    case = cases.open_case(title="Router XSS (CVE-2026-3333)", actor=coordinator)
    report = report_about(description="This is CVE-2026-3333 again. " + OTHER_TEXT)
    found = suggest_duplicates(coordinator, report)
    assert subjects(found) == [case]
    assert found[0].reasons == ["cve"]


def test_only_what_the_actor_may_see(coordinator: User, reporter: User) -> None:
    mine = report_about("Example Router", description=XSS)
    someone_elses, _token = submit(product_name="Example Router", description=XSS)
    own, _token = submit(reporter, product_name="Example Router", description=XSS)
    live_case(coordinator)
    assert subjects(suggest_duplicates(reporter, own)) == []
    assert set(subjects(suggest_duplicates(coordinator, own))) == {mine, someone_elses}
