"""Demo data for trying kyocho: people in every role and a case in progress, built through the real
actions. Never in production.

Seeding is idempotent: each part looks for what it would create and creates only what is missing,
so running it again changes nothing. The story is told by the functions in ``STORY``, in order;
to show more of kyocho, add a function (taking the ``Demo``) to the list.

Every demo account has the same known password and the same TOTP secret, so a person can sign in
with any authenticator app, or with ``kyocho demo-code EMAIL`` instead of one.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.cases import actions as cases
from kyocho.cases import queries as case_queries
from kyocho.cases.models import Case, Participation
from kyocho.cases.notify import notify_developers
from kyocho.cases.workflow import ContactChannel, ContactOutcome, ParticipationStatus
from kyocho.core.bootstrap import ensure_membership, ensure_organisation
from kyocho.core.clock import now
from kyocho.core.errors import NotFound, PermissionDenied
from kyocho.intake import actions as intake
from kyocho.intake import queries as intake_queries
from kyocho.intake.models import Report
from kyocho.intake.workflow import ReportKind, ReportStatus

DEMO_PASSWORD = "kyocho-demo-password"  # noqa: S105 - published on purpose: demo accounts only
DEMO_TOTP_SECRET = base64.b32encode(b"kyocho demo only!!!!").decode()  # 20 bytes, as allauth makes them
DEMO_CASE_TITLE = "Demo: stored cross-site scripting in the Example Router admin console"
ACCEPTED_REPORT: dict[str, Any] = {
    "reporter_name": "Sora Finder",
    "product_name": "Example Router RT-500 (demo)",
    "developer_name": "Example Router Co.; the same web console is used by Sample Firmware Inc.",
    "product_version": "2.4.1",
    "description": "A device name set on the settings page is shown unescaped on the status page.",
    "reproduction": "1. Name the device <script>alert(1)</script>\n2. Open the status page.",
    "credit": "name",
    "found_lawfully": True,
}
DEMO_VULNERABILITY: dict[str, Any] = {
    "title": "Stored cross-site scripting in the device name",
    "description": "The status page shows the device name without escaping it.",
    "cwe": "CWE-79",
    "cvss31_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
    "affected": [{"product": "Example Router RT-500", "versions": "< 2.4.2"}],
}
WAITING_REPORT: dict[str, Any] = {
    "reporter_name": "Sora Finder",
    "product_name": "Sample Firmware updater (demo)",
    "description": "The updater downloads firmware over plain HTTP and does not check a signature.",
    "credit": "anonymous",
    "found_lawfully": True,
}


@dataclass(frozen=True)
class DemoAccount:
    role: str
    organisation: str
    email: str
    password: str = DEMO_PASSWORD
    totp_secret: str = DEMO_TOTP_SECRET


@dataclass
class Demo:
    """What the story built so far: later parts use the people and organisations of earlier ones."""

    accounts: list[DemoAccount] = field(default_factory=list)
    people: dict[str, User] = field(default_factory=dict)  # by email
    developers: list[Organisation] = field(default_factory=list)
    partner_team: Organisation | None = None
    case: Case | None = None

    def person(
        self, email: str, *, name: str, role: str = "", organisation: Organisation | None = None, label: str = ""
    ) -> User:
        """The demo account ``email``, with ``role`` in ``organisation`` (none: a reporter)."""
        user = User.objects.filter(email=email).first() or accounts.create_user(
            email, actor=None, password=DEMO_PASSWORD, display_name=name, language="en"
        )
        if organisation is not None:
            ensure_membership(user, organisation, role)
        ensure_demo_totp(user)
        self.people[email] = user
        self.accounts.append(
            DemoAccount(
                role=label or str(Role(role).label if role else _("Reporter")),
                organisation=organisation.name if organisation else "",
                email=email,
            )
        )
        return user


def ensure_demo_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def coordinator_team(demo: Demo) -> None:
    team = ensure_organisation("Kyocho Coordination Center (demo)", OrganisationKind.COORDINATOR_TEAM)
    demo.person("lead@kyocho-cc.example", name="Aoi Lead", role=Role.LEAD, organisation=team)
    demo.person("coordinator@kyocho-cc.example", name="Ren Coordinator", role=Role.COORDINATOR, organisation=team)
    demo.person("intake@kyocho-cc.example", name="Mei Intake", role=Role.INTAKE, organisation=team)


def product_developers(demo: Demo) -> None:
    for name, domain in (
        ("Example Router Co. (demo)", "vendor-a.example"),
        ("Sample Firmware Inc. (demo)", "vendor-b.example"),
    ):
        developer = ensure_organisation(name, OrganisationKind.PRODUCT_DEVELOPER)
        demo.person(f"admin@{domain}", name=f"PSIRT admin, {name}", role=Role.VENDOR_ADMIN, organisation=developer)
        demo.person(f"member@{domain}", name=f"PSIRT member, {name}", role=Role.VENDOR_MEMBER, organisation=developer)
        list_in_the_registry(developer, f"psirt@{domain}")
        demo.developers.append(developer)


def list_in_the_registry(developer: Organisation, psirt_email: str) -> None:
    """The demo's developers are in the registry (as if imported from an earlier vendor list)."""
    from kyocho.vendors import actions as registry
    from kyocho.vendors.models import Registration

    if Registration.objects.filter(organisation=developer).exists():
        return
    listing = registry.clean_developer(
        {
            "name": developer.name,
            "registration_type": "general",
            "contacts": [{"name": "PSIRT", "email": psirt_email, "responsible": True, "language": "en"}],
        }
    )
    registry.import_developer(listing, actor=None, organisation=developer)


