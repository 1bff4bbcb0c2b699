"""The three report forms (software product, web application, self-report). The form reads and
types the request; ``intake.actions.submit_report`` decides what is valid, and its errors are put
next to the field they are about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core import attachments as files_policy
from kyocho.core.errors import DomainError
from kyocho.intake.actions import REQUIRED_BY_KIND
from kyocho.intake.models import Answer, CreditPreference, Report
from kyocho.intake.workflow import ReportKind
from kyocho.messaging import openpgp

# The address of each form, and the kind of report it files.
KIND_BY_SLUG = {
    "software": ReportKind.SOFTWARE,
    "web": ReportKind.WEB_APPLICATION,
    "self": ReportKind.SELF_REPORT,
}
HONEYPOT = "homepage"  # bots fill every field; people never see this one
TEXTAREA = forms.Textarea(attrs={"rows": 6})
SHORT_TEXTAREA = forms.Textarea(attrs={"rows": 3})


GROUPS = (
    (
        _("About you"),
        ("reporter_name", "reporter_organisation", "reporter_email", "reporter_phone", "reporter_pgp_key", "credit",
         "share_contact_with_developer"),
    ),
    (_("What is affected"), ("product_name", "developer_name", "product_version", "site_url")),
    (
        _("The vulnerability"),
        ("description", "reproduction", "impact", "discovery", "found_lawfully", "already_public", "public_references",
         "exploited", "exploited_references", "reporter_disclosure_plans", "other_coordinators", "attachments"),
    ),
)  # fmt: skip


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


def _line(name: str, label: Any, help_text: Any) -> forms.CharField:
    """A single-line field, as long as the report's column allows; required ones are set per form."""
    column = Report._meta.get_field(name)
    assert isinstance(column, models.CharField)
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=column.max_length)


def _text(label: Any, help_text: Any, *, widget: forms.Widget = SHORT_TEXTAREA) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False, widget=widget)


def _answer_field(label: Any, help_text: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, help_text=help_text, choices=Answer.choices, initial=Answer.UNKNOWN, widget=forms.RadioSelect
    )


class ReportForm(forms.Form):
    # About you.
    reporter_name = _line(
        "reporter_name",
        _("Your name"),
        _("The name we use when we write to you, and in the advisory's acknowledgements if you want credit."),
    )
    reporter_organisation = _line(
        "reporter_organisation", _("Organisation"), _("Your company or team, if you report for one.")
    )
    reporter_email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send the acknowledgement and our questions here. It is never published."),
    )
    reporter_phone = _line("reporter_phone", _("Phone"), _("Only if you would like us to be able to call you."))
    reporter_pgp_key = _text(_("Your OpenPGP public key"), _("If you give your key, we encrypt what we email you."))
    credit = forms.ChoiceField(
        label=_("Credit"),
        choices=CreditPreference.choices,
        initial=CreditPreference.NAME,
        widget=forms.RadioSelect,
        help_text=_("How the advisory should thank you."),
    )
    share_contact_with_developer = forms.BooleanField(
        label=_("The developer may have my contact details"),
        required=False,
        help_text=_("Then the developer can ask you questions directly. We never share them without your consent."),
    )
    # What is affected.
    product_name = _line(
        "product_name", _("Product"), _("The name of the software, device or service that has the problem.")
    )
    developer_name = _line("developer_name", _("Developer"), _("Who makes the product or runs the site, if you know."))
    product_version = _line(
        "product_version", _("Version"), _("The version or versions you tested, for example 2.4.1.")
    )
    site_url = _line(
        "site_url", _("Web site address"), _("The address of the affected site, starting with https:// or http://.")
    )
    # The vulnerability.
    description = _text(
        _("Description"),
        _("What is wrong, in your own words. You may paste text encrypted to our key instead (see above)."),
        widget=TEXTAREA,
    )
    reproduction = _text(
        _("How to reproduce"), _("The steps, or a proof of concept, that show the problem."), widget=TEXTAREA
    )
    impact = _text(_("Impact"), _("What an attacker could do with it."))
    discovery = _text(
        _("How you found it"),
        _("For example: reading the source code, testing your own installation, a tool you used."),
    )
    found_lawfully = forms.BooleanField(
        label=_("I found this vulnerability lawfully"),
        help_text=_("For example on my own device or installation, or with the owner's permission."),
        error_messages={"required": _("Please confirm that the vulnerability was found without breaking the law.")},
    )
    already_public = _answer_field(_("Is it already public?"), _("Has anyone published anything about it?"))
    public_references = _text(_("Where it is public"), _("Links to anything already published."))
    exploited = _answer_field(_("Is it being exploited?"), _("Have you seen attacks that use it?"))
    exploited_references = _text(_("Evidence of exploitation"), _("What you saw, or links to reports of attacks."))
    reporter_disclosure_plans = _text(
        _("Your disclosure plans"), _("If you plan to publish or present it, tell us when and where.")
    )
    other_coordinators = _text(
        _("Other coordinators"),
        _("Other coordinators (for example CERT/CC) you told, with their tracking numbers."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Screenshots, logs, captures or a proof of concept: PDF, PNG, JPEG, GIF, ZIP, pcap or plain text."),
    )
    homepage = forms.CharField(label=_("Leave this empty"), required=False)

    def __init__(self, *args: Any, kind: ReportKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.signature_status = ""
        if kind != ReportKind.WEB_APPLICATION:
            del self.fields["site_url"]
        for name in REQUIRED_BY_KIND[kind]:
            self.fields[name].required = True
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["attachments"].help_text = _("%(types)s At most %(count)d files of %(size)s each.") % {
            "types": self.fields["attachments"].help_text,
            "count": files_policy.max_count(),
            "size": files_policy.human_size(files_policy.max_bytes()),
        }

    def clean_description(self) -> str:
        text = self.cleaned_data["description"]
        if not openpgp.looks_encrypted(text):
            return str(text)
        result = _domain_to_validation(openpgp.decrypt, text)
        self.signature_status = result.signature_status
        return result.text

    def clean_attachments(self) -> list[files_policy.Upload]:
        return read_uploads(self.cleaned_data["attachments"])

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in the order and sections the page shows them."""
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in GROUPS]

    @property
    def caught_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def submission(self) -> dict[str, Any]:
        """The fields as ``submit_report`` takes them."""
        skip = {"attachments", HONEYPOT}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)


def read_uploads(files: list[Any]) -> list[files_policy.Upload]:
    """Uploaded files as the attachment checks take them (count and sizes checked before reading)."""
    uploads: list[files_policy.Upload] = _domain_to_validation(files_policy.read_uploaded, files)
    return uploads


def attachments_help() -> str:
    return _("%(types)s At most %(count)d files of %(size)s each.") % {
        "types": _("PDF, PNG, JPEG, GIF, ZIP, pcap or plain text."),
        "count": files_policy.max_count(),
        "size": files_policy.human_size(files_policy.max_bytes()),
    }


def _domain_to_validation(check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except DomainError as error:
        raise forms.ValidationError(error.message) from error
