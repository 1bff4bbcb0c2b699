"""The state machines as a Markdown document (docs/state-machines.md is generated from the tables)."""

from __future__ import annotations

from django.utils import translation

from kyocho.core.workflow import TransitionTable


def all_tables() -> list[TransitionTable]:
    from kyocho.advisories.workflow import ADVISORY
    from kyocho.cases.workflow import ANSWER, CASE, CVE, PARTICIPATION, REVIEW
    from kyocho.disclosure.workflow import CONSENT, EMBARGO, EXTENSION
    from kyocho.intake.workflow import REPORT
    from kyocho.messaging.workflow import EMAIL, INBOUND
    from kyocho.vendors.workflow import REGISTRATION

    return [
        REPORT,
        CASE,
        PARTICIPATION,
        ANSWER,
        REVIEW,
        CVE,
        EMBARGO,
        CONSENT,
        EXTENSION,
        ADVISORY,
        REGISTRATION,
        EMAIL,
        INBOUND,
    ]


def render_markdown() -> str:
    lines = [
        "# State machines",
        "",
        "Generated from the transition tables in `kyocho/*/workflow.py` by `kyocho statedoc`;",
        "a test keeps this file equal to the tables. Every change of state goes through one of these.",
        "",
    ]
    with translation.override("en"):
        for tbl in all_tables():
            lines += [f"## {tbl.name}", "", "| from | may go to |", "|---|---|"]
            for state in tbl.states:
                targets = sorted(tbl.targets(state))
                shown = ", ".join(f"`{target}`" for target in targets) if targets else "*(final)*"
                lines.append(f"| `{state}` — {state.label} | {shown} |")
            lines.append("")
    return "\n".join(lines)
