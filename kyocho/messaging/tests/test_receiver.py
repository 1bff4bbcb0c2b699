"""The receiver over a real SMTP/LMTP conversation: Python's smtplib is the sending MTA, the receiver
listens on a free loopback port. It takes mail for our own addresses only, answers 250 only once the
message is stored, and a temporary 451 when it could not store it (the MTA keeps it and retries)."""

from __future__ import annotations

import smtplib
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from kyocho.core.errors import InvalidInput
from kyocho.core.tests.processes import kyocho_env, migrate
from kyocho.core.tests.test_smoke import kyocho_process
from kyocho.messaging import receiver as receiver_module
from kyocho.messaging.models import InboundMail
from kyocho.messaging.receiver import MailReceiver, starttls_context
from kyocho.messaging.testing import LOOPBACK, free_port
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.tests.certificates import ServerCertificate, make_server_certificate
from kyocho.messaging.workflow import InboundStatus

pytestmark = pytest.mark.django_db(transaction=True)  # the receiver stores from threads of its own

MAIL = mailmaker.plain("hello", sender="hanako@finder.example", to="cvd@kyocho.example", subject="XSS in RT-500")
REPLY = "cvd+abcdefghijklmnopqrstuvwxyz234567@kyocho.example"


@pytest.fixture
def start(mail_settings: Any) -> Iterator[Any]:
    started: list[MailReceiver] = []

    def start(*, lmtp: bool = False, max_bytes: int = 1024 * 1024, **tls: Any) -> MailReceiver:
        receiver = MailReceiver(host=LOOPBACK, port=free_port(), lmtp=lmtp, max_bytes=max_bytes, **tls)
        receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop(grace=5)


def test_smtp_mail_is_stored_before_it_is_acknowledged(start: Any) -> None:
    receiver = start()
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        refused = client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL)
    assert refused == {}
    stored = InboundMail.objects.get()  # committed by the time the 250 arrived
    assert bytes(stored.raw).replace(b"\r\n", b"\n").rstrip() == MAIL.rstrip()  # as the MTA sent it
    assert (stored.via, stored.envelope_from, stored.envelope_to) == (
        "smtp",
        "hanako@finder.example",
        ["cvd@kyocho.example"],
    )
    assert stored.status == InboundStatus.RECEIVED  # sorting is the task worker's job


def test_reply_addresses_are_accepted(start: Any) -> None:
    receiver = start()
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        assert client.sendmail("psirt@vendor-a.example", [REPLY.upper()], MAIL) == {}
    assert InboundMail.objects.get().envelope_to == [REPLY.upper()]


@pytest.mark.parametrize(
    ("address", "code"),
    [("someone@elsewhere.example", 554), ("other@kyocho.example", 550), ("cvd@kyocho.example.evil", 554)],
)
def test_other_recipients_are_refused(start: Any, address: str, code: int) -> None:
    receiver = start()
    with (
        smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("spammer@x.example", [address], MAIL)
    assert refused.value.recipients[address][0] == code
    assert not InboundMail.objects.exists()


def test_a_message_over_the_limit_is_refused(start: Any) -> None:
    receiver = start(max_bytes=2000)
    big = mailmaker.plain("x" * 5000, sender="a@b.example", to="cvd@kyocho.example", subject="big")
    with (
        smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client,
        pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused,
    ):
        client.sendmail("a@b.example", ["cvd@kyocho.example"], big)
    assert refused.value.smtp_code == 552
    assert not InboundMail.objects.exists()


def test_lmtp_answers_for_each_recipient(start: Any) -> None:
    receiver = start(lmtp=True)
    with smtplib.LMTP(LOOPBACK, receiver.port) as client:
        client.ehlo_or_helo_if_needed()
        client.mail("hanako@finder.example")
        assert client.rcpt("cvd@kyocho.example")[0] == 250
        assert client.rcpt(REPLY)[0] == 250
        assert client.data(MAIL)[0] == 250
        assert client.getreply()[0] == 250  # the second recipient's own answer (RFC 2033)
    stored = InboundMail.objects.get()
    assert (stored.via, stored.envelope_to) == ("lmtp", ["cvd@kyocho.example", REPLY])


def test_a_message_that_cannot_be_stored_is_deferred_not_lost(start: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = start()

    def database_away(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the database is not answering")

    monkeypatch.setattr(receiver_module, "store_inbound", database_away)
    with (
        smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPDataError) as deferred,
    ):
        client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL)
    assert deferred.value.smtp_code == 451  # temporary: the sending MTA keeps the message and retries


def test_a_stopping_receiver_defers_new_recipients(start: Any) -> None:
    receiver = start()
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        client.ehlo()
        receiver.handler.stopping = True
        client.mail("a@b.example")
        assert client.rcpt("cvd@kyocho.example")[0] == 421


# --- STARTTLS (RFC 3207) -------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_server_certificate(tmp_path / "tls")


def trusting(certificate: ServerCertificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate.ca_file))