def partner_team(demo: Demo) -> None:
    team = demo.partner_team = ensure_organisation("Overseas CERT (demo)", OrganisationKind.PARTNER_TEAM)
    demo.person("team@overseas-cert.example", name="Overseas coordinator", role=Role.PARTNER, organisation=team)


def review_committee(demo: Demo) -> None:
    committee = ensure_organisation("Disclosure review committee (demo)", OrganisationKind.COMMITTEE)
    demo.person("member@committee.example", name="Committee member", role=Role.COMMITTEE_MEMBER, organisation=committee)


DEMO_QUESTION = "Thank you for the report. Does the problem also occur with the latest firmware?"
DEMO_ANSWER = "Yes, I checked the latest firmware yesterday; the steps are the same."


def reports_from_a_finder(demo: Demo) -> None:
    """The finder's first report was accepted by the intake desk into a new case; the second waits in
    the triage queue."""
    finder = demo.person("finder@example.net", name="Sora Finder")
    accepted = ensure_report(finder, ACCEPTED_REPORT)
    if accepted.status == ReportStatus.RECEIVED:
        intake_staff = demo.people["intake@kyocho-cc.example"]
        accepted = intake.accept_report(accepted.pk, actor=intake_staff, case_title=DEMO_CASE_TITLE)
    demo.case = accepted.case
    ensure_report(finder, WAITING_REPORT)


def ensure_report(finder: User, fields: dict[str, Any]) -> Report:
    existing = intake_queries.visible_reports(finder).filter(product_name=fields["product_name"]).first()
    if existing is not None:
        return existing
    report, _token = intake.submit_report(kind=ReportKind.SOFTWARE, fields=fields, actor=finder, language="en")
    return report


# SSVC Coordinator Triage inputs for the waiting report: credible, the developer ignored the finder.
WAITING_REPORT_TRIAGE = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "one",
    "supplier_engagement": "unresponsive",
    "utility": "efficient",
    "public_safety_impact": "minimal",
}


def waiting_report_triaged(demo: Demo) -> None:
    """The intake desk recorded its SSVC triage of the waiting report (Coordinate) but has not decided yet."""
    waiting = ensure_report(demo.people["finder@example.net"], WAITING_REPORT)
    if not waiting.triage_decision and waiting.status == ReportStatus.RECEIVED:
        intake.record_triage(waiting.pk, inputs=WAITING_REPORT_TRIAGE, actor=demo.people["intake@kyocho-cc.example"])


def conversation_with_the_finder(demo: Demo) -> None:
    """The intake desk wrote to the finder about the waiting report, and the finder answered."""
    finder = demo.people["finder@example.net"]
    waiting = ensure_report(finder, WAITING_REPORT)
    if not waiting.messages.exists():
        intake_staff = demo.people["intake@kyocho-cc.example"]
        intake.post_report_message(waiting.pk, body=DEMO_QUESTION, actor=intake_staff)
        intake.post_report_message(waiting.pk, body=DEMO_ANSWER, actor=finder)


