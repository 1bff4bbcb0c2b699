from __future__ import annotations

from typing import Any

from kyocho.core.management.commands._base import KyochoCommand
from kyocho.core.statedoc import render_markdown


class Command(KyochoCommand):
    help = "Print every state machine (the transition tables) as Markdown: `kyocho statedoc > docs/state-machines.md`."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(render_markdown(), ending="")
