"""The product developer registry (製品開発者リスト): registration, contacts, keys, products, SBOMs.

A registered developer is an ``accounts.Organisation`` of kind product developer; this app holds
what the registry knows about it. Rows change only through ``vendors.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kyocho.accounts.models import Organisation
from kyocho.vendors.workflow import RegistrationStatus, RegistrationType, SbomFormat


class TermsVersion(models.Model):
    """A version of the registration terms, configured by the installation (ja and en text)."""

    version = models.CharField(max_length=32, unique=True)
    text_ja = models.TextField()
    text_en = models.TextField()
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.version


class Registration(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="registration")
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.APPLIED)
    registration_type = models.CharField(max_length=16, choices=RegistrationType.choices)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    keywords = models.JSONField(default=list, blank=True)  # technology keywords used to find developers
    listed_publicly = models.BooleanField(default=False)  # agreed to appear on the public list (name only)
    review_note = models.TextField(blank=True)
    applied_at = models.DateTimeField()
    listed_at = models.DateTimeField(null=True, blank=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"registration of {self.organisation}"


class TermsAcceptance(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "terms"], name="terms_accepted_once")]


class Contact(models.Model):
    """A point of contact; ``responsible`` marks the 製品脆弱性対策管理者."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=50, blank=True)
    responsible = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="ja")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "email"], name="contact_email_unique")]


class PublicKey(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="keys")
    fingerprint = models.CharField(max_length=64)
    armored = models.TextField()
    user_ids = models.JSONField(default=list)
    algorithm = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)  # fingerprint checked out of band
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_without_matching_uid = models.BooleanField(default=False)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "fingerprint"], name="key_unique_per_developer")]


class Product(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=300)
    versions = models.CharField(max_length=300, blank=True)
    cpe = models.CharField(max_length=400, blank=True, db_index=True)
    purl = models.CharField(max_length=400, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.name


class Sbom(models.Model):
    """One uploaded SBOM for one product version; older ones are kept as history."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sboms")
    product_version = models.CharField(max_length=100)
    format = models.CharField(max_length=20, choices=SbomFormat.choices)
    spec_version = models.CharField(max_length=10)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    current = models.BooleanField(default=True)
    filename = models.CharField(max_length=255, blank=True)
    component_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["product", "product_version", "current"], name="sbom_product_version")]


class SbomComponent(models.Model):
    """A component of an SBOM, indexed for matching a vulnerable purl + ``vers`` range."""

    sbom = models.ForeignKey(Sbom, on_delete=models.CASCADE, related_name="components")
    # purl without version, qualifiers and subpath (pkg:type/namespace/name): the index key.
    package = models.CharField(max_length=400)
    version = models.CharField(max_length=200, blank=True)
    purl = models.CharField(max_length=600)
    name = models.CharField(max_length=300, blank=True)
    # A copy of ``sbom.current``: matching reads only current SBOMs, and an old SBOM may hold the
    # vulnerable package thousands of times; with the flag in the index those rows are never visited.
    current = models.BooleanField(default=True)

    class Meta:
        # Matching looks up one package and reads its distinct versions from the index alone.
        indexes = [models.Index(fields=["package", "current", "version"], name="sbom_component_package")]
