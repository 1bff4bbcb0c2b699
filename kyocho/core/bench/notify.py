"""``kyocho bench notify``: one notification to N developers, each with one contact and its own OpenPGP
key, through the whole path, against two minimal programs doing only the cryptography and SMTP.

Seeding (not measured), in a throw-away SQLite database with the production settings (WAL) and a
throw-away DATA_DIR with a fresh coordinator key: N developers imported into the registry, each
contact's key generated with pysequoia and registered through ``vendors.key_actions.add_public_key``
(the real check with gpg), an open case with two vulnerabilities, every developer added as identified.

Measured (``seconds``): ``cases.notify.notify_developers`` for all N in one action (participations,
portal accounts, threads, outbox rows, contact attempts, audit events, all in one transaction), then
the django-tasks database worker (``db_worker``, as ``kyocho worker`` runs it) delivering the batch task
the commit enqueued: MIME, signing and encrypting each message to its recipient's key with pysequoia
and SMTP to an aiosmtpd server in another process, by the outbox's helper processes
(``KYOCHO_MAIL_PROCESSES``, spawned for the batch and counted), and the outcome of every mail written
back with its audit events.

``baseline_seconds``: a minimal program that builds each message, signs and encrypts it with pysequoia
to the recipient's key and sends all of them over one SMTP connection. ``gpg_cli_seconds``: the same
program running one ``gpg --sign --encrypt`` process per message instead.
"""

from __future__ import annotations

import email.policy
import multiprocessing
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage, Message
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kyocho.core.bench.base import Benchmark, Option, Output, scratch_database, sqlite_in

LOOPBACK = "127.0.0.1"
FROM = "cvd@bench.example"
KEY_THREADS = 4  # registering a key runs gpg: a few at a time keep both cores busy while seeding
GPG = "gpg"
SINK_TIMEOUT_SECONDS = 60
GPG_SEAL = [GPG, "--batch", "--yes", "--trust-model", "always", "--armor", "--sign", "--encrypt"]


@dataclass(frozen=True)
class Recipient:
    address: str
    armored: str
    fingerprint: str


def run(vendors: int, out: Output) -> dict[str, Any]:
    if vendors < 1:
        raise ValueError("notify at least one developer")
    with tempfile.TemporaryDirectory(prefix="kyocho-bench-") as name, _bench_site(Path(name)), _smtp_sink() as sink:
        started = time.perf_counter()
        case_id, organisation_ids, coordinator, recipients = _seed(vendors)
        out.write(f"seeded {vendors} developers with their keys in {time.perf_counter() - started:.1f} s\n")
        seconds = _timed(lambda: _notify_and_deliver(case_id, organisation_ids, coordinator, sink.port))
        messages = _check(sink.collect(), recipients)
        out.write(f"kyocho: {messages} messages in {seconds:.2f} s\n")
        body = _sample_body()
        baseline = _timed(lambda: _minimal_program(recipients, body, sink.port, _pysequoia_sealer()))
        _check(sink.collect(), recipients)
        out.write(f"baseline (pysequoia): {baseline:.2f} s\n")
        with _gpg_home(Path(name), recipients) as home:
            gpg_seconds = _timed(lambda: _minimal_program(recipients, body, sink.port, _gpg_sealer(home)))
        _check(sink.collect(), recipients)
        out.write(f"baseline (one gpg process per message): {gpg_seconds:.2f} s\n")
    return {
        "messages": messages,
        "seconds": round(seconds, 2),
        "baseline_seconds": round(baseline, 2),
        "ratio": round(seconds / baseline, 2),
        "gpg_cli_seconds": round(gpg_seconds, 2),
        "speedup_vs_gpg_cli": round(gpg_seconds / seconds, 1),
    }


BENCHMARK = Benchmark(
    name="notify",
    help="Notify N developers (one contact and key each) through the whole path, against a minimal pysequoia program and one gpg process per message.",
    run=lambda *, vendors, out: run(vendors, out),
    options=(Option("--vendors", int, 1000, "Developers to notify, one contact each (default: %(default)s)."),),
)


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# --- The site: a scratch database and data directory with the production settings -------------------


@contextmanager
def _bench_site(directory: Path) -> Iterator[None]:
    from django.test import override_settings

    with (
        override_settings(DATA_DIR=directory, DEFAULT_FROM_EMAIL=f"kyocho <{FROM}>"),
        scratch_database(sqlite_in(directory)),
    ):
        yield


# --- Seeding ----------------------------------------------------------------------------------------


