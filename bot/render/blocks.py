"""Block Kit rendering: typed results → (blocks, plain-text fallback).

Pure functions over the core's results (``Answer``, ``ProbeReport`` + ``Diagnosis``); built with
``slack_sdk.models.blocks`` and always kept inside Slack's limits: at most 50 blocks, 3,000
characters per section, 150 per header, about 12,000 characters of blocks in all. Anything longer
is cut with a visible "… (cut)" marker rather than refused by Slack.

Markup is decided where text is put together, because only there is it known who wrote each part.
Text from the network (a probe report, a diagnosis quoting it) goes through ``net``: hidden and
reordering characters made visible, then escaped, so a ``<@U…>`` or ``<!channel>`` a server sent
can never become a mention, in the blocks or in the notification fallback. A mention the bot
means (who asked, who cancelled) is added by the builder itself after that.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.chat import buttons
from bot.chat.edgeone_replies import EdgeOneAddendum
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
    WatchInfo,
)
from bot.chat.snapshot import Change
from bot.chat.words import SIDE, verdict, watch_event_text, watch_info_text
from bot.diagnosis import Diagnosis
from bot.knowledge.matcher import Answer, Match
from bot.knowledge.models import Entry, Responder
from bot.probe.models import ProbeReport, ProbeResult
from bot.render.text import placeholder_note, render_answer
from bot.untrusted import visible

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_TOTAL_CHARS = 12000  # Slack refuses much larger block payloads (msg_blocks_too_long)
MAX_FALLBACK = 3000
CUT = "… (cut)"

# action_id values the Slack layer listens for.
SHARE = "eo_share"
PICK = "eo_pick"  # followed by ":<index>" (action ids must be unique within a message)
PROBE_AGAIN = "eo_probe_again"
COMPARE = "eo_compare"  # opens the "Compare with origin" modal
SHARE_PROBE = "eo_share_probe"  # a diagnosis's verdict, posted for the whole channel
WATCH_CANCEL = "eo_watch_cancel"
COMPARE_MODAL = "eo_compare_modal"  # callback_id of the modal
PURGE_CONFIRM = "eo_purge_confirm"  # both carry the purge's plan (bot.edgeone.purge.PurgePlan)
PURGE_CANCEL = "eo_purge_cancel"
ORIGIN_BLOCK = "origin"
ORIGIN_INPUT = "origin_input"

_RESPONDER = {
    Responder.EDGE: "the EdgeOne node (or platform) answers with this itself",
    Responder.ORIGIN: "the origin sends this; EdgeOne passes it through",
    Responder.EITHER: "either EdgeOne or the origin; test the origin directly to tell",
    Responder.NONE: "nobody: it only appears in logs and analytics",
}
_PHASES = ("dns", "connect", "tls", "http", "origin")
_PHASE_NAMES = {
    "dns": "DNS",
    "connect": "connect",
    "tls": "TLS",
    "http": "HTTP",
    "origin": "origin",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message: Block Kit blocks (within limits) and the plain-text fallback."""

    blocks: tuple[Block, ...]
    text: str

    def block_dicts(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]


# -- knowledge answers ---------------------------------------------------------------------------


def answer_message(answer: Answer, *, share: bool = False, full: int = 1) -> Message:
    """The answer to a question; ``share`` adds a button that posts it in the channel."""
    fallback = render_answer(answer, full=full)
    if answer.problem:
        return notice(answer.problem)
    blocks: list[Block] = []
    if answer.notes:
        blocks.append(context(*(f"_{esc(n)}_" for n in answer.notes)))
    if answer.family and answer.matches:
        blocks.append(header(f"EdgeOne codes in the {answer.family} family"))
        blocks.append(section("\n".join(f"• {_one_line(m)}" for m in answer.matches)))
        blocks.append(
            context(f"Ask about one code for the details, e.g. `{answer.matches[0].entry.code}`.")
        )
    elif not answer.matches:
        blocks.append(section(f"No confident match for “{esc(short(answer.query, 200))}”."))
        if answer.suggestions:
            blocks.append(section("*Did you mean…*"))
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text=_plain(short(_button_label(m), 75)),
                            action_id=f"{PICK}:{i}",
                            value=m.entry.id,
                        )
                        for i, m in enumerate(answer.suggestions[:5])
                    ]
                )
            )
            blocks.append(section("\n".join(f"• {_one_line(m)}" for m in answer.suggestions[:5])))
        else:
            blocks.append(
                section(
                    "Try a status code (`524`), an error name "
                    "(`NODE_FUNCTION_INVOCATION_TIMEOUT`) or a short description "
                    "(`origin took too long`)."
                )
            )
        share = False
    else:
        for i, match in enumerate(answer.matches[:full]):
            if i:
                blocks.append(DividerBlock())
            blocks += entry_blocks(match.entry)
        rest = answer.matches[full:]
        if rest:
            blocks.append(
                section("*Other possible matches*\n" + "\n".join(f"• {_one_line(m)}" for m in rest))
            )
    if share:
        blocks.append(share_actions(f"q:{answer.query}"))
    return _message(blocks, fallback)


