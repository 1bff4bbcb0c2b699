"""Roles and organisation kinds (PRODUCT.md §1), and which roles must use MFA."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COORDINATOR_TEAM = "coordinator_team", _("Coordinator team")
    PRODUCT_DEVELOPER = "product_developer", _("Product developer")
    PARTNER_TEAM = "partner_team", _("Partner coordinator team")
    COMMITTEE = "committee", _("Disclosure review committee")


class Role(models.TextChoices):
    INTAKE = "intake", _("Intake staff")
    COORDINATOR = "coordinator", _("Coordinator")
    LEAD = "lead", _("Lead coordinator")
    VENDOR_MEMBER = "vendor_member", _("Vendor member")
    VENDOR_ADMIN = "vendor_admin", _("Vendor admin")
    PARTNER = "partner", _("Partner coordinator")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")


# Which roles an organisation of each kind can give its members.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.COORDINATOR_TEAM: frozenset({Role.INTAKE, Role.COORDINATOR, Role.LEAD}),
    OrganisationKind.PRODUCT_DEVELOPER: frozenset({Role.VENDOR_MEMBER, Role.VENDOR_ADMIN}),
    OrganisationKind.PARTNER_TEAM: frozenset({Role.PARTNER}),
    OrganisationKind.COMMITTEE: frozenset({Role.COMMITTEE_MEMBER}),
}

STAFF_ROLES = frozenset({Role.INTAKE, Role.COORDINATOR, Role.LEAD})
COORDINATOR_ROLES = frozenset({Role.COORDINATOR, Role.LEAD})
VENDOR_ROLES = frozenset({Role.VENDOR_MEMBER, Role.VENDOR_ADMIN})
# Every role but reporter: reporters hold no membership at all.
MFA_REQUIRED_ROLES = frozenset(Role)
