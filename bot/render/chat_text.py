"""The conversation's replies as terminal text, for the local console.

Same replies as Slack gets (``bot.render.blocks.render``), rendered with the CLI's text renderers;
Slack's mrkdwn in notices is reduced to plain text and user ids to ``@name``. Buttons become hints
naming the console command that does the same thing.
"""

from __future__ import annotations

import re

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
from bot.render.probe_text import render_probe
from bot.render.text import Style, render_answer, render_entry

CONSOLE_HELP = """\
Type what you would type in Slack, one message per line:
  /eo 524                                   ask about a code, an error name or a symptom
  /eo probe https://shop.example.com/cart   probe a URL (add origin=IP[:PORT] to compare)
  @eo https://shop.example.com/ gives 522   the same as a mention in a thread
  watch https://shop.example.com/ for 10m   re-probe until it recovers (unwatch stops it)
  again                                     the "Probe again" button: probe the last URL again
  compare HOST[:PORT]                       the "Compare with origin" button
  help, quit"""

_USER = re.compile(r"<@([A-Za-z0-9]+)>")


def render_reply(reply: Reply, *, style: Style | None = None) -> str | None:
    """The text to print for ``reply``; None for what a terminal does not need (progress)."""
    st = style or Style()
    if isinstance(reply, AnswerReply):
        return render_answer(reply.answer, style=st)
    if isinstance(reply, EntryReply):
        return render_entry(reply.entry, style=st)
    if isinstance(reply, HelpReply):
        return CONSOLE_HELP
    if isinstance(reply, Notice):
        return plain(f"{reply.emoji} {reply.text}".strip())
    if isinstance(reply, Progress):
        return None if reply.done else st.dim(f"Probing {reply.url} …")
    if isinstance(reply, ProbeOutcome):
        if reply.watch is not None and not reply.watch.active:
            return None  # Slack takes the Cancel button off; the watch's news said it ended
        return _outcome(reply, st)
    if isinstance(reply, ProbeSummary):
        return None  # the full diagnosis was printed already
    if isinstance(reply, SharedVerdict):
        snap = reply.snapshot
        return f"(shared) {reply.request.url}: {verdict(snap.code, snap.fault, snap.status)}"
    if isinstance(reply, AlertReply):
        return _alert(reply, st)
    return _watch_event(reply, st)


def _outcome(reply: ProbeOutcome, st: Style) -> str:
    parts: list[str] = []
    if reply.change is not None:
        parts.append(change_text(reply.change, st))
    parts.append(render_probe(reply.report, reply.diagnosis, style=st))
    if reply.entry is not None:
        parts.append(st.dim(f"Knowledge entry {reply.entry.id}: ask `/eo {reply.entry.code}`."))
    if reply.watch is not None:
        parts.append(plain(watch_info_text(reply.watch)) + " (`unwatch` stops it)")
    elif reply.buttons:
        parts.append(st.dim("`again` probes it again; `compare HOST[:PORT]` adds the origin."))
    return "\n".join(parts)


def change_text(change: Change, st: Style) -> str:
    lines = [st.bold(f"What changed: {change.headline}")]
    lines += [f"  {line}" for line in change.lines]
    return "\n".join(lines)


def _alert(reply: AlertReply, st: Style) -> str:
    alert = reply.alert
    what = " ".join(str(x) for x in (alert.code, alert.name) if x is not None)
    where = alert.url or alert.host
    head = st.bold(f"Alert: EdgeOne {what}" + (f" on {where}" if where else ""))
    lines = [head, render_entry(reply.entry, style=st)]
    if reply.probing:
        lines.append(st.dim(f"Probing {alert.url} now …"))
    elif reply.skipped:
        lines.append(st.dim(f"No probe: {plain(reply.skipped)}"))
    return "\n".join(lines)


def _watch_event(event: WatchEvent, st: Style) -> str:
    text = watch_event_text(event)
    return "\n".join([st.bold(plain(text.headline)), *(f"  {line}" for line in text.lines)])


def plain(text: str) -> str:
    """Slack mrkdwn → terminal text: ``<@U1>`` → ``@U1``, emphasis marks dropped."""
    text = _USER.sub(lambda m: "@" + m.group(1), text)
    return text.replace("*", "")
