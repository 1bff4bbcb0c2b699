"""The registry in the API: apply (anyone), follow and maintain one's own registration (developers),
review (coordinators). Every write is a ``vendors.actions`` call; reads go through ``vendors.queries``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kyocho.api.auth import BrowserSessionAuth, TokenAuth
from kyocho.api.pagination import Page
from kyocho.core import ratelimit
from kyocho.core.errors import NotFound
from kyocho.vendors import actions, products, queries
from kyocho.vendors.models import Registration

router = Router(tags=["vendor registry"])

# A registration creates an account: limit it per address like the other anonymous forms.
APPLICATIONS_PER_HOUR = 10


def _anyone(request: HttpRequest) -> Any:
    """Lets an anonymous caller through (after the token and session checks found nobody)."""
    return AnonymousUser()


class ContactIn(Schema):
    name: str
    email: str
    phone: str = ""
    responsible: bool = False
    language: Literal["ja", "en"] = "ja"


class ProductIn(Schema):
    name: str
    versions: str = ""
    cpe: str = Field("", description="CPE 2.3 formatted string")
    purl: str = Field("", description="package URL")


class RegistrationIn(Schema):
    name: str
    name_en: str = ""
    registration_type: Literal["general", "individual"]
    terms_version: str = Field(description="The version of the terms the applicant read and accepts (the current one)")
    contacts: list[ContactIn]
    phone: str = ""
    keywords: list[str] = []
    products: list[ProductIn] = []
    public_key: str = Field("", description="ASCII-armoured OpenPGP public key")
    listed_publicly: bool = False
    applicant_email: str = Field("", description="For a caller without an account: the new account's address")
    applicant_name: str = ""
    password: str | None = None
    language: Literal["ja", "en"] = "ja"


class ContactOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    responsible: bool


class ProductOut(Schema):
    id: int
    name: str
    versions: str
    cpe: str
    purl: str


class RegistrationOut(Schema):
    id: int
    organisation_id: int
    name: str = Field(alias="organisation.name")
    name_en: str = Field(alias="organisation.name_en")
    status: str
    registration_type: str
    phone: str
    keywords: list[str]
    listed_publicly: bool
    review_note: str
    applied_at: dt.datetime
    listed_at: dt.datetime | None
    contacts: list[ContactOut] = Field(alias="contact_list")
    products: list[ProductOut] = Field(alias="product_list")

    @staticmethod
    def resolve_contact_list(registration: Registration) -> list[Any]:
        return list(registration.contacts.order_by("pk"))

    @staticmethod
    def resolve_product_list(registration: Registration) -> list[Any]:
        return list(registration.products.order_by("pk"))


class TermsOut(Schema):
    version: str
    text_ja: str
    text_en: str
    published_at: dt.datetime


class NoteIn(Schema):
    note: str = ""


class DetailsIn(Schema):
    phone: str | None = None
    keywords: list[str] | None = None
    listed_publicly: bool | None = None


class TermsAcceptanceIn(Schema):
    terms_version: str


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@router.get("/vendor-terms/current", response=TermsOut, auth=None, summary="The registration terms in force")
def current_terms(request: HttpRequest) -> Any:
    terms = queries.current_terms()
    if terms is None:
        raise NotFound()
    return terms


@router.post(
    "/vendor-registrations",
    response={201: RegistrationOut},
    auth=[TokenAuth(), BrowserSessionAuth(), _anyone],
    summary="Apply to the product developer list",
)
def apply(request: HttpRequest, body: RegistrationIn) -> Any:
    ratelimit.hit("vendor-registration", _client_address(request), limit=APPLICATIONS_PER_HOUR, window_seconds=3600)
    fields = body.dict(exclude={"terms_version", "applicant_email", "applicant_name", "password", "language"})
    registration = actions.apply_for_registration(
        fields,
        actor=request.auth,  # type: ignore[attr-defined]
        terms_version=body.terms_version,
        applicant_email=body.applicant_email,
        applicant_name=body.applicant_name,
        password=body.password,
        language=body.language,
    )
    return Status(201, queries.registration(registration.pk, registration.applicant))


@router.get("/vendor-registrations", response=list[RegistrationOut], summary="Registrations you may see")
@paginate(Page)
def list_registrations(request: HttpRequest, status: str | None = None) -> QuerySet[Registration]:
    return queries.registrations(request.auth, status=status)  # type: ignore[attr-defined]


@router.get("/vendor-registrations/{registration_id}", response=RegistrationOut, summary="One registration")
def get_registration(request: HttpRequest, registration_id: int) -> Any:
    return queries.registration(registration_id, request.auth)  # type: ignore[attr-defined]


def _after(request: HttpRequest, registration_id: int) -> Registration:
    return queries.registration(registration_id, request.auth)  # type: ignore[attr-defined]


# The review steps all take a note (a question, a reason, an answer) and answer with the registration.
NoteStep = Callable[[int, str, Any], object]
NOTE_STEPS: dict[str, tuple[NoteStep, str]] = {
    "approve": (
        lambda pk, note, actor: actions.approve_registration(pk, note=note, actor=actor),
        "Approve (coordinators)",
    ),
    "request-info": (
        lambda pk, note, actor: actions.request_registration_info(pk, reason=note, actor=actor),
        "Ask the applicant for more information (coordinators)",
    ),
    "reject": (
        lambda pk, note, actor: actions.reject_registration(pk, reason=note, actor=actor),
        "Reject (coordinators)",
    ),
    "answer": (
        lambda pk, note, actor: actions.answer_registration_request(pk, answer=note, actor=actor),
        "Answer the coordinator's question",
    ),
    "withdraw": (lambda pk, note, actor: actions.withdraw_registration(pk, reason=note, actor=actor), "Withdraw"),
}


def _add_note_step(verb: str, step: NoteStep, summary: str) -> None:
    def endpoint(request: HttpRequest, registration_id: int, body: NoteIn) -> Any:
        step(registration_id, body.note, request.auth)  # type: ignore[attr-defined]
        return _after(request, registration_id)

    endpoint.__name__ = f"registration_{verb.replace('-', '_')}"  # the OpenAPI operation id
    router.post(f"/vendor-registrations/{{registration_id}}/{verb}", response=RegistrationOut, summary=summary)(
        endpoint
    )


for _verb, (_step, _summary) in NOTE_STEPS.items():
    _add_note_step(_verb, _step, _summary)


@router.post(
    "/vendor-registrations/{registration_id}/accept-terms", response=RegistrationOut, summary="Accept the current terms"
)
def accept_terms(request: HttpRequest, registration_id: int, body: TermsAcceptanceIn) -> Any:
    actions.accept_terms(registration_id, terms_version=body.terms_version, actor=request.auth)  # type: ignore[attr-defined]
    return _after(request, registration_id)


@router.patch("/vendor-registrations/{registration_id}", response=RegistrationOut, summary="Change your details")
def update_details(request: HttpRequest, registration_id: int, body: DetailsIn) -> Any:
    actions.update_registration_details(registration_id, actor=request.auth, **body.dict())  # type: ignore[attr-defined]
    return _after(request, registration_id)


@router.post("/vendor-registrations/{registration_id}/contacts", response={201: ContactOut}, summary="Add a contact")
def add_contact(request: HttpRequest, registration_id: int, body: ContactIn) -> Any:
    return Status(201, actions.add_contact(registration_id, fields=body.dict(), actor=request.auth))  # type: ignore[attr-defined]


@router.delete("/vendor-contacts/{contact_id}", response={204: None}, summary="Remove a contact")
def remove_contact(request: HttpRequest, contact_id: int) -> Any:
    actions.remove_contact(contact_id, actor=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


@router.post("/vendor-registrations/{registration_id}/products", response={201: ProductOut}, summary="Add a product")
def add_product(request: HttpRequest, registration_id: int, body: ProductIn) -> Any:
    return Status(201, products.add_product(registration_id, **body.dict(), actor=request.auth))  # type: ignore[attr-defined]


@router.delete("/vendor-products/{product_id}", response={204: None}, summary="Remove a product")
def remove_product(request: HttpRequest, product_id: int) -> Any:
    products.remove_product(product_id, actor=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


class SbomOut(Schema):
    id: int
    product_version: str
    format: str
    spec_version: str
    component_count: int
    sha256: str
    filename: str
    uploaded_at: dt.datetime
    current: bool = Field(description="False for an SBOM a later upload of the same version replaced")


@router.get("/vendor-products/{product_id}/sboms", response=list[SbomOut], summary="A product's SBOMs")
def list_sboms(request: HttpRequest, product_id: int) -> Any:
    return list(queries.sboms(queries.product(product_id, request.auth)))  # type: ignore[attr-defined]


@router.post(
    "/vendor-products/{product_id}/sboms",
    response={201: SbomOut},
    summary="Upload the SBOM of a product version (CycloneDX or SPDX; replaces that version's current one)",
)
def upload_sbom(request: HttpRequest, product_id: int, product_version: Form[str], file: File[UploadedFile]) -> Any:
    sbom = products.upload_sbom(
        product_id,
        product_version=product_version,
        data=file.read(),
        filename=file.name or "",
        actor=request.auth,  # type: ignore[attr-defined]
    )
    return Status(201, sbom)
