"""IMAP polling against a real IMAP server (Dovecot): every message stored exactly once, even when a poll
is interrupted and run again; marked seen, deleted or moved only after its row committed."""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from kyocho.messaging import imap
from kyocho.messaging.models import InboundMail
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.tests.certificates import ServerCertificate, make_server_certificate
from kyocho.messaging.tests.dovecot import Dovecot, run_dovecot

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    yield from run_dovecot()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> str:
    """A fresh mailbox for each test on the one server."""
    name = f"Test {next(_numbers)}"
    client = dovecot.client()
    assert client.create(f'"{name}"')[0] == "OK"
    client.logout()
    return name


def settings_for(dovecot: Dovecot, mailbox: str, **changes: Any) -> imap.ImapSettings:
    return imap.ImapSettings(
        host=dovecot.host,
        port=dovecot.port,
        user=dovecot.user,
        password=dovecot.password,
        mailbox=mailbox,
        tls="none",
        **changes,
    )


def deliver(dovecot: Dovecot, mailbox: str, count: int) -> list[bytes]:
    messages = [
        mailmaker.plain(f"report {n}", sender=f"finder{n}@example.net", to="cvd@kyocho.example", subject=f"Bug {n}")
        for n in range(count)
    ]
    for raw in messages:
        dovecot.deliver(raw, mailbox)
    return messages


def search(dovecot: Dovecot, mailbox: str, criterion: str) -> list[bytes]:
    client = dovecot.client()
    try:
        client.select(f'"{mailbox}"')
        return client.uid("SEARCH", None, criterion)[1][0].split()  # type: ignore[arg-type]
    finally:
        client.logout()


