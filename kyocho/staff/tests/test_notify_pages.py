"""The staff case page's "Notify developers" panel: what it shows before notifying, one POST for all,
the result as messages, refusals beside what they are about, in Japanese and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.conftest import make_organisation
from kyocho.disclosure.actions import suspend_from_prenotification
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors import actions as vendors


def register(organisation: Organisation, *addresses: str) -> Organisation:
    contacts = [
        {"name": f"Contact {number}", "email": address, "responsible": number == 0, "language": "en"}
        for number, address in enumerate(addresses)
    ]
    developer = vendors.clean_developer(
        {"name": organisation.name, "registration_type": "general", "contacts": contacts}
    )
    vendors.import_developer(developer, actor=None, organisation=organisation)
    return organisation


@pytest.fixture
def reachable(vendor_org: Organisation) -> Organisation:
    return register(vendor_org, "psirt@vendor-a.example", "second@vendor-a.example")


@pytest.fixture
def silent() -> Organisation:
    return make_organisation("Silent Widgets Ltd", OrganisationKind.PRODUCT_DEVELOPER)


@pytest.fixture
def case(coordinator: User, reachable: Organisation, silent: Organisation) -> Case:
    case = cases.open_case(title="Stored XSS in the admin console", actor=coordinator)
    for developer in (reachable, silent):
        cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
    return case


def url(case: Case) -> str:
    return f"/staff/cases/{case.reference}/notify/"


def page(client: Client, case: Case) -> str:
    return client.get(f"/staff/cases/{case.reference}/").content.decode()


def test_the_case_page_lists_the_identified_developers_and_how_each_is_reached(
    client_for: Any, coordinator: User, case: Case, reachable: Organisation, silent: Organisation
) -> None:
    html = page(client_for(coordinator), case)
    assert "Notify developers" in html
    assert f'name="organisation_ids" value="{reachable.pk}"' in html
    assert "2 notices only (no usable key)" in html
    assert "No contact address: portal only" in html
    assert "Notify the chosen developers" in html


def test_the_panel_reads_in_japanese(client_for: Any, coordinator: User, case: Case) -> None:
    html = page(client_for(coordinator, "ja"), case)
    assert '<html lang="ja"' in html
    assert 'id="notify"' in html


def test_one_post_notifies_the_chosen_developers_and_reports_how(
    client_for: Any, coordinator: User, case: Case, reachable: Organisation, silent: Organisation
) -> None:
    client = client_for(coordinator)
    response = client.post(url(case), {"action": "notify", "organisation_ids": [reachable.pk, silent.pk]})
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{case.reference}/"
    assert set(case.participations.values_list("status", flat=True)) == {"notified"}
    assert OutboundEmail.objects.filter(purpose="case:notification").count() == 2
    html = client.get(response["Location"]).content.decode()
    assert "2 developers were notified." in html
    assert f"No contact has a usable OpenPGP key; each got only a sign-in notice: {reachable.name}." in html
    assert "No contact address: notified in the portal only." in html and silent.name in html
    assert "This was the case&#x27;s first notification" in html
    assert "No identified developer is waiting to be notified." in html


def test_nothing_chosen_is_refused_on_the_panel(client_for: Any, coordinator: User, case: Case) -> None:
    response = client_for(coordinator).post(url(case), {"action": "notify"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html  # the panel as a page of its own, without htmx
    assert "Choose at least one developer to notify." in html
    assert not OutboundEmail.objects.exists()


def test_a_suspended_developer_asks_for_a_reason_beside_it_and_keeps_the_choice(
    client_for: Any, coordinator: User, lead: User, case: Case, reachable: Organisation, silent: Organisation
) -> None:
    suspend_from_prenotification(silent.pk, reason="broke the date of KYC-OLD", actor=lead)
    client = client_for(coordinator)
    html = page(client, case)
    assert "broke the date of KYC-OLD" in html and f'name="override_{silent.pk}"' in html

    chosen = {"action": "notify", "organisation_ids": [reachable.pk, silent.pk]}
    html = client.post(url(case), chosen, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html  # the panel only, swapped in place
    assert "is suspended from pre-notification" in html
    assert f'id="override-{silent.pk}-error"' in html and 'aria-invalid="true"' in html
    assert f'value="{reachable.pk}" checked' in html and f'value="{silent.pk}" checked' in html
    assert set(case.participations.values_list("status", flat=True)) == {"identified"}

    response = client.post(
        url(case), {**chosen, f"override_{silent.pk}": "the only vendor of the library"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Redirect"] == f"/staff/cases/{case.reference}/"
    assert case.participations.get(organisation=silent).suspension_override_reason == "the only vendor of the library"


def test_a_developer_found_by_name_is_added_and_notified(
    client_for: Any, coordinator: User, case: Case, other_vendor_org: Organisation
) -> None:
    register(other_vendor_org, "psirt@vendor-b.example")
    client = client_for(coordinator)
    html = client.post(url(case), {"action": "search", "q": "vendor b"}, HTTP_HX_REQUEST="true").content.decode()
    assert other_vendor_org.name in html and "Not in the case yet" in html
    assert "Silent Widgets" in html  # the identified ones stay listed
    assert "No product developer outside the case" not in html

    client.post(url(case), {"action": "notify", "organisation_ids": [other_vendor_org.pk], "q": "vendor b"})
    assert case.participations.get(organisation=other_vendor_org).status == "notified"


def test_a_search_finds_nothing_in_the_case_already(
    client_for: Any, coordinator: User, case: Case, reachable: Organisation
) -> None:
    html = client_for(coordinator).get(url(case), {"q": reachable.name}).content.decode()
    assert "No product developer outside the case has such a name." in html


def test_intake_staff_see_the_panel_but_cannot_notify(
    client_for: Any, intake_staff: User, case: Case, reachable: Organisation
) -> None:
    client = client_for(intake_staff)
    html = page(client, case)
    assert "Only coordinators can notify developers." in html and "Notify the chosen developers" not in html
    html = client.post(url(case), {"action": "notify", "organisation_ids": [reachable.pk]}).content.decode()
    assert "Only coordinators can do this." in html
    assert not OutboundEmail.objects.exists()


def test_outsiders_get_not_found(
    client_for: Any, vendor_member: User, reporter: User, case: Case, reachable: Organisation
) -> None:
    for user in (vendor_member, reporter):
        client = client_for(user)
        assert client.get(url(case)).status_code == 404
        assert client.post(url(case), {"action": "notify", "organisation_ids": [reachable.pk]}).status_code == 404
    assert client_for(None).get(url(case)).status_code == 302  # to the sign-in page
    assert not OutboundEmail.objects.exists()


def test_a_closed_case_has_nothing_to_notify(client_for: Any, coordinator: User, case: Case) -> None:
    cases.close_case(case.pk, resolution="withdrawn", actor=coordinator)
    html = page(client_for(coordinator), case)
    assert "Developers can only be notified while the case is open or coordinating." in html


def test_the_panel_is_refreshed_when_a_candidate_is_added(client_for: Any, coordinator: User, case: Case) -> None:
    html = page(client_for(coordinator), case)
    assert 'hx-trigger="kyocho-participants-changed from:body"' in html
    developer = register(make_organisation("Found Vendor", OrganisationKind.PRODUCT_DEVELOPER), "p@found.example")
    response = client_for(coordinator).post(
        f"/staff/cases/{case.reference}/candidates/add/", {"organisation_id": developer.pk}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Trigger"] == "kyocho-participants-changed"


def test_the_panel_queries_do_not_grow_with_the_developers(
    client_for: Any, coordinator: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(coordinator)
    counts = []
    for count in (2, 9):
        case = cases.open_case(title="Many developers", actor=coordinator)
        for number in range(count):
            developer = make_organisation(f"Developer {count}-{number}", OrganisationKind.PRODUCT_DEVELOPER)
            register(developer, f"psirt@developer-{count}-{number}.example")
            cases.add_participant(case.pk, organisation_id=developer.pk, actor=coordinator)
        with django_assert_max_num_queries(60) as run:
            assert client.get(url(case)).status_code == 200
        counts.append(len(run.captured_queries))
    assert counts[0] == counts[1]
