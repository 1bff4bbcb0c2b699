"""Attachments of reports and of conversation messages: checked by what their bytes are (never by
name or declared type), stored under random names in DATA_DIR/attachments, outside anything the web
server serves, and handed back only as downloads to whoever may see what they are attached to.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput

FIELD = "attachments"
# Leading bytes of each allowed type. Text has no signature: it is whatever decodes as UTF-8.
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("pdf", b"%PDF-"),
    ("png", b"\x89PNG\r\n\x1a\n"),
    ("jpeg", b"\xff\xd8\xff"),
    ("gif", b"GIF87a"),
    ("gif", b"GIF89a"),
    ("zip", b"PK\x03\x04"),
    ("zip", b"PK\x05\x06"),  # an empty archive
    ("pcap", b"\xd4\xc3\xb2\xa1"),
    ("pcap", b"\xa1\xb2\xc3\xd4"),
    ("pcap", b"\x4d\x3c\xb2\xa1"),  # nanosecond pcap, little-endian
    ("pcap", b"\xa1\xb2\x3c\x4d"),
    ("pcapng", b"\x0a\x0d\x0d\x0a"),
)
FILENAME_LIMIT = 200


@dataclass(frozen=True)
class Upload:
    """A file as received, before it is checked."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content: bytes
    kind: str
    sha256: str


def sniff(content: bytes) -> str | None:
    """The allowed type these bytes are, or None."""
    for kind, signature in SIGNATURES:
        if content.startswith(signature):
            return kind
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Text files hold no NUL or other control characters beyond layout ones.
    if any(ord(char) < 32 and char not in "\t\n\r\f" for char in text):
        return None
    return "text"


def max_count() -> int:
    return int(settings.KYOCHO["ATTACHMENT_MAX_COUNT"])


def max_bytes() -> int:
    return int(settings.KYOCHO["ATTACHMENT_MAX_BYTES"])


def check_count(count: int) -> None:
    if count > max_count():
        raise InvalidInput(_("Attach at most %(count)d files.") % {"count": max_count()}, field=FIELD)


def check_size(filename: str, size: int) -> None:
    """Checked before the content is read, so that an oversized upload is never held in memory."""
    if size > max_bytes():
        raise InvalidInput(
            _("“%(name)s” is too large (at most %(size)s).")
            % {"name": _safe_filename(filename), "size": human_size(max_bytes())},
            field=FIELD,
        )
    if size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": _safe_filename(filename)}, field=FIELD)


def read_uploaded(files: Iterable[Any]) -> list[Upload]:
    """Uploaded files (anything with ``name``, ``size`` and ``read()``, like Django's) as Uploads; their
    number and sizes are checked before any is read, so an oversized upload is never held in memory."""
    files = list(files)
    check_count(len(files))
    for file in files:
        check_size(file.name, file.size)
    return [Upload(file.name, file.read()) for file in files]


def check_uploads(uploads: Iterable[Upload]) -> list[CheckedUpload]:
    """Refuse the whole set when there are too many files or one is too large or not allowed."""
    uploads = list(uploads)
    check_count(len(uploads))
    return [_check(upload) for upload in uploads]


def _check(upload: Upload) -> CheckedUpload:
    check_size(upload.filename, len(upload.content))
    name = _safe_filename(upload.filename)
    kind = sniff(upload.content)
    if kind is None:
        raise InvalidInput(
            _("“%(name)s” is not a file type we accept (PDF, PNG, JPEG, GIF, ZIP, pcap or plain text).")
            % {"name": name},
            field=FIELD,
        )
    return CheckedUpload(name, upload.content, kind, hashlib.sha256(upload.content).hexdigest())


def _safe_filename(filename: str) -> str:
    """The last part of the name the sender gave, without control characters; only ever displayed."""
    base = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(char for char in base if ord(char) >= 32 and char != "\x7f").strip()
    return clean[:FILENAME_LIMIT] or "attachment"


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(number)s MB") % {"number": round(size / (1024 * 1024), 1)}
    if size >= 1024:
        return _("%(number)s KB") % {"number": round(size / 1024, 1)}
    return _("%(number)s bytes") % {"number": size}


def storage_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "attachments"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def write_file(content: bytes) -> str:
    """Store bytes under a fresh random name and return the name."""
    name = secrets.token_hex(16)
    path = storage_dir() / name
    with path.open("xb") as file:
        file.write(content)
    path.chmod(0o600)
    return name


def remove_file(stored_name: str) -> None:
    (storage_dir() / stored_name).unlink(missing_ok=True)


def read_file(stored_name: str) -> bytes:
    return (storage_dir() / stored_name).read_bytes()


@contextmanager
def removing_files_on_failure() -> Iterator[list[str]]:
    """Files are written before the transaction commits; if it does not, the names collected here go."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            remove_file(name)
        raise
