"""The conversation's replies as terminal text, for the local console.

Same replies as Slack gets (``bot.render.blocks.render``), rendered with the CLI's text renderers.
The short messages (notices, watch news, hints) are Slack mrkdwn, rendered here for a terminal:
``*bold*``, ``_italic_`` and ``~strike~`` become ANSI styles when colour is on and lose their marks
otherwise; `code` and code blocks stay whole (coloured, or between backticks without colour);
``<url|label>`` reads ``label (url)``, ``<@U1>`` reads ``@U1``, ``&lt; &gt; &amp;`` are unescaped.
Buttons become hints naming the console command that does the same thing.

Everything printed may carry text from the network (header values, certificate names, error
texts, URLs), so every character of content goes through ``bot.untrusted.visible``: no control
character reaches the terminal, only the styles this module adds. To tell those styles apart from
content, the renderers draw with marks made of a random tag that no content can contain; the marks
become escape sequences (or nothing) only after the content was made visible.

With a ``width``, lines are wrapped at spaces, and between Chinese characters (never before
Chinese punctuation), to fit it: indentation, bullets and ``Label  value`` columns are kept for
the continuation rows; URLs, words, code and ``$ command`` lines are never split (a line that must
stay whole may overflow), and tables (the phase bar) are left as they are.

Each reply is rendered in its own language (``reply.language``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.chat.regional_replies import REGIONAL_REPLIES
from bot.chat.replies import (
    AlertReply,
    AnswerReply,
    EntryReply,
    HelpReply,
    Notice,
    ProbeOutcome,
    ProbeSummary,
    Progress,
    Reply,
    SharedVerdict,
    WatchEvent,
)
from bot.chat.snapshot import Change
from bot.chat.words import verdict, watch_event_text, watch_info_text
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.render.probe_text import render_probe
from bot.render.regions import regional_reply_text
from bot.render.text import Style, cells, render_answer, render_entry
from bot.untrusted import visible

__all__ = ["HELP_ROWS", "cells", "change_text", "render_mrkdwn", "render_reply"]

# The console's words, one command per row: (what to type, what it does). The examples are
# translated too: a Chinese reader gets Chinese questions and commands to copy.
HELP_ROWS = (
    (N_("/eo 524"), N_("ask about a code, an error name or a symptom")),
    (
        N_("/eo probe https://shop.example.com/cart"),
        N_("probe a URL (add origin=IP[:PORT] to compare)"),
    ),
    (N_("@eo https://shop.example.com/ gives 522"), N_("the same as a mention in a thread")),
    (
        N_("watch https://shop.example.com/ for 10m"),
        N_("re-probe until it recovers (unwatch stops it)"),
    ),
    (
        N_("/eo probe URL from fra,sin"),
        N_("also probe from the regional agents (or: from all)"),
    ),
    (N_("regions"), N_("list the regional probe agents")),
    (N_("again"), N_('the "Probe again" button: probe the last URL again')),
    (N_("compare HOST[:PORT]"), N_('the "Compare with origin" button')),
    (N_("help, quit"), ""),
)
_HELP_HEAD = N_("Type what you would type in Slack, one message per line:")

# ANSI SGR parameters for each mark; "k" (keep the line whole) and "/" (end) have none.
_SGR = {"b": "1", "d": "2", "i": "3", "s": "9", "c": "36"}
_KEEP, _END, _CODE = "k", "/", "c"

# A continuation row keeps at least this many columns for its text; a deeper hanging indent gives
# way to the line's own indentation, or none.
_MIN_TEXT = 20


# ---------------------------------------------------------------- rendering a reply


def render_reply(
    reply: Reply, *, style: Style | None = None, width: int | None = None
) -> str | None:
    """The text to print for ``reply``; None for what a terminal does not need (progress).

    ANSI styles only with ``style.color``; lines wrapped to ``width`` columns when it is given.
    """
    ink = _Ink(color=(style or Style()).color)
    marked = _marked(reply, ink)
    return None if marked is None else ink.finish(marked, width)


def render_mrkdwn(text: str, *, style: Style | None = None, width: int | None = None) -> str:
    """One piece of Slack mrkdwn as terminal text (the console's own lines use it too)."""
    ink = _Ink(color=(style or Style()).color)
    return ink.finish(ink.mrkdwn(text), width)


def _marked(reply: Reply, ink: _Ink) -> str | None:
    language = reply.language
    _ = texts(language)
    if isinstance(reply, AnswerReply):
        return render_answer(reply.answer, style=ink, language=language)
    if isinstance(reply, EntryReply):
        return render_entry(reply.entry, style=ink, language=language)
    if isinstance(reply, HelpReply):
        return _help(ink, language, edgeone=reply.edgeone)
    if isinstance(reply, Notice):
        return ink.mrkdwn(f"{reply.emoji} {reply.text}".strip())
    if isinstance(reply, Progress):
        return None if reply.done else ink.dim(_("Probing {url} …").format(url=reply.url))
    if isinstance(reply, ProbeOutcome):
        if reply.watch is not None and not reply.watch.active:
            return None  # Slack takes the Cancel button off; the watch's news said it ended
        if reply.edgeone is not None:  # the view came in: the diagnosis was printed already
            from bot.render.edgeone import addendum_text

            return addendum_text(reply.edgeone, reply.diagnosis, style=ink, language=language)
        return _outcome(reply, ink)
    if isinstance(reply, ProbeSummary):
        return None  # the full diagnosis was printed already
    if isinstance(reply, SharedVerdict):
        snap = reply.snapshot
        shown = verdict(snap.code, snap.fault, snap.status, language)
        return _("(shared) {url}: {verdict}").format(url=reply.request.url, verdict=shown)
    if isinstance(reply, REGIONAL_REPLIES):
        return regional_reply_text(reply, style=ink)
    if isinstance(reply, AlertReply):
        return _alert(reply, ink)
    if isinstance(reply, WatchEvent):
        return _watch_event(reply, ink)
    from bot.render.edgeone import reply_text  # EdgeOne's replies (the API stack loads with it)

    return reply_text(reply, style=ink)


def _help(ink: _Ink, language: Language, *, edgeone: bool = False) -> str:
    from bot.render.edgeone import help_rows

    _ = texts(language)
    every = (*HELP_ROWS[:-1], *help_rows(on=edgeone), HELP_ROWS[-1])
    rows = [(_(command), _(what) if what else "") for command, what in every]
    column = max(cells(command) for command, _what in rows) + 3
    lines = [_(_HELP_HEAD)]
    for command, what in rows:
        pad = " " * (column - cells(command)) if what else ""
        lines.append(f"  {ink.mark(_CODE, command)}{pad}{what}")
    return "\n".join(lines)


def _outcome(reply: ProbeOutcome, ink: _Ink) -> str:
    language = reply.language
    _ = texts(language)
    parts: list[str] = []
    if reply.change is not None:
        parts.append(change_text(reply.change, ink, language))
    parts.append(render_probe(reply.report, reply.diagnosis, style=ink, language=language))
    if reply.entry is not None:
        hint = _("Knowledge entry {id}: ask `/eo {code}`.").format(
            id=reply.entry.id, code=reply.entry.code
        )
        parts.append(ink.dim(ink.mrkdwn(hint)))
    if reply.watch is not None:
        info = watch_info_text(reply.watch, language)
        parts.append(ink.mrkdwn(_("{watching} (`unwatch` stops it)").format(watching=info)))
    elif reply.buttons:
        hint = _("`again` probes it again; `compare HOST[:PORT]` adds the origin.")
        parts.append(ink.dim(ink.mrkdwn(hint)))
    return "\n".join(parts)


def change_text(change: Change, st: Style, language: Language = "en") -> str:
    """What differs from the previous probe: the headline in bold, then one line per change."""
    _ = texts(language)
    lines = [st.bold(_("What changed: {change}").format(change=change.headline))]
    lines += [f"  {line}" for line in change.lines]
    return "\n".join(lines)


def _alert(reply: AlertReply, ink: _Ink) -> str:
    language = reply.language
    _ = texts(language)
    alert = reply.alert
    what = " ".join(str(x) for x in (alert.code, alert.name) if x is not None)
    where = alert.url or alert.host
    if where:
        head = _("Alert: EdgeOne {what} on {where}").format(what=what, where=where)
    else:
        head = _("Alert: EdgeOne {what}").format(what=what)
    lines = [ink.bold(head), render_entry(reply.entry, style=ink, language=language)]
    if reply.probing:
        lines.append(ink.dim(_("Probing {url} now …").format(url=alert.url)))
    elif reply.skipped:
        lines.append(ink.dim(_("No probe: {reason}").format(reason=ink.mrkdwn(reply.skipped))))
    return "\n".join(lines)


def _watch_event(event: WatchEvent, ink: _Ink) -> str:
    text = watch_event_text(event)
    lines = [ink.bold(ink.mrkdwn(text.headline))]
    lines += [f"  {ink.mrkdwn(line)}" for line in text.lines]
    return "\n".join(lines)


# ---------------------------------------------------------------- marks


@dataclass(frozen=True, slots=True)
class _Mark:
    kind: str  # a key of _SGR, _KEEP or _END


_Line = list[str | _Mark]  # one line: content (already made visible) and marks, in order


@dataclass(frozen=True, slots=True)
class _Ink(Style):
    """A ``Style`` for the renderers that draws marks instead of escape sequences.

    A mark is ``\\0`` + a random tag + one letter + ``\\0``. Content cannot hold the tag (it is
    drawn after the content arrived), so ``finish`` can split the text at the marks and put
    everything between them through ``visible`` before the marks become styles.
    """

    tag: str = field(default_factory=lambda: secrets.token_hex(8))

    def _sign(self, kind: str) -> str:
        return f"\0{self.tag}{kind}\0"

    def mark(self, kind: str, text: str) -> str:
        return self._sign(kind) + text + self._sign(_END)

    def bold(self, text: str) -> str:
        return self.mark("b", text)

    def dim(self, text: str) -> str:
        return self.mark("d", text)

    def keep(self, line: str) -> str:
        """``line`` is never wrapped (a line of a code block)."""
        return self._sign(_KEEP) + line

    def mrkdwn(self, text: str) -> str:
        return _Mrkdwn(self).convert(text)

    def finish(self, marked: str, width: int | None) -> str:
        signs = re.compile(f"\0{self.tag}([a-z/])\0")
        rows: list[_Row] = []
        for line in _lines(marked, signs):
            rows += _wrap(line, width) if width else [_Row(0, line)]
        return _Painter(self.color).paint(rows)


def _lines(marked: str, signs: re.Pattern[str]) -> list[_Line]:
    lines: list[_Line] = [[]]
    for index, piece in enumerate(signs.split(marked)):
        if index % 2:
            lines[-1].append(_Mark(piece))
            continue
        first, *more = visible(piece).split("\n")
        if first:
            lines[-1].append(first)
        lines += [[text] if text else [] for text in more]
    return lines


# ---------------------------------------------------------------- Slack mrkdwn


_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S")
_BARE_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s<>]+", re.IGNORECASE)
# Slack's emphasis: the mark opens after a non-word character and before a non-space, and closes
# the other way round, on one line; so NODE_FUNCTION_NAME and *.edgeone.app stay as they are.
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=\S)(?P<b>[^*\n]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)(?P<i>[^_\n]+?)(?<=\S)_(?![\w_])"
    r"|(?<![\w~])~(?=\S)(?P<s>[^~\n]+?)(?<=\S)~(?![\w~])"
)
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def _unescape(text: str) -> str:
    """Slack escapes exactly these three; ``&amp;`` last, so ``&amp;lt;`` reads ``&lt;``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Mrkdwn:
    """Slack mrkdwn to marked text: code first (nothing inside it is markup), then ``<…>``
    entities, then emphasis outside URLs."""

    def __init__(self, ink: _Ink) -> None:
        self.ink = ink

    def convert(self, text: str) -> str:
        out = ""
        last = 0
        for fence in _FENCE.finditer(text):
            out += self._inline(text[last : fence.start()])
            if out and not out.endswith("\n"):
                out += "\n"
            out += self._block(fence.group(1))
            last = fence.end()
            if text[last : last + 1] not in ("", "\n"):
                out += "\n"
        return out + self._inline(text[last:])

    def _block(self, code: str) -> str:
        """A code block: on its own lines, indented, never wrapped, without the fences."""
        body = _unescape(code.strip("\n")).split("\n")
        return "\n".join(self.ink.keep("    " + self.ink.mark(_CODE, line)) for line in body)

    def _inline(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for code in _INLINE_CODE.finditer(text):
            out.append(self._entities(text[last : code.start()]))
            shown = _unescape(code.group(1))
            out.append(self.ink.mark(_CODE, shown if self.ink.color else f"`{shown}`"))
            last = code.end()
        out.append(self._entities(text[last:]))
        return "".join(out)

    def _entities(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for angle in _ANGLE.finditer(text):
            shown = _entity(angle.group(1))
            if shown is None:
                continue  # "<url>" in a usage line, "<b>" in a question: text, not markup
            out.append(self._emphasis(text[last : angle.start()]))
            out.append(shown)
            last = angle.end()
        out.append(self._emphasis(text[last:]))
        return "".join(out)

    def _emphasis(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for url in _BARE_URL.finditer(text):  # https://x/a_b_c/ holds no italic
            out.append(self._styles(text[last : url.start()]))
            out.append(_unescape(url.group(0)))
            last = url.end()
        out.append(self._styles(text[last:]))
        return "".join(out)

    def _styles(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in _EMPHASIS.finditer(text):
            kind = next(k for k in ("b", "i", "s") if match.group(k) is not None)
            out.append(_unescape(text[last : match.start()]))
            out.append(self.ink.mark(kind, self._styles(match.group(kind))))
            last = match.end()
        out.append(_unescape(text[last:]))
        return "".join(out)


def _entity(inside: str) -> str | None:
    """What Slack shows for ``<inside>``: a link, a mention, a channel; None when it is text."""
    target, _, label = (_unescape(part) for part in inside.partition("|"))
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        name = target[1:]
        if name in _SPECIAL:
            return _SPECIAL[name]
        if name.startswith(("subteam^", "date^")):
            return label or "@" + name.partition("^")[2]
        return None
    if not _SCHEME.match(target) or any(ch.isspace() for ch in target):
        return None
    shown = target.removeprefix("mailto:")
    if not label or label in (target, shown, target.partition("://")[2]):
        return shown
    return f"{label} ({shown})"


# ---------------------------------------------------------------- wrapping


@dataclass(slots=True)
class _Row:
    indent: int  # spaces before the items: a continuation row's hanging indent
    items: _Line


@dataclass(slots=True)
class _Word:
    items: _Line = field(default_factory=list)
    cells: int = 0
    text: bool = False  # holds content (a word of only marks ends the line)


_BULLET = re.compile(r" *(?:[-*•·]|\d{1,3}[.)]) +(?=\S)")
_FIELD = re.compile(r" *\S.*?  +(?=\S)")  # "Label    value": continue under the value
_TABLE_GAP = re.compile(r"\S {2,}(?=\S)")
_TICKED = re.compile(r"`[^`]*`")


def _wrap(line: _Line, width: int) -> list[_Row]:
    text = "".join(item for item in line if isinstance(item, str))
    if cells(text) <= width or _keep_whole(line, text):
        return [_Row(0, line)]
    hang = _hang(text, width)
    rows: list[_Row] = []
    row, used, gap, words = _Row(0, []), 0, 0, 0
    for token in _tokens(line):
        if isinstance(token, int):
            gap += token
            continue
        # A word that does not fit moves to the next row, unless it would start no further left
        # there: "URL         https://…" keeps the long URL beside its label.
        if words and token.text and used + gap + token.cells > width and used + gap > hang:
            rows.append(row)
            row, used, gap, words = _Row(hang, []), hang, 0, 0
        if gap:
            row.items.append(" " * gap)
            used, gap = used + gap, 0
        row.items += token.items
        used += token.cells
        words += 1
    rows.append(row)
    return rows


def _tokens(line: _Line) -> Iterator[_Word | int]:
    """Words and the spaces between them. A word is content without spaces, or a whole code
    span: a code mark's text, or text between backticks (the renderers quote commands so)."""
    word = _Word()
    styles: list[str] = []
    ticked = False
    last = " "  # the character before the next piece
    for item in line:
        if isinstance(item, _Mark):
            word.items.append(item)  # marks stick to the word they touch
            if item.kind == _END and styles:
                styles.pop()
            elif item.kind in _SGR:
                styles.append(item.kind)
            continue
        for piece in re.split(r"( +|`)", item):
            quoted = _CODE in styles or ticked
            if piece.startswith(" ") and not quoted:
                if word.text:
                    yield word
                    word = _Word()
                yield len(piece)
                last = " "
                continue
            ticked ^= piece == "`"
            if not piece:
                continue
            chunks = [piece] if quoted or piece == "`" else _breaks(piece, last)
            for index, chunk in enumerate(chunks):
                if index:  # Chinese text may break here without a space
                    if word.text:
                        yield word
                        word = _Word()
                    yield 0
                if chunk:
                    word.items.append(chunk)
                    word.cells += cells(chunk)
                    word.text = True
            last = piece[-1]
    if word.items:
        yield word