def coordination_under_way(demo: Demo) -> None:
    """A coordinator took the case, described the vulnerability, notified both developers (which starts
    the 起算日) and shared the case with the overseas team; the first developer acknowledged."""
    coordinator = demo.people["coordinator@kyocho-cc.example"]
    case, partner = demo.case, demo.partner_team
    assert case is not None and partner is not None, "earlier parts make the case and the partner team"
    if case.owner_id is None:
        cases.assign_case_owner(case.pk, owner_id=coordinator.pk, actor=coordinator)
    if not case_queries.visible_vulnerabilities(coordinator, case).exists():
        cases.add_vulnerability(case.pk, actor=coordinator, **DEMO_VULNERABILITY)
    participations = ensure_notified(case, demo.developers, actor=coordinator)
    if participations[0].status == ParticipationStatus.NOTIFIED:
        cases.acknowledge_participation(participations[0].pk, actor=demo.people["admin@vendor-a.example"])
    if not case.partners.filter(organisation=partner).exists():
        cases.share_case_with_partner(case.pk, organisation_id=partner.pk, actor=coordinator)


def follow_up_by_phone(demo: Demo) -> None:
    """The second developer has not acknowledged yet, so the coordinator phoned its PSIRT and logged the
    call (the developer's page, linked from the case's developer list, shows it and the progress)."""
    coordinator = demo.people["coordinator@kyocho-cc.example"]
    assert demo.case is not None, "an earlier part makes the case"
    participation = case_queries.visible_participations(coordinator, demo.case).get(organisation=demo.developers[1])
    called = case_queries.contact_attempts(coordinator, participation.pk).filter(channel=ContactChannel.PHONE)
    if participation.status == ParticipationStatus.NOTIFIED and not called.exists():
        cases.log_contact_attempt(
            participation.pk,
            channel=ContactChannel.PHONE,
            outcome=ContactOutcome.NO_ANSWER,
            address="+81-3-0000-0000 (demo)",
            note="Called the PSIRT desk; left a message asking them to confirm the notification.",
            actor=coordinator,
        )


# The demo vulnerability's assessment: a CVSS v4.0 vector beside the v3.1 one, and both SSVC decisions.
DEMO_ASSESSMENT: dict[str, Any] = {
    "cvss40_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
    "description_ja": "状態表示ページが機器名をエスケープせずに表示します。",
    "references": [{"url": "https://vendor-a.example/security/rt-500-2-4-2", "title": "RT-500 2.4.2 release notes"}],
}
DEMO_SSVC: dict[str, dict[str, str]] = {
    "supplier": {
        "exploitation": "none",
        "utility": "efficient",
        "technical_impact": "partial",
        "public_safety_impact": "minimal",
    },
    "coordinator_publish": {
        "supplier_involvement": "cooperative",
        "exploitation": "none",
        "public_value_added": "precedence",
    },
}


def vulnerability_assessed(demo: Demo) -> None:
    """The coordinator scored the demo vulnerability (CVSS v3.1 and v4.0), attributed the router to its
    developer and recorded the SSVC Supplier and Coordinator Publish decisions."""
    coordinator = demo.people["coordinator@kyocho-cc.example"]
    assert demo.case is not None, "coordination_under_way describes the vulnerability"
    vulnerability = case_queries.visible_vulnerabilities(coordinator, demo.case).first()
    if vulnerability is None or vulnerability.cvss40_vector:
        return
    affected = [{**entry, "organisation_id": demo.developers[0].pk} for entry in vulnerability.affected]
    cases.update_vulnerability(vulnerability.pk, actor=coordinator, affected=affected, **DEMO_ASSESSMENT)
    for decision, inputs in DEMO_SSVC.items():
        cases.record_vulnerability_ssvc(vulnerability.pk, decision=decision, inputs=inputs, actor=coordinator)


DEMO_STATEMENT: dict[str, Any] = {
    "text_ja": "RT-500 ファームウェア 2.4.2 で修正しました。更新をお願いします。",
    "text_en": "Fixed in RT-500 firmware 2.4.2. Please update.",
    "references": ["https://vendor-a.example/security/demo-advisory"],
}


