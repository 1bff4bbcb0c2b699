"""Public pages of the product developer list: the registration form and the list of developers that
agreed to be listed (names only). The form only shapes input; ``vendors.actions`` decides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kyocho.accounts.permissions import is_staff_member
from kyocho.core.errors import DomainError, NotFound
from kyocho.vendors import actions, queries
from kyocho.vendors.workflow import RegistrationType

# Where a domain error's field lands on the form (the rest show above the form).
FORM_FIELD_OF = {
    "contacts.0.name": "responsible_name",
    "contacts.0.email": "responsible_email",
    "contacts.0.phone": "responsible_phone",
    "contacts.1.name": "contact_name",
    "contacts.1.email": "contact_email",
    "contacts.1.phone": "contact_phone",
    "email": "applicant_email",
    "password": "password",
}


class ProductLinesField(forms.CharField):
    """One product a line: ``name | versions | CPE 2.3 | purl`` (only the name is required)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        products = []
        for line in str(value or "").splitlines():
            if line.strip():
                name, versions, cpe, purl = ([part.strip() for part in line.split("|")] + ["", "", ""])[:4]
                products.append({"name": name, "versions": versions, "cpe": cpe, "purl": purl})
        return products


class DeveloperDetailsForm(forms.Form):
    """What a developer says about itself; shared by the registration form and the portal."""

    phone = forms.CharField(label=_("Main phone number"), required=False, max_length=50)
    keywords = forms.CharField(
        label=_("Technology keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Separated by semicolons, e.g. router; VPN; IoT. Coordinators use them to find you."),
    )
    listed_publicly = forms.BooleanField(
        label=_("Show our name on the public list of registered developers"), required=False
    )


class RegistrationForm(DeveloperDetailsForm):
    field_order = ["name", "name_en", "registration_type"]

    name = forms.CharField(label=_("Organisation name (Japanese or the official name)"), max_length=200)
    name_en = forms.CharField(label=_("Organisation name in English"), required=False, max_length=200)
    registration_type = forms.ChoiceField(
        label=_("Registration type"), choices=RegistrationType.choices, widget=forms.RadioSelect
    )
    responsible_name = forms.CharField(
        label=_("Person responsible for product vulnerabilities (製品脆弱性対策管理者)"), max_length=200
    )
    responsible_email = forms.CharField(label=_("Their email address"), max_length=254)
    responsible_phone = forms.CharField(label=_("Their phone number"), required=False, max_length=50)
    contact_name = forms.CharField(label=_("Another point of contact (optional)"), required=False, max_length=200)
    contact_email = forms.CharField(label=_("Its email address"), required=False, max_length=254)
    contact_phone = forms.CharField(label=_("Its phone number"), required=False, max_length=50)
    products = ProductLinesField(
        label=_("Products"),
        required=False,
        help_text=_(
            "One a line: name | versions | CPE 2.3 | purl, e.g. Sample Router | 2.x | | pkg:generic/sample/router"
        ),
    )
    public_key = forms.CharField(
        label=_("OpenPGP public key (ASCII-armoured, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    terms_version = forms.CharField(widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(label=_("I have read and accept the registration terms"))

    def developer_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        contacts = [
            {"name": data["responsible_name"], "email": data["responsible_email"], "phone": data["responsible_phone"]}
        ]
        contacts[0]["responsible"] = True
        if data["contact_name"] or data["contact_email"]:
            contacts.append(
                {"name": data["contact_name"], "email": data["contact_email"], "phone": data["contact_phone"]}
            )
        return {
            "name": data["name"],
            "name_en": data["name_en"],
            "registration_type": data["registration_type"],
            "contacts": [{**contact, "language": get_language() or "ja"} for contact in contacts],
            "phone": data["phone"],
            "keywords": data["keywords"],
            "products": data["products"],
            "public_key": data["public_key"],
            "listed_publicly": data["listed_publicly"],
        }


class NewAccountForm(forms.Form):
    applicant_email = forms.EmailField(label=_("Your email address (to sign in)"))
    applicant_name = forms.CharField(label=_("Your name"), required=False, max_length=150)
    password = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput)


def show_domain_error(form: forms.Form, error: DomainError, field_of: Mapping[str, str] = FORM_FIELD_OF) -> None:
    """Put an action's refusal next to the field it is about, or above the form."""
    name = field_of.get(error.field or "", error.field or "")
    form.add_error(name if name in form.fields else None, error.message)


def run_posted_change(
    request: HttpRequest, changes: Mapping[str, tuple[Callable[..., object], Any]], *args: Any
) -> None:
    """Run the change named by the POSTed ``action`` from ``changes`` (name → (function, success message));
    the function gets ``*args``, the POST data and the actor. A refusal becomes a message on the next
    page, except NotFound: what the actor may not see stays a 404."""
    change, done = changes.get(request.POST.get("action", ""), (None, ""))
    if change is None:
        messages.error(request, gettext("Unknown request."))
        return
    try:
        change(*args, request.POST, request.user)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def register(request: HttpRequest) -> HttpResponse:
    terms = queries.current_terms()
    if terms is None or is_staff_member(request.user):
        return render(request, "public/registration_closed.html", {"terms": terms}, status=200)
    signed_in = request.user.is_authenticated
    form = RegistrationForm(request.POST or None, initial={"terms_version": terms.version})
    account = None if signed_in else NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (account is None or account.is_valid()):
        try:
            actions.apply_for_registration(
                form.developer_fields(),
                actor=request.user if signed_in else None,
                terms_version=form.cleaned_data["terms_version"],
                language=get_language() or "ja",
                **(account.cleaned_data if account is not None else {}),
            )
        except DomainError as error:
            show_domain_error(account if account is not None and error.field in {"email", "password"} else form, error)
        else:
            # A new applicant signs in afterwards: a developer account must first set up MFA.
            return redirect("public:registration_received")
    terms_text = terms.text_ja if get_language() == "ja" else terms.text_en
    context = {"form": form, "account": account, "terms": terms, "terms_text": terms_text}
    return render(request, "public/register.html", context)


def registration_received(request: HttpRequest) -> HttpResponse:
    return render(request, "public/registration_received.html")


def developers(request: HttpRequest) -> HttpResponse:
    return render(request, "public/developers.html", {"developers": queries.public_developers()})