def entry_message(entry: Entry, *, share: bool = False) -> Message:
    """One knowledge entry in full (after a did-you-mean pick)."""
    blocks = entry_blocks(entry)
    if share:
        blocks.append(share_actions(f"id:{entry.id}"))
    return _message(blocks, _entry_fallback(entry))


def share_actions(value: str) -> ActionsBlock:
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=_plain("Share in channel"),
                action_id=SHARE,
                value=value[:MAX_BUTTON_VALUE],
            )
        ]
    )


def entry_blocks(entry: Entry, *, compact: bool = False) -> list[Block]:
    codes = " / ".join(str(c) for c in entry.codes)
    tags = " · ".join(x for x in (entry.product.value, codes, ", ".join(entry.names)) if x)
    blocks: list[Block] = [
        header(entry.title),
        context(esc(tags)),
        section(f"{esc(entry.summary)}\n_Who answers: {_RESPONDER[entry.answered_by]}._"),
    ]
    if compact:
        blocks.append(section(_bullets("*Fix*", entry.fixes)))
        blocks.append(context(f"Knowledge entry `{entry.id}`; ask `/eo {entry.code}` for more."))
        return blocks
    causes = [
        f"({SIDE.get(g.side.value, g.side.value)}) {item}" for g in entry.causes for item in g.items
    ]
    blocks.append(section(_bullets("*Likely causes*", causes)))
    checks: list[str] = []
    for check in entry.checks:
        line = f"• {esc(check.what)}"
        if check.command:
            line += f"\n```{esc(check.command)}```"
        checks.append(line)
    note = placeholder_note(entry)
    blocks.append(section("*Check*\n" + "\n".join(checks) + (f"\n_{esc(note)}_" if note else "")))
    blocks.append(section(_bullets("*Fix*", entry.fixes)))
    blocks.append(section(_bullets("*For support, collect*", entry.support)))
    sources = " ".join(f"<{u}|{esc(short(u.removeprefix('https://'), 60))}>" for u in entry.source)
    blocks.append(context(f"Source: {sources}"))
    return blocks


# -- help and notices ----------------------------------------------------------------------------

HELP_TEXT = (
    "*Ask about a code, an error name or a symptom*\n"
    "`/eo 524`  ·  `/eo NODE_FUNCTION_INVOCATION_TIMEOUT`  ·  `/eo origin took too long`\n\n"
    "*Probe a failing URL* (DNS, TCP, TLS, HTTP; the diagnosis goes in a thread)\n"
    "`/eo probe https://shop.example.com/cart`\n"
    "`/eo probe https://shop.example.com/ origin=203.0.113.9:8080`"
    "  (also hit the origin directly)\n"
    "Each diagnosis has buttons: *Probe again* (says what changed), *Compare with origin*, "
    "*Share in channel*.\n\n"
    "*Watch until it recovers*\n"
    "`@eo watch https://shop.example.com/cart for 30m` in a thread: I re-probe, post when the "
    "result changes and when it recovers, then stop. `unwatch` (or the Cancel button) stops it.\n\n"
    "*In a channel or thread*, mention me: `@eo https://shop.example.com/cart gives 522` or "
    "`@eo what does 524 mean?`; I answer in the thread. *In a DM*, just type the same."
)


def help_message(*, edgeone: bool = False) -> Message:
    """The help; ``edgeone``: API credentials are set (else it says what they would add)."""
    from bot.render.edgeone import help_mrkdwn  # it builds on this module

    text = HELP_TEXT + "\n\n" + help_mrkdwn(on=edgeone)
    blocks: list[Block] = [header("eo-bot: EdgeOne troubleshooting"), section(text)]
    return _message(blocks, _unmark(text))


