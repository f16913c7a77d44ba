"""Plain-text rendering for the terminal (CLI and local console), in English or Chinese.

Honours NO_COLOR and only colours when writing to a terminal; the layout is readable without it.
Columns are counted in terminal cells (``cells``): a Chinese character takes two.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.knowledge.localized import localize
from bot.knowledge.matcher import MAX_QUERY_CHARS, Answer, Match
from bot.knowledge.models import Entry, FaultSide, Responder
from bot.knowledge.notes import answer_notes, answer_problem
from bot.probe.commands import placeholders_in

# Where a cause lies (the knowledge base's sides).
CAUSE_SIDE = {
    FaultSide.ORIGIN: N_("origin"),
    FaultSide.EDGE: N_("EdgeOne"),
    FaultSide.NETWORK: N_("network path"),
    FaultSide.DNS: N_("DNS"),
    FaultSide.CLIENT: N_("client"),
    FaultSide.CODE: N_("your code"),
}
RESPONDER = {
    Responder.EDGE: N_("the EdgeOne node (or platform) answers with this itself"),
    Responder.ORIGIN: N_("the origin sends this; EdgeOne passes it through"),
    Responder.EITHER: N_("either the EdgeOne node or the origin; test the origin directly to tell"),
    Responder.NONE: N_("nobody: it only appears in logs and analytics"),
}
UNTRANSLATED = N_("This entry has no Chinese text yet; it is shown in English.")


@dataclass(frozen=True, slots=True)
class Style:
    color: bool = False

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.color else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.color else text


def render_answer(
    answer: Answer, *, style: Style | None = None, full: int = 1, language: Language = "en"
) -> str:
    """The whole answer; the first ``full`` matches in detail, the rest as one-liners."""
    st = style or Style()
    _ = texts(language)
    out: list[str] = []
    problem = answer_problem(answer, language)
    if problem:
        return problem
    for note in answer_notes(answer, language, limit=MAX_QUERY_CHARS):
        out.append(st.dim(_("note: {note}").format(note=note)))
    if answer.family and answer.matches:
        out.append(st.bold(_("EdgeOne codes in the {family} family:").format(family=answer.family)))
        out += [f"  {_one_line(m, language)}" for m in answer.matches]
        out.append(
            _("Ask about one code for the details, e.g. `{code}`.").format(
                code=answer.matches[0].entry.code
            )
        )
        return "\n".join(out)
    if not answer.matches:
        out.append(_("No confident match for “{query}”.").format(query=_short(answer.query)))
        if answer.suggestions:
            out.append(_("Did you mean:"))
            out += [f"  {_one_line(m, language)}" for m in answer.suggestions]
        else:
            out.append(
                _(
                    "Try a status code (524), an error name (NODE_FUNCTION_INVOCATION_TIMEOUT) or "
                    "a short description (origin took too long)."
                )
            )
        return "\n".join(out)
    for i, match in enumerate(answer.matches[:full]):
        if i:
            out.append("")
        out.append(render_entry(match.entry, style=st, language=language))
    rest = answer.matches[full:]
    if rest:
        out.append("")
        out.append(st.bold(_("Other possible matches:")))
        out += [f"  {_one_line(m, language)}" for m in rest]
    return "\n".join(out)


def render_entry(entry: Entry, *, style: Style | None = None, language: Language = "en") -> str:
    st = style or Style()
    _ = texts(language)
    text = localize(entry, language)
    codes = " / ".join(str(c) for c in entry.codes)
    names = ", ".join(entry.names)
    head = f"{codes} {names}".strip()
    lines = [st.bold(text.title) + st.dim(f"  [{entry.product.value} · {head}]")]
    if not text.translated:
        lines.append(st.dim(_(UNTRANSLATED)))
    lines += [
        text.summary,
        _("Who answers: {responder}.").format(responder=_(RESPONDER[entry.answered_by])),
        "",
        st.bold(_("Likely causes")),
    ]
    for side, items in text.causes:
        for item in items:
            lines.append(f"  - ({_(CAUSE_SIDE[side])}) {item}")
    lines += ["", st.bold(_("Check"))]
    for check in text.checks:
        lines.append(f"  - {check.what}")
        if check.command:
            lines.append(f"      $ {check.command}")
    note = placeholder_note(entry, language)
    if note:
        lines.append(st.dim(f"  {note}"))
    lines += ["", st.bold(_("Fix"))]
    lines += [f"  - {fix}" for fix in text.fixes]
    lines += ["", st.bold(_("For support, collect"))]
    lines += [f"  - {item}" for item in text.support]
    if entry.related:
        lines += ["", st.dim(_("Related: {ids}").format(ids=", ".join(entry.related)))]
    lines.append(st.dim(_("Source: {links}").format(links=" ".join(text.source))))
    return "\n".join(lines)


def placeholder_note(entry: Entry, language: Language = "en") -> str | None:
    """Which upper-case words in the entry's commands stand for the reader's own values."""
    names = list(
        dict.fromkeys(n for c in entry.checks if c.command for n in placeholders_in(c.command))
    )
    if not names:
        return None
    _ = texts(language)
    return _("Replace {names} in the commands with your own values.").format(names=", ".join(names))


def _one_line(match: Match, language: Language) -> str:
    entry = match.entry
    name = f" {entry.name}" if entry.name else ""
    _ = texts(language)
    return _("{code}{name} — {title} ({product}, id {id})").format(
        code=entry.code,
        name=name,
        title=localize(entry, language).title,
        product=entry.product.value,
        id=entry.id,
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cells(text: str) -> int:
    """Terminal columns: wide characters (CJK, most emoji) take two, combining marks none."""
    count = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            continue
        count += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return count


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal cells (``str.ljust`` by cells)."""
    return text + " " * max(width - cells(text), 0)
