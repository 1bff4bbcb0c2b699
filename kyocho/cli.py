"""The ``kyocho`` console command: kyocho's own commands, each a Django management command.

``kyocho --help`` lists only kyocho's commands; Django's full set stays reachable as
``kyocho django COMMAND …`` (and any name kyocho does not list is passed to Django as well).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# name → one line for `kyocho --help`; each command's own --help says more.
COMMANDS = {
    "serve": "Run kyocho: web server, task worker and scheduler in one process (--no-worker: web only).",
    "worker": "Run only the task worker and the scheduler, beside `kyocho serve --no-worker`.",
    "migrate": "Create or update the database tables (run after installing or upgrading).",
    "createstaff": "Create an account for intake staff, a coordinator or a lead coordinator.",
    "check": "Look for configuration problems; --deploy adds what is unsafe in production.",
    "audit": "`kyocho audit verify`: check that the audit trail was not tampered with.",
    "keys": "`kyocho keys init` creates the coordinator OpenPGP key for encrypted reports; `kyocho keys show` prints it.",
    "demo": "Add demo organisations, people and a case, and print the demo accounts (not in production).",
    "demo-code": "Print the current sign-in code of a demo account.",
    "terms": "`kyocho terms publish --version V --ja FILE --en FILE`: new registration terms for developers.",
    "vendors": "`kyocho vendors import FILE [--dry-run]`: import a CSV or JSON vendor list, all rows or none.",
    "mail-receiver": "Receive mail: an SMTP/LMTP listener (--lmtp) that stores every message; --imap-once polls IMAP once.",
    "statedoc": "Print the state machines as Markdown (docs/state-machines.md).",
    "bench": "Measure kyocho on a throw-away database: `kyocho bench intake|sbom-match|case-page|notify` (last line: JSON).",
}

USAGE = """\
usage: kyocho COMMAND [options]

kyocho (協調) — coordinated vulnerability disclosure.

commands:
{commands}

`kyocho COMMAND --help` explains one command and its options.
Settings come from KYOCHO_* environment variables (see docs/configuration.md).
Django's own commands: `kyocho django --help`, `kyocho django COMMAND …`.
"""


def usage() -> str:
    width = max(map(len, COMMANDS))
    return USAGE.format(commands="\n".join(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()))


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyocho.settings")
    prog = "kyocho"
    if args[0] == "django":
        prog, args = "kyocho django", args[1:]
    setup_or_exit()
    from django.core.management import execute_from_command_line

    execute_from_command_line([prog, *args])


def setup_or_exit() -> None:
    """Load the settings; a configuration problem ends here with its message, not a traceback."""
    import django
    from django.conf import settings

    from kyocho.core.env import ConfigError

    try:
        django.setup()
    except ConfigError as error:
        sys.exit(f"kyocho: configuration problem: {error}")
    make_data_directories(settings)


def make_data_directories(settings: object) -> None:
    """A fresh checkout has no data directory yet; SQLite cannot create its file without one."""
    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)  # type: ignore[attr-defined]
    database = settings.DATABASES["default"]  # type: ignore[attr-defined]
    if database["ENGINE"].endswith("sqlite3"):
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
