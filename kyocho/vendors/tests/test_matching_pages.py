"""The staff case page's candidate panel and the candidates/participants API."""

from __future__ import annotations

import pytest

from kyocho.api.tests.helpers import json_of, token_client
from kyocho.audit.models import AuditEvent
from kyocho.cases import actions as cases
from kyocho.cases.models import Participation
from kyocho.vendors.tests.registry_helpers import product_with_sbom, registered


@pytest.fixture
def case(coordinator):
    return cases.open_case(title="Prototype pollution in a router UI", actor=coordinator)


@pytest.fixture
def candidate(vendor_member):
    registration = registered(vendor_member, name="Vendor A", keywords=["router"])
    product_with_sbom(registration, vendor_member, ("pkg:npm/lodash", "4.17.20"), name="Router UI", version="2.1")
    return registration.organisation


QUERY = {"purl": "pkg:npm/lodash", "vers": "vers:npm/<4.17.21"}


def test_the_case_page_shows_the_search_form(client_for, coordinator, case):
    html = client_for(coordinator).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Find affected developers" in html
    assert f'hx-get="/staff/cases/{case.reference}/candidates/"' in html


def test_the_panel_lists_candidates_with_their_evidence(client_for, coordinator, case, candidate):
    html = panel_html(client_for(coordinator), case, QUERY)
    assert "<html" not in html  # a partial for htmx
    assert "Vendor A" in html
    assert "SBOM of Router UI 2.1: pkg:npm/lodash@4.17.20" in html
    assert "Add as identified" in html


def test_without_htmx_the_panel_is_a_whole_page(client_for, coordinator, case, candidate):
    html = client_for(coordinator).get(f"/staff/cases/{case.reference}/candidates/", QUERY).content.decode()
    assert "<html" in html
    assert "Vendor A" in html


def panel_html(client, case, query):
    """The panel as htmx fetches it, for ``query``."""
    return client.get(f"/staff/cases/{case.reference}/candidates/", query, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"purl": "lodash"}, "is not a valid package URL"),
        ({"keywords": "mainframe"}, "No registered developer matches."),
    ],
)
def test_bad_input_and_no_match_are_said_in_the_panel(client_for, coordinator, case, candidate, query, shown):
    assert shown in panel_html(client_for(coordinator), case, query)


def test_one_click_adds_the_developer_as_identified(client_for, coordinator, case, candidate):
    client = client_for(coordinator)
    url = f"/staff/cases/{case.reference}/candidates/add/"
    html = client.post(url, {"organisation_id": candidate.pk, **QUERY}, HTTP_HX_REQUEST="true").content.decode()
    participation = Participation.objects.get(case=case)
    assert (participation.organisation_id, participation.status) == (candidate.pk, "identified")
    assert AuditEvent.objects.latest("seq").name == "case:participant:identified"
    assert "Vendor A was added to the case as identified." in html
    assert "In the case" in html
    again = client.post(url, {"organisation_id": candidate.pk, **QUERY}, HTTP_HX_REQUEST="true").content.decode()
    assert "already in the case" in again
    assert Participation.objects.filter(case=case).count() == 1


def test_without_htmx_adding_goes_back_to_the_case_page(client_for, coordinator, case, candidate):
    response = client_for(coordinator).post(
        f"/staff/cases/{case.reference}/candidates/add/", {"organisation_id": candidate.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{case.reference}/"


@pytest.mark.parametrize("who", ["vendor_member", "partner", "reporter"])
def test_the_panel_is_404_for_everyone_but_staff(client_for, case, candidate, who, request):
    client = client_for(request.getfixturevalue(who))
    assert client.get(f"/staff/cases/{case.reference}/candidates/", QUERY).status_code == 404
    response = client.post(f"/staff/cases/{case.reference}/candidates/add/", {"organisation_id": candidate.pk})
    assert response.status_code == 404
    assert not Participation.objects.exists()


def test_the_api_lists_candidates(coordinator, case, candidate):
    response = token_client(coordinator).get(f"/api/v1/cases/{case.pk}/candidates", QUERY)
    [found] = json_of(response)
    assert (found["organisation"], found["strongest"], found["in_case"]) == ("Vendor A", "sbom", False)
    [evidence] = found["evidence"]
    assert (evidence["product"], evidence["product_version"], evidence["component_version"]) == (
        "Router UI",
        "2.1",
        "4.17.20",
    )


def test_the_api_refuses_bad_input_with_400(coordinator, case):
    response = token_client(coordinator).get(
        f"/api/v1/cases/{case.pk}/candidates", {"purl": "pkg:npm/x", "vers": "nope"}
    )
    assert response.status_code == 400
    assert "is not a vers range" in json_of(response)["message"]


def test_the_api_adds_a_participant(coordinator, case, candidate):
    response = token_client(coordinator).post(
        f"/api/v1/cases/{case.pk}/participants", {"organisation_id": candidate.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    assert (json_of(response)["organisation_id"], json_of(response)["status"]) == (candidate.pk, "identified")
    listed = json_of(token_client(coordinator).get(f"/api/v1/cases/{case.pk}/candidates", QUERY))
    assert listed[0]["in_case"] is True
    again = token_client(coordinator).post(
        f"/api/v1/cases/{case.pk}/participants", {"organisation_id": candidate.pk}, content_type="application/json"
    )
    assert again.status_code == 409


@pytest.mark.parametrize("who", ["vendor_member", "partner"])
def test_the_api_hides_the_case_from_others(case, candidate, who, request):
    client = token_client(request.getfixturevalue(who))
    assert client.get(f"/api/v1/cases/{case.pk}/candidates", QUERY).status_code == 404
    response = client.post(
        f"/api/v1/cases/{case.pk}/participants", {"organisation_id": candidate.pk}, content_type="application/json"
    )
    assert response.status_code == 404


def test_a_malformed_developer_id_is_refused_in_the_panel(client_for, coordinator, case):
    html = (
        client_for(coordinator)
        .post(f"/staff/cases/{case.reference}/candidates/add/", {"organisation_id": "abc"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "No such product developer." in html
    assert not Participation.objects.exists()
