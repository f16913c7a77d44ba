"""Plain-text rendering for the terminal (CLI and local console).

Honours NO_COLOR and only colours when writing to a terminal; the layout is readable without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.matcher import Answer, Match
from bot.knowledge.models import Entry, Responder
from bot.probe.commands import placeholders_in

_SIDE = {
    "origin": "origin",
    "edge": "EdgeOne",
    "network": "network path",
    "dns": "DNS",
    "client": "client",
    "code": "your code",
}
_RESPONDER = {
    Responder.EDGE: "the EdgeOne node (or platform) answers with this itself",
    Responder.ORIGIN: "the origin sends this; EdgeOne passes it through",
    Responder.EITHER: "either the EdgeOne node or the origin; test the origin directly to tell",
    Responder.NONE: "nobody: it only appears in logs and analytics",
}


@dataclass(frozen=True, slots=True)
class Style:
    color: bool = False

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.color else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.color else text


def render_answer(answer: Answer, *, style: Style | None = None, full: int = 1) -> str:
    """The whole answer; the first ``full`` matches in detail, the rest as one-liners."""
    st = style or Style()
    out: list[str] = []
    if answer.problem:
        return answer.problem
    for note in answer.notes:
        out.append(st.dim(f"note: {note}"))
    if answer.family and answer.matches:
        out.append(st.bold(f"EdgeOne codes in the {answer.family} family:"))
        out += [f"  {_one_line(m)}" for m in answer.matches]
        out.append(
            "Ask about one code for the details, e.g. `" + str(answer.matches[0].entry.code) + "`."
        )
        return "\n".join(out)
    if not answer.matches:
        out.append(f"No confident match for “{_short(answer.query)}”.")
        if answer.suggestions:
            out.append("Did you mean:")
            out += [f"  {_one_line(m)}" for m in answer.suggestions]
        else:
            out.append(
                "Try a status code (524), an error name (NODE_FUNCTION_INVOCATION_TIMEOUT)"
                " or a short description (origin took too long)."
            )
        return "\n".join(out)
    for i, match in enumerate(answer.matches[:full]):
        if i:
            out.append("")
        out.append(render_entry(match.entry, style=st))
    rest = answer.matches[full:]
    if rest:
        out.append("")
        out.append(st.bold("Other possible matches:"))
        out += [f"  {_one_line(m)}" for m in rest]
    return "\n".join(out)


def render_entry(entry: Entry, *, style: Style | None = None) -> str:
    st = style or Style()
    codes = " / ".join(str(c) for c in entry.codes)
    names = ", ".join(entry.names)
    head = f"{codes} {names}".strip()
    lines = [
        st.bold(f"{entry.title}") + st.dim(f"  [{entry.product.value} · {head}]"),
        entry.summary,
        f"Who answers: {_RESPONDER[entry.answered_by]}.",
        "",
        st.bold("Likely causes"),
    ]
    for group in entry.causes:
        for item in group.items:
            lines.append(f"  - ({_SIDE[group.side.value]}) {item}")
    lines += ["", st.bold("Check")]
    for check in entry.checks:
        lines.append(f"  - {check.what}")
        if check.command:
            lines.append(f"      $ {check.command}")
    note = placeholder_note(entry)
    if note:
        lines.append(st.dim(f"  {note}"))
    lines += ["", st.bold("Fix")]
    lines += [f"  - {fix}" for fix in entry.fixes]
    lines += ["", st.bold("For support, collect")]
    lines += [f"  - {item}" for item in entry.support]
    if entry.related:
        lines += ["", st.dim("Related: " + ", ".join(entry.related))]
    lines.append(st.dim("Source: " + " ".join(entry.source)))
    return "\n".join(lines)


def placeholder_note(entry: Entry) -> str | None:
    """Which upper-case words in the entry's commands stand for the reader's own values."""
    names = list(
        dict.fromkeys(n for c in entry.checks if c.command for n in placeholders_in(c.command))
    )
    if not names:
        return None
    return f"Replace {', '.join(names)} in the commands with your own values."


def _one_line(match: Match) -> str:
    entry = match.entry
    name = f" {entry.name}" if entry.name else ""
    return f"{entry.code}{name} — {entry.title} ({entry.product.value}, id {entry.id})"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
