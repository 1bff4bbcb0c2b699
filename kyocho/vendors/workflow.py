"""Registration of a product developer (製品開発者登録) — PRODUCT.md §3."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kyocho.core.workflow import table


class RegistrationStatus(models.TextChoices):
    APPLIED = "applied", _("Application received")
    NEEDS_INFO = "needs_info", _("More information requested")
    LISTED = "listed", _("Listed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RegistrationType(models.TextChoices):
    GENERAL = "general", _("General (every case, multi-vendor cases included)")
    INDIVIDUAL = "individual", _("Individual (issues unique to its own products)")


R = RegistrationStatus
REGISTRATION = table(
    _("Developer registration"),
    RegistrationStatus,
    {
        R.APPLIED: {R.NEEDS_INFO, R.LISTED, R.REJECTED, R.WITHDRAWN},
        R.NEEDS_INFO: {R.APPLIED, R.REJECTED, R.WITHDRAWN},
        R.LISTED: {R.WITHDRAWN},
        R.REJECTED: set(),
        R.WITHDRAWN: set(),
    },
)


class SbomFormat(models.TextChoices):
    CYCLONEDX_JSON = "cyclonedx-json", "CycloneDX JSON"
    CYCLONEDX_XML = "cyclonedx-xml", "CycloneDX XML"
    SPDX_JSON = "spdx-json", "SPDX JSON"