def answers_awaiting_review(demo: Demo) -> None:
    """The developer that acknowledged answered for its router and wrote a statement; both wait for the
    coordinator's review (the staff case page's review panel)."""
    from kyocho.cases import reviews
    from kyocho.cases.models import Answer, Statement

    case, psirt = demo.case, demo.people["admin@vendor-a.example"]
    assert case is not None
    participation = case.participations.get(organisation=demo.developers[0])
    vulnerability = case.vulnerabilities.order_by("pk").first()
    if vulnerability is not None and not Answer.objects.filter(participation=participation).exists():
        product = DEMO_VULNERABILITY["affected"][0]["product"]
        cases.record_answer(
            participation.pk, vulnerability_id=vulnerability.pk, product=product, status="fixed",
            fixed_version="2.4.2", actor=psirt,
        )  # fmt: skip
    if not Statement.objects.filter(participation=participation).exists():
        reviews.save_statement(participation.pk, **DEMO_STATEMENT, actor=psirt)


def ensure_notified(case: Case, developers: list[Organisation], *, actor: User) -> list[Participation]:
    """The developers not yet notified are notified in one action, as the case page's panel does it."""
    waiting = [
        developer.pk
        for developer in developers
        if not case_queries.visible_participations(actor, case)
        .filter(organisation=developer)
        .exclude(status=ParticipationStatus.IDENTIFIED)
        .exists()
    ]
    if waiting:
        notify_developers(case.pk, organisation_ids=waiting, actor=actor)
    return [case_queries.visible_participations(actor, case).get(organisation=developer) for developer in developers]


DEMO_CONVERSATIONS: list[tuple[str, int | None, list[tuple[str, str]]]] = [
    # (thread kind, index of the developer for a private thread, [(author email, message)])
    ("developer", 0, [
        ("coordinator@kyocho-cc.example", "Thank you for confirming receipt. Which firmware versions are affected?"),
        ("admin@vendor-a.example", "Every version up to **2.4.1**. A fix is planned for 2.4.2."),
    ]),
    ("all_participants", None, [
        ("coordinator@kyocho-cc.example", "Welcome to the shared conversation of this case. Other developers are "
         "shown as “another developer” here until we open the participant list."),
    ]),
    ("reporter", None, [
        ("coordinator@kyocho-cc.example", "We have told the developers. We will let you know the disclosure date."),
        ("finder@example.net", "Thank you! I can retest the fix when it is ready."),
    ]),
]  # fmt: skip


def conversations_in_the_case(demo: Demo) -> None:
    """A few messages: with the first developer, with everyone, and with the finder."""
    from kyocho.cases import conversations

    coordinator = demo.people["coordinator@kyocho-cc.example"]
    case = demo.case
    assert case is not None, "earlier parts make the case"
    finders_report = case.reports.filter(status="accepted").order_by("pk").first()
    for kind, developer, posts in DEMO_CONVERSATIONS:
        organisation = demo.developers[developer].pk if developer is not None else None
        report = finders_report.pk if kind == "reporter" and finders_report is not None else None
        thread = conversations.open_thread(
            case.pk, kind=kind, organisation_id=organisation, report_id=report, actor=coordinator
        )
        if thread.messages.exists():
            continue
        for email, body in posts:
            conversations.post_message(thread.pk, body=body, actor=demo.people[email])


def products_with_sboms(demo: Demo) -> None:
    """A product with an SBOM for each registered demo developer, so the case page's "Find affected
    developers" panel finds them (try purl pkg:npm/lodash with vers:npm/<4.17.21); an unregistered
    developer is left alone."""
    import json

    from kyocho.vendors import products
    from kyocho.vendors.models import Product, Registration

    coordinator = demo.people["coordinator@kyocho-cc.example"]
    for developer, lodash in zip(demo.developers, ("4.17.20", "4.17.21"), strict=False):
        registration = Registration.objects.filter(organisation=developer).first()
        if registration is None or Product.objects.filter(registration=registration).exists():
            continue
        product = products.add_product(
            registration.pk, name=f"{developer.name} web console", purl="pkg:npm/demo-console", actor=coordinator
        )
        bom = {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                {"type": "library", "name": "lodash", "version": lodash, "purl": f"pkg:npm/lodash@{lodash}"}
            ],
        }
        products.upload_sbom(
            product.pk, product_version="1.0", data=json.dumps(bom).encode(), filename="bom.json", actor=coordinator
        )