def test_a_poll_stores_each_message_then_marks_it_seen(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    sent = deliver(dovecot, mailbox, 3)
    assert imap.poll(settings_for(dovecot, mailbox)) == {"stored": 3, "already_stored": 0}
    stored = list(InboundMail.objects.order_by("pk"))
    assert [bytes(row.raw).replace(b"\r\n", b"\n") for row in stored] == sent
    assert {row.via for row in stored} == {"imap"}
    assert all(row.source_key.startswith(f"imap:{mailbox}:") for row in stored)
    assert len(search(dovecot, mailbox, "SEEN")) == 3
    assert imap.poll(settings_for(dovecot, mailbox)) == {"stored": 0, "already_stored": 0}


def test_an_interrupted_poll_run_again_stores_nothing_twice(
    mail_settings: Any, dovecot: Dovecot, mailbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, mailbox, 3)
    real_mark = imap._mark

    def connection_lost(*args: Any, **kwargs: Any) -> None:
        raise ConnectionResetError("the connection dropped after the first message was stored")

    monkeypatch.setattr(imap, "_mark", connection_lost)
    with pytest.raises(ConnectionResetError):
        imap.poll(settings_for(dovecot, mailbox))
    assert InboundMail.objects.count() == 1 and search(dovecot, mailbox, "UNSEEN") != []
    monkeypatch.setattr(imap, "_mark", real_mark)
    assert imap.poll(settings_for(dovecot, mailbox)) == {"stored": 2, "already_stored": 1}
    assert InboundMail.objects.count() == 3
    assert search(dovecot, mailbox, "UNSEEN") == []


def test_a_message_seen_again_is_recognised(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    deliver(dovecot, mailbox, 2)
    imap.poll(settings_for(dovecot, mailbox))
    client = dovecot.client()
    client.select(f'"{mailbox}"')
    client.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")  # someone marked them unread in a mail client
    client.logout()
    assert imap.poll(settings_for(dovecot, mailbox)) == {"stored": 0, "already_stored": 2}
    assert InboundMail.objects.count() == 2


def test_delete_after_storing(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    deliver(dovecot, mailbox, 2)
    assert imap.poll(settings_for(dovecot, mailbox, after="delete"))["stored"] == 2
    assert search(dovecot, mailbox, "ALL") == []
    assert InboundMail.objects.count() == 2


def test_move_after_storing(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    client = dovecot.client()
    client.create(f'"{mailbox} done"')
    client.logout()
    deliver(dovecot, mailbox, 2)
    assert imap.poll(settings_for(dovecot, mailbox, after="move", move_to=f"{mailbox} done"))["stored"] == 2
    assert search(dovecot, mailbox, "ALL") == []
    assert len(search(dovecot, f"{mailbox} done", "ALL")) == 2


def test_a_batch_limit_leaves_the_rest_for_the_next_poll(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    deliver(dovecot, mailbox, 3)
    assert imap.poll(settings_for(dovecot, mailbox, batch=2))["stored"] == 2
    assert imap.poll(settings_for(dovecot, mailbox, batch=2))["stored"] == 1


def test_imap_once_polls_the_configured_mailbox(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    deliver(dovecot, mailbox, 1)
    mail_settings.KYOCHO = {
        **mail_settings.KYOCHO,
        "IMAP": {
            "HOST": dovecot.host,
            "PORT": dovecot.port,
            "USER": dovecot.user,
            "PASSWORD": dovecot.password,
            "MAILBOX": mailbox,
            "TLS": "none",
            "CA_FILE": "",
            "AFTER": "seen",
            "MOVE_TO": "",
        },
    }
    out = StringIO()
    call_command("mail-receiver", "--imap-once", stdout=out)
    assert "Stored 1 new message(s); 0 had been stored before." in out.getvalue()
    assert InboundMail.objects.count() == 1


def test_a_wrong_password_stores_nothing(mail_settings: Any, dovecot: Dovecot, mailbox: str) -> None:
    deliver(dovecot, mailbox, 1)
    wrong = imap.ImapSettings(dovecot.host, dovecot.user, "wrong", port=dovecot.port, mailbox=mailbox, tls="none")
    with pytest.raises(imap.imaplib.IMAP4.error):
        imap.poll(wrong)
    assert not InboundMail.objects.exists()


def test_polling_is_off_until_a_host_is_configured(mail_settings: Any) -> None:
    from kyocho.messaging.tasks import poll_imap_if_configured

    assert not imap.is_configured()
    with pytest.raises(imap.InvalidInput):
        imap.configured()
    poll_imap_if_configured()  # enqueues nothing
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.filter(task_path="kyocho.messaging.tasks.poll_imap").exists()


# --- TLS: the server's certificate is checked against the system's or the configured authorities ------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return make_server_certificate(tmp_path_factory.mktemp("imap-tls"))


@pytest.fixture(scope="module")
def dovecot_tls(certificate: ServerCertificate) -> Iterator[Dovecot]:
    yield from run_dovecot(certificate)


def tls_settings(server: Dovecot, mailbox: str, tls: str, ca_file: str) -> imap.ImapSettings:
    port = server.imaps_port if tls == "ssl" else server.port
    return imap.ImapSettings(
        server.host, server.user, server.password, port=port, mailbox=mailbox, tls=tls, ca_file=ca_file
    )


def fresh_mailbox(server: Dovecot) -> str:
    name = f"TLS {next(_numbers)}"
    client = server.client()
    assert client.create(f'"{name}"')[0] == "OK"
    client.logout()
    return name


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_polling_over_tls_with_the_sites_authority(
    mail_settings: Any, dovecot_tls: Dovecot, certificate: ServerCertificate, tls: str
) -> None:
    mailbox = fresh_mailbox(dovecot_tls)
    deliver(dovecot_tls, mailbox, 2)
    assert imap.poll(tls_settings(dovecot_tls, mailbox, tls, str(certificate.ca_file))) == {
        "stored": 2,
        "already_stored": 0,
    }


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_a_server_the_authorities_do_not_vouch_for_is_refused_before_login(
    mail_settings: Any, dovecot_tls: Dovecot, tls: str
) -> None:
    mailbox = fresh_mailbox(dovecot_tls)
    deliver(dovecot_tls, mailbox, 1)
    with pytest.raises(ssl.SSLCertVerificationError):
        imap.poll(tls_settings(dovecot_tls, mailbox, tls, ca_file=""))  # the system's authorities only
    assert not InboundMail.objects.exists()
    assert search(dovecot_tls, mailbox, "UNSEEN") != []