def notice(text: str, *, emoji: str = "") -> Message:
    """A one-section message (refusals, rate limits, errors). ``text`` may use `code`, *bold*
    and user mentions; anything else that looks like markup (it may quote the user or a URL) is
    escaped."""
    shown = escape_keeping_mentions(f"{emoji} {text}".strip())
    return _message([section(shown)], _unmark(shown))


# -- probes --------------------------------------------------------------------------------------


def progress_message(url: str, done: Sequence[str], *, user: str | None = None) -> Message:
    """The message shown while a probe runs; ``done`` lists the phases completed so far."""
    marks = []
    for phase in _PHASES[:4]:
        marks.append(f"{'✅' if phase in done else '⏳'} {_PHASE_NAMES[phase]}")
    who = f" for <@{user}>" if user else ""
    head = f"🔎 Probing {esc(url)}{who}…"
    return _message([section(head), context("  ".join(marks))], f"Probing {url}…")


def probe_summary_message(url: str, diagnosis: Diagnosis, *, user: str | None = None) -> Message:
    """The one-line channel message of a `/eo probe`; the diagnosis goes in its thread."""
    who = f" (asked by <@{user}>)" if user else ""
    line = f"🔎 Probe of {esc(url)}{who}: {_verdict(diagnosis)}. Diagnosis in the thread."
    return _message([section(line)], _unmark(line))


def diagnosis_message(
    report: ProbeReport,
    diagnosis: Diagnosis,
    *,
    entry: Entry | None = None,
    value: str | None = None,
    change: Change | None = None,
    watch: WatchInfo | None = None,
    edgeone: EdgeOneAddendum | None = None,
) -> Message:
    """The full diagnosis: verdict, what changed, phase timings, TLS, EdgeOne headers, next
    steps, support, EdgeOne's view once it is in; with the buttons when ``value`` (see
    ``bot.chat.buttons``) is given.

    Everything from the report and the diagnosis quotes the network, so it all goes through
    ``net``; the message mentions nobody.
    """
    edge = report.edge
    blocks: list[Block] = [header(f"Probe of {visible(edge.host, keep_newlines=False)}")]
    if change is not None:
        blocks.append(section(_change_text(change)))
    blocks += [
        section(f"*{esc(_verdict(diagnosis))}*\n{net(diagnosis.summary)}"),
        section("*Public URL* " + net(edge.url) + "\n" + _phases_text(edge)),
    ]
    extra = _details(edge)
    if extra:
        blocks.append(section(extra))
    if report.origin is not None:
        origin = report.origin
        blocks.append(
            section(f"*Origin* ({net(origin.target)})\n{_phases_text(origin)}\n{_details(origin)}")
        )
    if diagnosis.evidence:
        blocks.append(section(_net_bullets("*Evidence*", diagnosis.evidence)))
    if diagnosis.next_steps:
        blocks.append(section(_net_bullets("*Next steps*", diagnosis.next_steps)))
    blocks.append(section("*For support*\n```" + net(_support_text(diagnosis)) + "```"))
    if edgeone is not None:
        from bot.render.edgeone import addendum_blocks  # it builds on this module

        blocks += addendum_blocks(edgeone, diagnosis)
    if entry is not None:
        blocks.append(DividerBlock())
        if diagnosis.reproduced is False:
            # A code the probe did not see: point at its entry, without its outage fixes.
            code = diagnosis.stated_code
            blocks.append(
                context(
                    f"About {code}: {esc(entry.title)}. Knowledge entry `{entry.id}`; ask"
                    f" `/eo {code}` if it comes back."
                )
            )
        else:
            blocks += entry_blocks(entry, compact=True)
    if watch is not None:
        blocks.append(context(esc(watch_info_text(watch))))
    actions = _diagnosis_buttons(value, watch)
    if actions is not None:
        blocks.append(actions)
    fallback = "\n".join(
        [
            *([f"What changed: {esc(change.headline)}"] if change is not None else []),
            f"Probe of {net(edge.url)}: {esc(_verdict(diagnosis))}",
            net(diagnosis.summary),
            *(f"- {net(s)}" for s in diagnosis.next_steps),
            net(_support_text(diagnosis)),
        ]
    )
    return _message_escaped(blocks, fallback)


def _verdict(diagnosis: Diagnosis) -> str:
    return verdict(diagnosis.code, diagnosis.fault, diagnosis.support.status_code)