def test_starttls_is_offered_and_mail_over_it_is_stored(start: Any, certificate: ServerCertificate) -> None:
    receiver = start(tls=starttls_context(str(certificate.cert_file), str(certificate.key_file)))
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=trusting(certificate))
        assert isinstance(client.sock, ssl.SSLSocket) and client.sock.version() in {"TLSv1.2", "TLSv1.3"}
        assert client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL) == {}
    assert InboundMail.objects.get().via == "smtp"


def test_without_require_tls_plain_mail_is_still_taken(start: Any, certificate: ServerCertificate) -> None:
    # Opportunistic, as between MTAs: a sender that cannot start TLS is not turned away.
    receiver = start(tls=starttls_context(str(certificate.cert_file), str(certificate.key_file)))
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        assert client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL) == {}
    assert InboundMail.objects.count() == 1


def test_require_tls_refuses_mail_before_starttls(start: Any, certificate: ServerCertificate) -> None:
    context = starttls_context(str(certificate.cert_file), str(certificate.key_file))
    receiver = start(tls=context, require_tls=True)
    with (
        smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
    ):
        client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL)
    assert refused.value.smtp_code == 530
    assert not InboundMail.objects.exists()
    with smtplib.SMTP(LOOPBACK, receiver.port, timeout=10) as client:
        client.starttls(context=trusting(certificate))
        assert client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL) == {}
    assert InboundMail.objects.count() == 1


def test_require_tls_needs_a_certificate_and_smtp(certificate: ServerCertificate) -> None:
    with pytest.raises(ValueError, match="needs a certificate"):
        MailReceiver(host=LOOPBACK, port=free_port(), lmtp=False, max_bytes=1024, require_tls=True)
    context = starttls_context(str(certificate.cert_file), str(certificate.key_file))
    with pytest.raises(ValueError, match="rather than LMTP"):
        MailReceiver(host=LOOPBACK, port=free_port(), lmtp=True, max_bytes=1024, tls=context, require_tls=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--require-tls"], "--require-tls needs a certificate"),
        (["--lmtp", "--require-tls"], "--require-tls works with SMTP only"),
        (["--tls-cert", "server.pem"], "Give both --tls-cert and --tls-key."),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "could not be loaded"),
    ],
)
def test_mail_receiver_refuses_incomplete_tls_options(mail_settings: Any, options: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call_command("mail-receiver", "--port", str(free_port()), *options)


@pytest.mark.smoke
def test_kyocho_mail_receiver_stores_mail_and_stops_on_sigterm(tmp_path: Path) -> None:
    data_dir = migrate(tmp_path / "var")
    port = free_port()
    env = kyocho_env(data_dir, KYOCHO_MAIL_FROM="cvd@kyocho.example")
    certificate = make_server_certificate(tmp_path / "tls")
    tls = ("--tls-cert", str(certificate.cert_file), "--tls-key", str(certificate.key_file))
    args = ("mail-receiver", "--lmtp", "--port", str(port), *tls)
    announced = rf"listening on lmtp://127\.0\.0\.1:{port}/ with STARTTLS"
    with kyocho_process(*args, env=env, announces=announced):
        with smtplib.LMTP(LOOPBACK, port) as client:
            client.starttls(context=trusting(certificate))
            assert client.sendmail("hanako@finder.example", ["cvd@kyocho.example"], MAIL) == {}
        with sqlite3.connect(data_dir / "kyocho.sqlite3") as database:
            rows = database.execute("select via, status from messaging_inboundmail").fetchall()
        assert rows == [("lmtp", "received")]