_WIDE = re.compile(r"[\u2e80-\u303f\u3040-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
# Chinese line breaking: never before closing punctuation, never after opening punctuation.
_NO_BREAK_BEFORE = frozenset("，。、；：！？）」』”’》〉】…—·％,.;:!?)]}%")
_NO_BREAK_AFTER = frozenset("（「『“‘《〈【([{")


def _breaks(text: str, before: str) -> list[str]:
    """``text`` cut where a line may break between Chinese characters (or a Chinese character
    and a Latin word); the first chunk is empty when the line may break right before ``text``."""
    chunks = [""]
    previous = before
    for char in text:
        wide = _WIDE.match(char) is not None or _WIDE.match(previous) is not None
        if (
            wide
            and previous != " "
            and char not in _NO_BREAK_BEFORE
            and previous not in _NO_BREAK_AFTER
        ):
            chunks.append("")
        chunks[-1] += char
        previous = char
    return chunks


def _keep_whole(line: _Line, text: str) -> bool:
    """Lines that wrapping would damage: code, shell commands, tables and drawings."""
    if any(isinstance(item, _Mark) and item.kind == _KEEP for item in line):
        return True
    body = _TICKED.sub("`…`", text.lstrip(" "))  # a pipe in a quoted command is no table
    return body.startswith("$ ") or "|" in body or len(_TABLE_GAP.findall(body)) >= 2


def _hang(text: str, width: int) -> int:
    """Where continuation rows start: under a bullet's text, a field's value, or the indent."""
    for pattern in (_BULLET, _FIELD):
        match = pattern.match(text)
        if match and cells(match.group(0)) <= width - _MIN_TEXT:
            return cells(match.group(0))
    indent = len(text) - len(text.lstrip(" "))
    return indent if indent <= width - _MIN_TEXT else 0


# ---------------------------------------------------------------- painting


class _Painter:
    """Rows to text: marks become ANSI styles (or nothing without colour). Styles still open at
    the end of a row are closed there and opened again after the next row's indentation."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.open: list[str] = []

    def paint(self, rows: list[_Row]) -> str:
        return "\n".join(self._row(row) for row in rows)

    def _row(self, row: _Row) -> str:
        out = [" " * row.indent, self._sgr(self.open)]
        for item in row.items:
            if isinstance(item, str):
                out.append(item)
            elif item.kind == _END:
                if self.open:
                    self.open.pop()
                    out.append(self._sgr(["0", *self.open]))
            elif item.kind in _SGR:
                self.open.append(_SGR[item.kind])
                out.append(self._sgr([_SGR[item.kind]]))
        if self.open:
            out.append(self._sgr(["0"]))
        return "".join(out)

    def _sgr(self, params: list[str]) -> str:
        return f"\033[{';'.join(params)}m" if self.color and params else ""