def _change_text(change: Change) -> str:
    head = "✅ " if change.recovered else "🔺 " if change.broke else ""
    lines = [f"*What changed:* {head}{esc(change.headline)}"]
    lines += [f"• {esc(line)}" for line in change.lines]
    return "\n".join(lines)


def _diagnosis_buttons(value: str | None, watch: WatchInfo | None) -> ActionsBlock | None:
    elements: list[ButtonElement] = []
    if watch is not None and watch.active:
        elements.append(
            ButtonElement(
                text=_plain("Cancel watch"),
                action_id=WATCH_CANCEL,
                value=watch.watch_id,
                style="danger",
            )
        )
    if value is not None and (watch is None or not watch.active):
        elements += [
            ButtonElement(text=_plain("Probe again"), action_id=PROBE_AGAIN, value=value),
            ButtonElement(text=_plain("Compare with origin"), action_id=COMPARE, value=value),
            ButtonElement(text=_plain("Share in channel"), action_id=SHARE_PROBE, value=value),
        ]
    return ActionsBlock(elements=elements) if elements else None


def purge_buttons(value: str) -> ActionsBlock:
    """Purge / Cancel under a purge's question; both carry its plan (``PurgePlan.value``)."""
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=_plain("Purge"), action_id=PURGE_CONFIRM, value=value, style="danger"
            ),
            ButtonElement(text=_plain("Cancel"), action_id=PURGE_CANCEL, value=value),
        ]
    )


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def _phases_text(result: ProbeResult) -> str:
    t = result.timings
    line = (
        f"DNS {_ms(t.dns_ms)} · connect {_ms(t.connect_ms)} · TLS {_ms(t.tls_ms)} · "
        f"server {_ms(t.server_ms)} · transfer {_ms(t.transfer_ms)} · total {_ms(t.total_ms)}"
    )
    status = []
    for name, phase_status, error in (
        ("DNS", result.dns.status, result.dns.error),
        ("connect", result.connect.status, result.connect.error),
        ("TLS", result.tls.status, result.tls.error),
        ("HTTP", result.http.status, result.http.error),
    ):
        if phase_status not in ("ok", "skipped"):
            status.append(f"{name}: {phase_status}" + (f" ({error})" if error else ""))
    if result.http.status_code is not None:
        status.insert(0, f"HTTP {result.http.status_code}")
    if result.deadline_hit:
        status.append("deadline reached")
    return f"`{line}`" + ("\n" + net("; ".join(status)) if status else "")


def _details(result: ProbeResult) -> str:
    lines: list[str] = []
    if result.connect.ip:
        lines.append(f"*Address* {result.connect.ip}:{result.connect.port or result.port}")
    dns = result.dns
    if dns.cname_chain:
        chain = " → ".join(dns.cname_chain)
        on = " (on EdgeOne)" if dns.on_edgeone else ""
        lines.append(f"*CNAME* {net(short(chain, 600))}{on}")
    tls = result.tls
    if tls.status != "skipped":
        parts = [
            p for p in (tls.version, tls.cipher, f"ALPN {tls.alpn}" if tls.alpn else None) if p
        ]
        if tls.cert is not None:
            parts.append(
                f"cert {tls.cert.subject}, issuer {tls.cert.issuer}, {tls.cert.days_left} days left"
            )
        if tls.verify_error:
            parts.append(f"verify error: {tls.verify_error}")
        lines.append("*TLS* " + net(short(", ".join(parts) if parts else tls.status, 600)))
    if result.http.headers:
        headers = ", ".join(f"{k}: {v}" for k, v in sorted(result.http.headers.items()))
        lines.append("*Headers* " + net(short(headers, 600)))
    if result.http.error_name:
        lines.append(f"*Error name* `{net(result.http.error_name)}`")
    return "\n".join(lines)


def _support_text(diagnosis: Diagnosis) -> str:
    s = diagnosis.support
    # "Edge IP" only for an address that answered as EdgeOne; any other is just the address.
    where = f"Edge IP:     {s.edge_ip}" if s.edge_ip else f"Address:     {s.address or '(none)'}"
    return "\n".join(
        [
            f"EO-LOG-UUID: {s.eo_log_uuid or '(none returned)'}",
            where,
            f"Time (UTC):  {s.time_utc}",
            f"URL:         {s.url}",
            f"Status:      {s.status_code if s.status_code is not None else '(no response)'}",
        ]
    )