def developer_registry(demo: Demo) -> None:
    """Registration terms, and one developer's application waiting for a coordinator's review."""
    from kyocho.vendors import actions as registry
    from kyocho.vendors.models import Registration, TermsVersion

    lead = demo.people["lead@kyocho-cc.example"]
    if not TermsVersion.objects.exists():
        registry.publish_terms(
            "demo-1",
            text_ja="製品開発者リストの登録規約(デモ)。脆弱性情報は公表日まで第三者に開示しないこと。",
            text_en="Registration terms (demo). Keep vulnerability information confidential until the agreed date.",
            actor=lead,
        )
    name = "Camera Works K.K. (demo)"
    if not Registration.objects.filter(organisation__name=name).exists():
        terms = TermsVersion.objects.order_by("-published_at").first()
        assert terms is not None
        registry.apply_for_registration(
            {
                "name": name,
                "registration_type": "general",
                "contacts": [{"name": "Camera PSIRT", "email": "psirt@vendor-c.example", "responsible": True}],
                "keywords": "camera; NVR; RTSP",
                "products": [{"name": "NetCam 3", "cpe": "cpe:2.3:h:cameraworks:netcam_3:*:*:*:*:*:*:*:*"}],
                "listed_publicly": True,
            },
            actor=None,
            terms_version=terms.version,
            applicant_email="admin@vendor-c.example",
            password=DEMO_PASSWORD,
            language="en",
        )
    applicant = User.objects.get(email="admin@vendor-c.example")
    ensure_demo_totp(applicant)
    demo.people[applicant.email] = applicant
    demo.accounts.append(DemoAccount(role=str(Role.VENDOR_ADMIN.label), organisation=name, email=applicant.email))


# Two mails as the receiver would have stored them: a report sent by mail (it joins the triage queue)
# and a bounce for a message kyocho never sent (held for staff on the inbound mail page).
DEMO_MAILS = {
    "demo:report-by-mail": (
        "taro@finder.example",
        b"From: Taro Finder <taro@finder.example>\r\nTo: cvd@localhost\r\nSubject: Demo: XSS in Example NAS\r\n"
        b"Message-ID: <demo-report@finder.example>\r\n\r\nThe share page of Example NAS 3.1 reflects the name parameter.\r\n",
    ),
    "demo:held-bounce": (
        "",
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: cvd@localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <demo-bounce@mx.example.net>\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
        b"550 5.1.1 <old-psirt@example.net>: Recipient address rejected\r\n\r\n"
        b"Message-ID: <never-sent-by-this-kyocho@localhost>\r\n",
    ),
}


def mail_by_email(demo: Demo) -> None:
    from kyocho.messaging import inbound

    for source_key, (sender, raw) in DEMO_MAILS.items():
        stored, new = inbound.store_inbound(
            raw, via="smtp", envelope_from=sender, envelope_to=["cvd@localhost"], source_key=source_key
        )
        if new:
            inbound.sort_inbound(stored.pk)


STORY: list[Callable[[Demo], None]] = [
    coordinator_team,
    product_developers,
    partner_team,
    review_committee,
    reports_from_a_finder,
    waiting_report_triaged,
    conversation_with_the_finder,
    coordination_under_way,
    follow_up_by_phone,
    conversations_in_the_case,
    vulnerability_assessed,
    answers_awaiting_review,
    products_with_sboms,
    developer_registry,
    mail_by_email,
]


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise PermissionDenied(_("Demo data and demo sign-in codes are never available in production."))


def seed() -> list[DemoAccount]:
    """Create whatever of the demo is missing; return the demo accounts (the same on every run)."""
    refuse_in_production()
    demo = Demo()
    with transaction.atomic():
        for part in STORY:
            part(demo)
    return demo.accounts


def current_code(email: str) -> tuple[str, int]:
    """The TOTP code a demo account's authenticator shows now, and for how many more seconds."""
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    refuse_in_production()
    authenticator = Authenticator.objects.filter(
        user__email__iexact=email.strip(), type=Authenticator.Type.TOTP
    ).first()
    # Only for accounts that use the published demo secret: never reveal a real person's code.
    if authenticator is None or decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
        raise NotFound(_("No demo account with this email address."))
    seconds = int(now().timestamp())
    period = app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, seconds // period)), period - seconds % period