def _seed(count: int) -> tuple[int, list[int], Any, list[Recipient]]:
    from kyocho.accounts import actions as accounts
    from kyocho.accounts.roles import OrganisationKind, Role
    from kyocho.cases import actions as cases
    from kyocho.messaging.openpgp import ensure_coordinator_key
    from kyocho.vendors import actions as registry

    ensure_coordinator_key()
    team = accounts.create_organisation("Bench coordination team", kind=OrganisationKind.COORDINATOR_TEAM, actor=None)
    coordinator = accounts.create_user("coordinator@bench.example", actor=None, language="en")
    accounts.add_member(team.pk, user_id=coordinator.pk, role=Role.COORDINATOR, actor=None)
    registrations = [
        registry.import_developer(
            registry.clean_developer(
                {
                    "name": f"Bench developer {number}",
                    "registration_type": "general",
                    "contacts": [
                        {"name": f"PSIRT {number}", "email": _address(number), "language": "en", "responsible": True}
                    ],
                }
            ),
            actor=None,
        )
        for number in range(count)
    ]
    recipients = _register_keys(registrations, coordinator)
    case = cases.open_case(title="Bench: heap overflow in a widely used parser", actor=coordinator)
    affected = [
        {"product": f"Product {number}", "versions": "< 2.0", "organisation_id": registration.organisation_id}
        for number, registration in enumerate(registrations)
    ]
    for title, vector in (
        ("Heap overflow in the header parser", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("Denial of service through nested sections", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
    ):
        cases.add_vulnerability(
            case.pk, title=title, cwe="CWE-122", cvss31_vector=vector, affected=affected, actor=coordinator
        )
    for registration in registrations:
        cases.add_participant(case.pk, organisation_id=registration.organisation_id, actor=coordinator)
    _warm_up()
    return case.pk, [registration.organisation_id for registration in registrations], coordinator, recipients


def _warm_up() -> None:
    """Measure kyocho as a running process is: its URL configuration loaded, the mail templates compiled
    and the worker's modules imported (a first use in a fresh process costs most of a second)."""
    from django.urls import reverse

    from kyocho.messaging.rendering import render_email

    reverse("portal:case", args=["KYC-WARM-UP00"])
    for template in ("case_notification", "portal_notice"):
        render_email(template, {}, "en")
    import django_tasks_db.management.commands.db_worker  # noqa: F401


def _address(number: int) -> str:
    return f"psirt@developer-{number}.example"


def _register_keys(registrations: list[Any], coordinator: Any) -> list[Recipient]:
    """One new key per contact, registered through the key action (which checks it with gpg)."""
    import pysequoia
    from django.db import connection

    from kyocho.vendors.key_actions import add_public_key

    def register(numbered: tuple[int, Any]) -> Recipient:
        number, registration = numbered
        secret = pysequoia.Tsk.generate(f"PSIRT {number} <{_address(number)}>")
        armored = str(secret.extract_certificate())
        try:
            key = add_public_key(registration.pk, armored=armored, actor=coordinator)
        finally:
            connection.close()  # each thread has its own connection
        return Recipient(_address(number), armored, key.fingerprint)

    with ThreadPoolExecutor(KEY_THREADS) as pool:
        return list(pool.map(register, enumerate(registrations)))


# --- What is measured --------------------------------------------------------------------------------


def _notify_and_deliver(case_id: int, organisation_ids: list[int], coordinator: Any, port: int) -> None:
    from django.core.management import call_command
    from django.test import override_settings

    from kyocho.cases.notify import notify_developers

    with override_settings(EMAIL_HOST=LOOPBACK, EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_HOST_USER=""):
        notify_developers(case_id, organisation_ids=organisation_ids, actor=coordinator)
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def _sample_body() -> str:
    """A notification as kyocho wrote it, so that both minimal programs send messages of the same size."""
    from kyocho.messaging.models import OutboundEmail

    email = OutboundEmail.objects.filter(purpose="case:notification").order_by("pk").first()
    assert email is not None
    return email.body


# --- The minimal programs -----------------------------------------------------------------------------

Sealer = Callable[[bytes, Recipient], str]  # (MIME entity, recipient) → ASCII-armoured OpenPGP message


def _minimal_program(recipients: list[Recipient], body: str, port: int, seal: Sealer) -> None:
    """Each message built, signed and encrypted for its one recipient, all sent over one connection."""
    with smtplib.SMTP(LOOPBACK, port) as smtp:
        for recipient in recipients:
            inner = EmailMessage(policy=email.policy.SMTP)
            inner.set_content(body)
            armored = seal(inner.as_bytes(), recipient)
            smtp.sendmail(FROM, [recipient.address], _pgp_mime(recipient.address, armored))


def _pgp_mime(to: str, armored: str) -> bytes:
    outer = EmailMessage(policy=email.policy.SMTP)
    outer["From"], outer["To"], outer["Subject"] = FROM, to, "Vulnerability notification"
    outer["Content-Type"] = 'multipart/encrypted; protocol="application/pgp-encrypted"'
    version, payload = Message(policy=email.policy.SMTP), Message(policy=email.policy.SMTP)
    version["Content-Type"] = "application/pgp-encrypted"
    version.set_payload("Version: 1\r\n")
    payload["Content-Type"] = "application/octet-stream"
    payload.set_payload(armored)
    outer.set_payload([version, payload])
    return outer.as_bytes()


def _pysequoia_sealer() -> Sealer:
    import pysequoia

    from kyocho.messaging.openpgp import coordinator_secret_key

    signer = pysequoia.Tsk.from_bytes(coordinator_secret_key().encode()).signer()

    def seal(entity: bytes, recipient: Recipient) -> str:
        cert = pysequoia.Cert.from_bytes(recipient.armored.encode())
        encrypted = pysequoia.encrypt(entity, recipients=[cert], signer=signer)
        return encrypted.decode() if isinstance(encrypted, bytes) else str(encrypted)

    return seal


def _gpg_sealer(home: Path) -> Sealer:
    def seal(entity: bytes, recipient: Recipient) -> str:
        done = subprocess.run(  # noqa: S603 — fixed arguments
            [*GPG_SEAL, "--homedir", str(home), "--recipient", recipient.fingerprint],
            input=entity,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()

    return seal


@contextmanager
def _gpg_home(directory: Path, recipients: list[Recipient]) -> Iterator[Path]:
    """A GnuPG home holding the coordinator's secret key and every recipient's public key (not timed)."""
    from kyocho.messaging.openpgp import coordinator_secret_key

    home = directory / "gpg-baseline"
    home.mkdir(mode=0o700)
    keys = coordinator_secret_key() + "".join(recipient.armored for recipient in recipients)
    subprocess.run(  # noqa: S603 — fixed arguments
        [GPG, "--homedir", str(home), "--batch", "--import"], input=keys.encode(), capture_output=True, check=True
    )
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)  # noqa: S603, S607
        shutil.rmtree(home, ignore_errors=True)


# --- The SMTP server, in a process of its own ------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    count: int
    recipients: list[str]  # the envelope recipients, one list entry per message (joined when several)
    encrypted: int  # messages that were multipart/encrypted


def _check(received: Received, recipients: list[Recipient]) -> int:
    """Every recipient got exactly one message of its own, and every message was encrypted: the count."""
    expected = sorted(recipient.address for recipient in recipients)
    if sorted(received.recipients) != expected or received.encrypted != received.count:
        raise AssertionError(
            f"the SMTP server got {received.count} messages ({received.encrypted} encrypted) "
            f"for {len(set(received.recipients))} recipients; expected one encrypted message for each of {len(expected)}"
        )
    return received.count


class _Sink:
    def __init__(self, port: int, control: Connection) -> None:
        self.port, self._control = port, control

    def collect(self) -> Received:
        """What arrived since the last call."""
        self._control.send("collect")
        count, recipients, encrypted = _answer(self._control)
        return Received(count, recipients, encrypted)


def _answer(control: Connection) -> Any:
    if not control.poll(SINK_TIMEOUT_SECONDS):
        raise RuntimeError("the benchmark's SMTP server process does not answer")
    return control.recv()


@contextmanager
def _smtp_sink() -> Iterator[_Sink]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no Django, no open database
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_smtp, args=(theirs,), daemon=True)
    process.start()
    try:
        yield _Sink(_answer(ours), ours)
    finally:
        ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


def _serve_smtp(control: Connection) -> None:
    """An aiosmtpd server that keeps only what the check needs of each message."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    got: list[tuple[str, bool]] = []
    lock = threading.Lock()  # the server's thread appends while this one collects

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            head = (envelope.original_content or envelope.content or b"")[:2000]
            with lock:
                got.append((",".join(envelope.rcpt_tos), b"multipart/encrypted" in head))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname=LOOPBACK, port=port)
    controller.start()
    control.send(port)
    while control.recv() != "stop":  # anything else asks for what arrived
        with lock:
            batch, got[:] = list(got), []
        control.send((len(batch), [to for to, _encrypted in batch], sum(encrypted for _to, encrypted in batch)))
    controller.stop()