# -- replies of the conversation core -----------------------------------------------------------


def render(reply: Reply) -> Message:
    """Any reply of ``bot.chat`` as a Slack message."""
    if isinstance(reply, AnswerReply):
        return answer_message(reply.answer, share=reply.share)
    if isinstance(reply, EntryReply):
        return entry_message(reply.entry, share=reply.share)
    if isinstance(reply, HelpReply):
        return help_message(edgeone=reply.edgeone)
    if isinstance(reply, Notice):
        return notice(reply.text, emoji=reply.emoji)
    if isinstance(reply, Progress):
        return progress_message(reply.url, reply.done, user=reply.user)
    if isinstance(reply, ProbeOutcome):
        value = buttons.encode(reply.request, reply.snapshot) if reply.buttons else None
        return diagnosis_message(
            reply.report,
            reply.diagnosis,
            entry=reply.entry,
            value=value,
            change=reply.change,
            watch=reply.watch,
            edgeone=reply.edgeone,
        )
    if isinstance(reply, ProbeSummary):
        return probe_summary_message(reply.url, reply.diagnosis, user=reply.user)
    if isinstance(reply, SharedVerdict):
        return shared_verdict_message(reply)
    if isinstance(reply, AlertReply):
        return alert_message(reply)
    if isinstance(reply, WatchEvent):
        return watch_event_message(reply)
    from bot.render.edgeone import reply_message  # EdgeOne's replies; it builds on this module

    return reply_message(reply)


def shared_verdict_message(reply: SharedVerdict) -> Message:
    snap = reply.snapshot
    status = f"HTTP {snap.status}" if snap.status is not None else "no response"
    when = snap.at.strftime("%Y-%m-%d %H:%M UTC")
    shown = verdict(snap.code, snap.fault, snap.status)
    line = (
        f"📣 <@{reply.user}> shared a probe of {esc(reply.request.url)}: "
        f"*{esc(shown)}* ({status}, {when}). Details in the thread."
    )
    return _message([section(line)], _unmark(line))


def alert_message(reply: AlertReply) -> Message:
    alert = reply.alert
    what = " ".join(str(x) for x in (alert.code, alert.name) if x is not None)
    where = alert.url or alert.host or ""
    head = f"🚨 EdgeOne {what}" + (f" on {where}" if where else "")
    blocks: list[Block] = [section(f"*{esc(head)}*")]
    blocks += entry_blocks(reply.entry, compact=True)
    if reply.probing:
        blocks.append(context(f"Probing {esc(alert.url or '')} now; the diagnosis follows here."))
    elif reply.skipped:
        blocks.append(context(f"_No probe: {esc(_unmark(reply.skipped))}_"))
    elif alert.host and not alert.url:
        blocks.append(
            context(f"To probe it, mention me here: `@eo probe https://{esc(alert.host)}/`")
        )
    fallback = f"{head}: {reply.entry.title}. {reply.entry.summary}"
    return _message(blocks, fallback)


def watch_event_message(event: WatchEvent) -> Message:
    text = watch_event_text(event)
    headline = esc(text.headline)
    if event.by and _USER_ID.fullmatch(event.by):
        # The one piece of markup in the words: who cancelled, as a real mention. It comes after
        # the URL in the sentence, so only the last occurrence is made live (a URL may hold the
        # same characters).
        before, found, after = headline.rpartition(esc(f"<@{event.by}>"))
        if found:
            headline = f"{before}<@{event.by}>{after}"
    lines = [f"*{headline}*", *(f"• {esc(line)}" for line in text.lines)]
    return _message([section("\n".join(lines))], "\n".join([text.headline, *text.lines]))


_USER_ID = re.compile(r"[UW][A-Z0-9]{1,30}")


