"""The three report forms (software product, web application, self-report). The form reads and
types the request; ``intake.actions.submit_report`` decides what is valid, and its errors are put
next to the field they are about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kyocho.core.errors import DomainError
from kyocho.intake import attachments as files_policy
from kyocho.intake.actions import REQUIRED_BY_KIND
from kyocho.intake.models import Answer, CreditPreference
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


def _answer_field(label: Any, help_text: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, help_text=help_text, choices=Answer.choices, initial=Answer.UNKNOWN, widget=forms.RadioSelect
    )


class ReportForm(forms.Form):
    # About you.
    reporter_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=200,
        help_text=_("The name we use when we write to you, and in the advisory's acknowledgements if you want credit."),
    )
    reporter_organisation = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=200,
        help_text=_("Your company or team, if you report for one."),
    )
    reporter_email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send the acknowledgement and our questions here. It is never published."),
    )
    reporter_phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=50,
        help_text=_("Only if you would like us to be able to call you."),
    )
    reporter_pgp_key = forms.CharField(
        label=_("Your OpenPGP public key"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("If you give your key, we encrypt what we email you."),
    )
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
    product_name = forms.CharField(
        label=_("Product"),
        max_length=300,
        help_text=_("The name of the software, device or service that has the problem."),
    )
    developer_name = forms.CharField(
        label=_("Developer"),
        required=False,
        max_length=300,
        help_text=_("Who makes the product or runs the site, if you know."),
    )
    product_version = forms.CharField(
        label=_("Version"),
        required=False,
        max_length=200,
        help_text=_("The version or versions you tested, for example 2.4.1."),
    )
    site_url = forms.CharField(
        label=_("Web site address"),
        required=False,
        max_length=200,
        help_text=_("The address of the affected site, starting with https:// or http://."),
    )
    # The vulnerability.
    description = forms.CharField(
        label=_("Description"),
        widget=TEXTAREA,
        help_text=_("What is wrong, in your own words. You may paste text encrypted to our key instead (see above)."),
    )
    reproduction = forms.CharField(
        label=_("How to reproduce"),
        required=False,
        widget=TEXTAREA,
        help_text=_("The steps, or a proof of concept, that show the problem."),
    )
    impact = forms.CharField(
        label=_("Impact"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("What an attacker could do with it."),
    )
    discovery = forms.CharField(
        label=_("How you found it"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("For example: reading the source code, testing your own installation, a tool you used."),
    )
    found_lawfully = forms.BooleanField(
        label=_("I found this vulnerability lawfully"),
        help_text=_("For example on my own device or installation, or with the owner's permission."),
        error_messages={"required": _("Please confirm that the vulnerability was found without breaking the law.")},
    )
    already_public = _answer_field(_("Is it already public?"), _("Has anyone published anything about it?"))
    public_references = forms.CharField(
        label=_("Where it is public"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("Links to anything already published."),
    )
    exploited = _answer_field(_("Is it being exploited?"), _("Have you seen attacks that use it?"))
    exploited_references = forms.CharField(
        label=_("Evidence of exploitation"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("What you saw, or links to reports of attacks."),
    )
    reporter_disclosure_plans = forms.CharField(
        label=_("Your disclosure plans"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("If you plan to publish or present it, tell us when and where."),
    )
    other_coordinators = forms.CharField(
        label=_("Other coordinators"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("Other coordinators (for example CERT/CC) you told, with their tracking numbers."),
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
        files = self.cleaned_data["attachments"]
        _domain_to_validation(files_policy.check_count, len(files))
        for file in files:
            _domain_to_validation(files_policy.check_size, file.name, file.size)
        return [files_policy.Upload(file.name, file.read()) for file in files]

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


def _domain_to_validation(check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except DomainError as error:
        raise forms.ValidationError(error.message) from error