def compare_modal(value: str, *, channel: str, thread: str | None) -> dict[str, Any]:
    """The "Compare with origin" modal; private_metadata carries where to answer and what."""
    url = "?"
    with contextlib.suppress(ValueError):
        url = buttons.decode(value)[0].url
    metadata = json.dumps({"ch": channel, "th": thread, "v": value}, separators=(",", ":"))
    view = View(
        type="modal",
        callback_id=COMPARE_MODAL,
        title=_plain("Compare with origin"),
        submit=_plain("Probe"),
        close=_plain("Cancel"),
        private_metadata=metadata,
        blocks=[
            section(
                f"I'll probe {esc(short(url, 300))} through EdgeOne and the origin directly "
                "(with the public Host header and SNI), then post both in the thread."
            ),
            InputBlock(
                block_id=ORIGIN_BLOCK,
                label=_plain("Origin address"),
                element=PlainTextInputElement(
                    action_id=ORIGIN_INPUT,
                    placeholder=_plain("203.0.113.10 or origin.example.com:8443"),
                    max_length=MAX_ORIGIN_INPUT,
                ),
                hint=_plain("An IP or host name, with an optional port."),
            ),
        ],
    )
    return view.to_dict()


MAX_ORIGIN_INPUT = 255
MAX_METADATA = 3000  # Slack's limit for a view's private_metadata


# -- limits --------------------------------------------------------------------------------------


def _message(blocks: list[Block], fallback: str) -> Message:
    """For text the bot composed (notices, answers): markup escaped, user mentions kept."""
    return Message(blocks=tuple(fit(blocks)), text=cut(safe_fallback(fallback), MAX_FALLBACK))


def _message_escaped(blocks: list[Block], fallback: str) -> Message:
    """For a fallback whose parts the builder escaped itself (it quotes the network)."""
    return Message(blocks=tuple(fit(blocks)), text=cut(fallback, MAX_FALLBACK))


_ESCAPED_USER = re.compile(r"&lt;@([UW][A-Z0-9]{1,30})&gt;")


def escape_keeping_mentions(text: str) -> str:
    """Escape Slack's control characters, keeping single-user mentions live.

    A URL or question holding ``<!channel>`` must never ping everyone; naming one user (the bot
    says who asked) stays a mention: a person could type such a mention themselves anyway. Only
    for text people and the bot wrote: text from the network goes through ``net`` instead, since
    once it is mixed in nothing can tell its ``<@U…>`` from the bot's.
    """
    return _ESCAPED_USER.sub(r"<@\1>", esc(text))


def safe_fallback(text: str) -> str:
    """The plain-text fallback, escaped: Slack reads ``text`` as markup for notifications too."""
    return escape_keeping_mentions(text)


def fit(blocks: Sequence[Block]) -> list[Block]:
    """Keep at most MAX_BLOCKS blocks and MAX_TOTAL_CHARS of payload; say what was cut."""
    out: list[Block] = []
    total = 0
    for i, block in enumerate(blocks):
        size = len(json.dumps(block.to_dict(), ensure_ascii=False))
        room_for_marker = 1 if i < len(blocks) - 1 else 0
        if len(out) + 1 + room_for_marker > MAX_BLOCKS or total + size > MAX_TOTAL_CHARS - 200:
            left = len(blocks) - i
            out.append(context(f"{CUT}: {left} more part{'s' if left != 1 else ''} not shown"))
            return out
        out.append(block)
        total += size
    return out


def cut(text: str, limit: int) -> str:
    """Cut text to ``limit`` characters with a visible marker, closing an open code block."""
    if len(text) <= limit:
        return text
    marker = "\n" + CUT
    kept = text[: limit - len(marker) - 3]
    if kept.count("```") % 2:
        kept += "```"
    return kept + marker


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cut(text or " ", MAX_SECTION)))


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_plain(short(text, MAX_HEADER)))


def context(*texts: str) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(text=cut(t, MAX_SECTION)) for t in texts[:MAX_CONTEXT_ELEMENTS]
        ]
    )


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _bullets(title: str, items: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {esc(i)}" for i in items)


def _net_bullets(title: str, items: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {net(i)}" for i in items)


def _one_line(match: Match) -> str:
    entry = match.entry
    name = f" `{entry.name}`" if entry.name else ""
    return f"*{entry.code}*{name} {esc(entry.title)} _({entry.product.value})_"


def _button_label(match: Match) -> str:
    return f"{match.entry.code} {match.entry.title}"


def _entry_fallback(entry: Entry) -> str:
    return f"{entry.code} {entry.title}: {entry.summary}"


def esc(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def net(text: str) -> str:
    """Text that came from the network, for mrkdwn: hidden characters shown, then escaped.

    Newlines stay (a summary may have several lines); every other control character, bidi
    override and zero-width character reads as ``<U+XXXX>``.
    """
    return esc(visible(text))


def _unmark(text: str) -> str:
    return (
        text.replace("*", "")
        .replace("`", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
