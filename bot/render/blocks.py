"""Block Kit rendering: typed results → (blocks, plain-text fallback), in the reply's language.

Pure functions over the core's results (``Answer``, ``ProbeReport`` + ``Diagnosis``); built with
``slack_sdk.models.blocks`` and always kept inside Slack's limits: at most 50 blocks, 3,000
characters per section, 150 per header, 75 per button label, about 12,000 characters of blocks in
all. Slack counts characters, not bytes, and so does everything here (a Chinese character is
one). Anything longer is cut with a visible marker ("… (cut)", "…（已截断）") rather than refused.

Every builder takes the language to speak (``language``); ``render`` reads it off the reply. The
words come from the message catalogue (``bot.i18n``); a knowledge entry shows its Chinese text
(``bot.knowledge.localized``); commands, codes, header names and URLs are the same in both.

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
from dataclasses import dataclass, field
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
    WatchInfo,
)
from bot.chat.snapshot import Change
from bot.chat.words import phase, side, verdict, watch_event_text, watch_info_text
from bot.diagnosis import Diagnosis
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language, detect, language_of
from bot.knowledge.localized import localize
from bot.knowledge.matcher import MAX_QUERY_CHARS, Answer, Match
from bot.knowledge.models import Entry
from bot.knowledge.notes import answer_notes, answer_problem
from bot.probe.models import ProbeReport, ProbeResult
from bot.render.probe_words import status_word, verify_word
from bot.render.text import (
    RESPONDER,
    UNTRANSLATED,
    cells,
    pad,
    placeholder_note,
    render_answer,
)
from bot.untrusted import visible

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_TOTAL_CHARS = 12000  # Slack refuses much larger block payloads (msg_blocks_too_long)
MAX_FALLBACK = 3000
CUT = "… (cut)"  # the English marker; ``cut_marker`` gives it in any language
_CUT = N_("… (cut)")

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

_PHASES = ("dns", "connect", "tls", "http", "origin")


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message: Block Kit blocks (within limits) and the plain-text fallback."""

    blocks: tuple[Block, ...]
    text: str
    # The blocks as JSON-ready dicts, made once: slack_sdk's to_dict validates every element
    # each time, and an answer acknowledged in the HTTP response is measured, then sent.
    _dicts: tuple[dict[str, Any], ...] | None = field(default=None, compare=False, repr=False)

    def block_dicts(self) -> list[dict[str, Any]]:
        if self._dicts is None:
            object.__setattr__(self, "_dicts", tuple(b.to_dict() for b in self.blocks))
        assert self._dicts is not None
        return list(self._dicts)


# -- knowledge answers ---------------------------------------------------------------------------


def answer_message(
    answer: Answer, *, share: bool = False, full: int = 1, language: Language | None = None
) -> Message:
    """The answer to a question; ``share`` adds a button that posts it in the channel.

    ``language`` is the reply's; without one, the answer speaks the question's language (a
    shared answer read back from its button has nothing else to go by).
    """
    lang = detect(answer.query) if language is None else language
    _ = texts(lang)
    fallback = render_answer(answer, full=full, language=lang)
    problem = answer_problem(answer, lang)
    if problem:
        return notice(problem, language=lang)
    blocks: list[Block] = []
    notes = answer_notes(answer, lang, limit=MAX_QUERY_CHARS)
    if notes:
        blocks.append(context(*(f"_{esc(n)}_" for n in notes), language=lang))
    if answer.family and answer.matches:
        blocks.append(
            header(_("EdgeOne codes in the {family} family").format(family=answer.family))
        )
        lines = "\n".join(f"• {_one_line(m, lang)}" for m in answer.matches)
        blocks.append(section(lines, language=lang))
        example = _("Ask about one code for the details, e.g. `{code}`.").format(
            code=answer.matches[0].entry.code
        )
        blocks.append(context(example, language=lang))
    elif not answer.matches:
        query = esc(short(answer.query, 200))
        blocks.append(
            section(_("No confident match for “{query}”.").format(query=query), language=lang)
        )
        if answer.suggestions:
            blocks.append(section(_("*Did you mean…*"), language=lang))
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text=_plain(short(_button_label(m, lang), MAX_BUTTON_TEXT)),
                            action_id=f"{PICK}:{i}",
                            value=entry_value(m.entry.id, lang),
                        )
                        for i, m in enumerate(answer.suggestions[:5])
                    ]
                )
            )
            lines = "\n".join(f"• {_one_line(m, lang)}" for m in answer.suggestions[:5])
            blocks.append(section(lines, language=lang))
        else:
            blocks.append(
                section(
                    _(
                        "Try a status code (`524`), an error name "
                        "(`NODE_FUNCTION_INVOCATION_TIMEOUT`) or a short description "
                        "(`origin took too long`)."
                    ),
                    language=lang,
                )
            )
        share = False
    else:
        for i, match in enumerate(answer.matches[:full]):
            if i:
                blocks.append(DividerBlock())
            blocks += entry_blocks(match.entry, language=lang)
        rest = answer.matches[full:]
        if rest:
            lines = "\n".join(f"• {_one_line(m, lang)}" for m in rest)
            blocks.append(section(_("*Other possible matches*") + "\n" + lines, language=lang))
    if share:
        blocks.append(share_actions(f"q:{answer.query}", language=lang))
    return _message(blocks, fallback, lang)


def entry_message(entry: Entry, *, share: bool = False, language: Language = "en") -> Message:
    """One knowledge entry in full (after a did-you-mean pick)."""
    blocks = entry_blocks(entry, language=language)
    if share:
        blocks.append(share_actions(f"id:{entry_value(entry.id, language)}", language=language))
    return _message(blocks, _entry_fallback(entry, language), language)


def share_actions(value: str, *, language: Language = "en") -> ActionsBlock:
    _ = texts(language)
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=_plain(_("Share in channel")),
                action_id=SHARE,
                value=value[:MAX_BUTTON_VALUE],
            )
        ]
    )


def entry_blocks(entry: Entry, *, compact: bool = False, language: Language = "en") -> list[Block]:
    _ = texts(language)
    text = localize(entry, language)
    codes = " / ".join(str(c) for c in entry.codes)
    tags = " · ".join(x for x in (entry.product.value, codes, ", ".join(entry.names)) if x)
    who = _("Who answers: {responder}.").format(responder=_(RESPONDER[entry.answered_by]))
    blocks: list[Block] = [header(text.title), context(esc(tags), language=language)]
    if not text.translated:
        blocks.append(context(f"_{esc(_(UNTRANSLATED))}_", language=language))
    blocks.append(section(f"{esc(text.summary)}\n_{who}_", language=language))
    if compact:
        blocks.append(section(_bullets(_("*Fix*"), text.fixes), language=language))
        more = _("Knowledge entry `{id}`; ask `/eo {code}` for more.").format(
            id=entry.id, code=entry.code
        )
        blocks.append(context(more, language=language))
        return blocks
    causes = [
        f"({side(where.value, language)}) {item}" for where, items in text.causes for item in items
    ]
    blocks.append(section(_bullets(_("*Likely causes*"), causes), language=language))
    checks: list[str] = []
    for check in text.checks:
        line = f"• {esc(check.what)}"
        if check.command:
            line += f"\n```{esc(check.command)}```"
        checks.append(line)
    note = placeholder_note(entry, language)
    checked = _("*Check*") + "\n" + "\n".join(checks) + (f"\n_{esc(note)}_" if note else "")
    blocks.append(section(checked, language=language))
    blocks.append(section(_bullets(_("*Fix*"), text.fixes), language=language))
    blocks.append(section(_bullets(_("*For support, collect*"), text.support), language=language))
    sources = " ".join(f"<{u}|{esc(short(u.removeprefix('https://'), 60))}>" for u in text.source)
    blocks.append(context(_("Source: {links}").format(links=sources), language=language))
    return blocks


# -- help and notices ----------------------------------------------------------------------------

HELP_TEXT = N_(
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
REGIONS_HELP = N_(
    "*From several regions* (where regional probe agents run)\n"
    "`/eo probe https://shop.example.com/cart from fra,sin` or `from all`: a table per region and "
    "a verdict across them. `/eo regions` lists the agents."
)
TITLE = N_("eo-bot: EdgeOne troubleshooting")


def help_message(language: Language = "en", *, edgeone: bool = False) -> Message:
    """The help; ``edgeone``: API credentials are set (else it says what they would add)."""
    from bot.render.edgeone import help_mrkdwn  # it builds on this module

    _ = texts(language)
    body = _(HELP_TEXT) + "\n\n" + help_mrkdwn(on=edgeone, language=language)
    body += "\n\n" + _(REGIONS_HELP)
    blocks: list[Block] = [header(_(TITLE)), section(body, language=language)]
    return _message(blocks, _unmark(body), language)


def entry_value(entry_id: str, language: Language) -> str:
    """A button value naming an entry and the language to show it in (``sa-524@zh``; English
    is left out, so values from before languages read back as English)."""
    return entry_id if language == "en" else f"{entry_id}@{language}"


def read_entry_value(value: str) -> tuple[str, Language]:
    """``entry_value`` read back; an unknown language reads as English."""
    entry_id, _, suffix = value.partition("@")
    return entry_id, language_of(suffix) or "en"


def notice(text: str, *, emoji: str = "", language: Language = "en") -> Message:
    """A one-section message (refusals, rate limits, errors). ``text`` may use `code`, *bold*
    and user mentions; anything else that looks like markup (it may quote the user or a URL) is
    escaped."""
    shown = escape_keeping_mentions(f"{emoji} {text}".strip())
    return _message([section(shown, language=language)], _unmark(shown), language)


# -- probes --------------------------------------------------------------------------------------


def progress_message(
    url: str, done: Sequence[str], *, user: str | None = None, language: Language = "en"
) -> Message:
    """The message shown while a probe runs; ``done`` lists the phases completed so far."""
    _ = texts(language)
    marks = [f"{'✅' if name in done else '⏳'} {phase(name, language)}" for name in _PHASES[:4]]
    if user:
        head = _("🔎 Probing {url} for {who}…").format(url=esc(url), who=f"<@{user}>")
    else:
        head = _("🔎 Probing {url}…").format(url=esc(url))
    blocks = [section(head, language=language), context("  ".join(marks), language=language)]
    return _message(blocks, _("Probing {url}…").format(url=url), language)


def probe_summary_message(
    url: str, diagnosis: Diagnosis, *, user: str | None = None, language: Language = "en"
) -> Message:
    """The one-line channel message of a `/eo probe`; the diagnosis goes in its thread."""
    _ = texts(language)
    values = {"url": esc(url), "verdict": _verdict(diagnosis, language)}
    if user:
        line = _("🔎 Probe of {url} (asked by {who}): {verdict}. Diagnosis in the thread.").format(
            **values, who=f"<@{user}>"
        )
    else:
        line = _("🔎 Probe of {url}: {verdict}. Diagnosis in the thread.").format(**values)
    return _message([section(line, language=language)], _unmark(line), language)


def diagnosis_message(
    report: ProbeReport,
    diagnosis: Diagnosis,
    *,
    entry: Entry | None = None,
    value: str | None = None,
    change: Change | None = None,
    watch: WatchInfo | None = None,
    edgeone: EdgeOneAddendum | None = None,
    language: Language = "en",
) -> Message:
    """The full diagnosis: verdict, what changed, phase timings, TLS, EdgeOne headers, next
    steps, support, EdgeOne's view once it is in; with the buttons when ``value`` (see
    ``bot.chat.buttons``) is given.

    Everything from the report and the diagnosis quotes the network, so it all goes through
    ``net``; the message mentions nobody.
    """
    _ = texts(language)
    edge = report.edge
    shown_verdict = esc(_verdict(diagnosis, language))
    host = visible(edge.host, keep_newlines=False)
    blocks: list[Block] = [header(_("Probe of {host}").format(host=host))]
    if change is not None:
        blocks.append(section(_change_text(change, language), language=language))
    blocks += [
        section(f"*{shown_verdict}*\n{net(diagnosis.summary)}", language=language),
        section(
            _("*Public URL*") + " " + net(edge.url) + "\n" + _phases_text(edge, language),
            language=language,
        ),
    ]
    extra = _details(edge, language)
    if extra:
        blocks.append(section(extra, language=language))
    if report.origin is not None:
        origin = report.origin
        title = _("*Origin* ({target})").format(target=net(origin.target))
        body = f"{title}\n{_phases_text(origin, language)}\n{_details(origin, language)}"
        blocks.append(section(body, language=language))
    if diagnosis.evidence:
        evidence = _net_bullets(_("*Evidence*"), diagnosis.evidence)
        blocks.append(section(evidence, language=language))
    if diagnosis.next_steps:
        steps = _net_bullets(_("*Next steps*"), diagnosis.next_steps)
        blocks.append(section(steps, language=language))
    support = _("*For support*") + "\n```" + net(_support_text(diagnosis, language)) + "```"
    blocks.append(section(support, language=language))
    if edgeone is not None:
        from bot.render.edgeone import addendum_blocks  # it builds on this module

        blocks += addendum_blocks(edgeone, diagnosis, language=language)
    if entry is not None:
        blocks.append(DividerBlock())
        if diagnosis.reproduced is False:
            # A code the probe did not see: point at its entry, without its outage fixes.
            code = diagnosis.stated_code
            about = _(
                "About {code}: {title}. Knowledge entry `{id}`; ask `/eo {code}` if it comes back."
            ).format(code=code, title=esc(localize(entry, language).title), id=entry.id)
            blocks.append(context(about, language=language))
        else:
            blocks += entry_blocks(entry, compact=True, language=language)
    if watch is not None:
        blocks.append(context(esc(watch_info_text(watch, language)), language=language))
    actions = _diagnosis_buttons(value, watch, language)
    if actions is not None:
        blocks.append(actions)
    fallback = "\n".join(
        [
            *(
                [_("What changed: {change}").format(change=esc(change.headline))]
                if change is not None
                else []
            ),
            _("Probe of {url}: {verdict}").format(url=net(edge.url), verdict=shown_verdict),
            net(diagnosis.summary),
            *(f"- {net(s)}" for s in diagnosis.next_steps),
            net(_support_text(diagnosis, language)),
        ]
    )
    return _message_escaped(blocks, fallback, language)


def _verdict(diagnosis: Diagnosis, language: Language) -> str:
    return verdict(diagnosis.code, diagnosis.fault, diagnosis.support.status_code, language)


def _change_text(change: Change, language: Language) -> str:
    _ = texts(language)
    head = "✅ " if change.recovered else "🔺 " if change.broke else ""
    lines = [_("*What changed:* {change}").format(change=head + esc(change.headline))]
    lines += [f"• {esc(line)}" for line in change.lines]
    return "\n".join(lines)


def _diagnosis_buttons(
    value: str | None, watch: WatchInfo | None, language: Language
) -> ActionsBlock | None:
    _ = texts(language)
    elements: list[ButtonElement] = []
    if watch is not None and watch.active:
        elements.append(
            ButtonElement(
                text=_plain(short(_("Cancel watch"), MAX_BUTTON_TEXT)),
                action_id=WATCH_CANCEL,
                value=buttons.cancel_value(watch.watch_id, language),
                style="danger",
            )
        )
    if value is not None and (watch is None or not watch.active):
        elements += [
            ButtonElement(text=_plain(_("Probe again")), action_id=PROBE_AGAIN, value=value),
            ButtonElement(text=_plain(_("Compare with origin")), action_id=COMPARE, value=value),
            ButtonElement(text=_plain(_("Share in channel")), action_id=SHARE_PROBE, value=value),
        ]
    return ActionsBlock(elements=elements) if elements else None


def purge_buttons(value: str, *, language: Language = "en") -> ActionsBlock:
    """Purge / Cancel under a purge's question; both carry its plan (``PurgePlan.value``)."""
    _ = texts(language)
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=_plain(short(_("Purge"), MAX_BUTTON_TEXT)),
                action_id=PURGE_CONFIRM,
                value=value,
                style="danger",
            ),
            ButtonElement(
                text=_plain(short(_("Cancel"), MAX_BUTTON_TEXT)),
                action_id=PURGE_CANCEL,
                value=value,
            ),
        ]
    )


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def _phases_text(result: ProbeResult, language: Language) -> str:
    _ = texts(language)
    t = result.timings
    line = " · ".join(
        f"{label} {_ms(ms)}"
        for label, ms in (
            (_("DNS"), t.dns_ms),
            (_("connect"), t.connect_ms),
            (_("TLS"), t.tls_ms),
            (_("server"), t.server_ms),
            (_("transfer"), t.transfer_ms),
            (_("total"), t.total_ms),
        )
    )
    status = []
    for name, phase_status, error in (
        ("dns", result.dns.status, result.dns.error),
        ("connect", result.connect.status, result.connect.error),
        ("tls", result.tls.status, result.tls.error),
        ("http", result.http.status, result.http.error),
    ):
        if phase_status not in ("ok", "skipped"):
            shown = f"{phase(name, language)}: {status_word(phase_status, language)}"
            status.append(shown + (f" ({_raw(error, language)})" if error else ""))
    if result.http.status_code is not None:
        status.insert(0, f"HTTP {result.http.status_code}")
    if result.deadline_hit:
        status.append(_("deadline reached"))
    return f"`{line}`" + ("\n" + net("; ".join(status)) if status else "")


def _details(result: ProbeResult, language: Language) -> str:
    _ = texts(language)
    lines: list[str] = []
    if result.connect.ip:
        address = f"{result.connect.ip}:{result.connect.port or result.port}"
        lines.append(_("*Address* {address}").format(address=address))
    dns = result.dns
    if dns.cname_chain:
        chain = net(short(" → ".join(dns.cname_chain), 600))
        if dns.on_edgeone:
            lines.append(_("*CNAME* {chain} (on EdgeOne)").format(chain=chain))
        else:
            lines.append(_("*CNAME* {chain}").format(chain=chain))
    tls = result.tls
    if tls.status != "skipped":
        parts = [
            p for p in (tls.version, tls.cipher, f"ALPN {tls.alpn}" if tls.alpn else None) if p
        ]
        if tls.cert is not None:
            parts.append(
                _("cert {subject}, issuer {issuer}, {days} days left").format(
                    subject=tls.cert.subject, issuer=tls.cert.issuer, days=tls.cert.days_left
                )
            )
        if tls.verify_error:
            reason = verify_word(tls.verify_error, language)
            parts.append(_("verify error: {reason}").format(reason=reason))
        shown = ", ".join(parts) if parts else status_word(tls.status, language)
        lines.append(_("*TLS* {details}").format(details=net(short(shown, 600))))
    if result.http.headers:
        headers = ", ".join(f"{k}: {v}" for k, v in sorted(result.http.headers.items()))
        lines.append(_("*Headers* {headers}").format(headers=net(short(headers, 600))))
    if result.http.error_name:
        lines.append(_("*Error name* `{name}`").format(name=net(result.http.error_name)))
    return "\n".join(lines)


def _raw(text: str, language: Language) -> str:
    """The probe's own English detail: as it is in English, quoted in another language."""
    return text if language == "en" else "`" + text.replace("`", "'") + "`"


def _support_text(diagnosis: Diagnosis, language: Language) -> str:
    """What to send EdgeOne support, in a code block: labels padded so the values line up."""
    _ = texts(language)
    s = diagnosis.support
    status = s.status_code if s.status_code is not None else _("(no response)")
    # "Edge IP" only for an address that answered as EdgeOne; any other is just the address.
    rows = [
        ("EO-LOG-UUID:", s.eo_log_uuid or _("(none returned)")),
        (_("Edge IP:"), s.edge_ip) if s.edge_ip else (_("Address:"), s.address or _("(none)")),
        (_("Time (UTC):"), s.time_utc),
        ("URL:", s.url),
        (_("Status:"), str(status)),
    ]
    width = max(cells(label) for label, _v in rows) + 1
    return "\n".join(pad(label, width) + value for label, value in rows)


# -- replies of the conversation core -----------------------------------------------------------


def render(reply: Reply) -> Message:
    """Any reply of ``bot.chat`` as a Slack message, in the reply's language."""
    language = reply.language
    if isinstance(reply, AnswerReply):
        return answer_message(reply.answer, share=reply.share, language=language)
    if isinstance(reply, EntryReply):
        return entry_message(reply.entry, share=reply.share, language=language)
    if isinstance(reply, HelpReply):
        return help_message(language, edgeone=reply.edgeone)
    if isinstance(reply, Notice):
        return notice(reply.text, emoji=reply.emoji, language=language)
    if isinstance(reply, Progress):
        return progress_message(reply.url, reply.done, user=reply.user, language=language)
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
            language=language,
        )
    if isinstance(reply, ProbeSummary):
        return probe_summary_message(reply.url, reply.diagnosis, user=reply.user, language=language)
    if isinstance(reply, SharedVerdict):
        return shared_verdict_message(reply)
    if isinstance(reply, REGIONAL_REPLIES):
        from bot.render.regions import regional_reply_message  # it builds on this module

        return regional_reply_message(reply)
    if isinstance(reply, AlertReply):
        return alert_message(reply)
    if isinstance(reply, WatchEvent):
        return watch_event_message(reply)
    from bot.render.edgeone import reply_message  # EdgeOne's replies; it builds on this module

    return reply_message(reply)


def shared_verdict_message(reply: SharedVerdict) -> Message:
    language = reply.language
    _ = texts(language)
    snap = reply.snapshot
    status = f"HTTP {snap.status}" if snap.status is not None else _("no response")
    line = _(
        "📣 {who} shared a probe of {url}: *{verdict}* ({status}, {time}). Details in the thread."
    ).format(
        who=f"<@{reply.user}>",
        url=esc(reply.request.url),
        verdict=esc(verdict(snap.code, snap.fault, snap.status, language)),
        status=status,
        time=snap.at.strftime("%Y-%m-%d %H:%M UTC"),
    )
    return _message([section(line, language=language)], _unmark(line), language)


def alert_message(reply: AlertReply) -> Message:
    language = reply.language
    _ = texts(language)
    alert = reply.alert
    what = " ".join(str(x) for x in (alert.code, alert.name) if x is not None)
    where = alert.url or alert.host or ""
    if where:
        head = _("🚨 EdgeOne {what} on {where}").format(what=what, where=where)
    else:
        head = _("🚨 EdgeOne {what}").format(what=what)
    blocks: list[Block] = [section(f"*{esc(head)}*", language=language)]
    blocks += entry_blocks(reply.entry, compact=True, language=language)
    if reply.probing:
        following = _("Probing {url} now; the diagnosis follows here.").format(
            url=esc(alert.url or "")
        )
        blocks.append(context(following, language=language))
    elif reply.skipped:
        skipped = _("No probe: {reason}").format(reason=esc(_unmark(reply.skipped)))
        blocks.append(context(f"_{skipped}_", language=language))
    elif alert.host and not alert.url:
        hint = _("To probe it, mention me here: `@eo probe https://{host}/`").format(
            host=esc(alert.host)
        )
        blocks.append(context(hint, language=language))
    text = localize(reply.entry, language)
    fallback = _("{head}: {title}. {summary}").format(
        head=head, title=text.title, summary=text.summary
    )
    return _message(blocks, fallback, language)


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
    blocks: list[Block] = [section("\n".join(lines), language=event.language)]
    return _message(blocks, "\n".join([text.headline, *text.lines]), event.language)


_USER_ID = re.compile(r"[UW][A-Z0-9]{1,30}")


def compare_modal(value: str, *, channel: str, thread: str | None) -> dict[str, Any]:
    """The "Compare with origin" modal, in the language of the diagnosis whose button opened
    it; private_metadata carries where to answer and what."""
    url = "?"
    language: Language = "en"
    with contextlib.suppress(ValueError):
        request = buttons.decode(value)[0]
        url, language = request.url, request.language
    _ = texts(language)
    metadata = json.dumps({"ch": channel, "th": thread, "v": value}, separators=(",", ":"))
    view = View(
        type="modal",
        callback_id=COMPARE_MODAL,
        title=_plain(short(_("Compare with origin"), MAX_MODAL_TITLE)),
        submit=_plain(short(_("Probe"), MAX_MODAL_TITLE)),
        close=_plain(short(_("Cancel"), MAX_MODAL_TITLE)),
        private_metadata=metadata,
        blocks=[
            section(
                _(
                    "I'll probe {url} through EdgeOne and the origin directly (with the public "
                    "Host header and SNI), then post both in the thread."
                ).format(url=esc(short(url, 300))),
                language=language,
            ),
            InputBlock(
                block_id=ORIGIN_BLOCK,
                label=_plain(_("Origin address")),
                element=PlainTextInputElement(
                    action_id=ORIGIN_INPUT,
                    placeholder=_plain(_("203.0.113.10 or origin.example.com:8443")),
                    max_length=MAX_ORIGIN_INPUT,
                ),
                hint=_plain(_("An IP or host name, with an optional port.")),
            ),
        ],
    )
    return view.to_dict()


MAX_ORIGIN_INPUT = 255
MAX_METADATA = 3000  # Slack's limit for a view's private_metadata
MAX_MODAL_TITLE = 24  # Slack's limit for a modal's title, submit and close labels


# -- limits --------------------------------------------------------------------------------------


def _message(blocks: list[Block], fallback: str, language: Language = "en") -> Message:
    """For text the bot composed (notices, answers): markup escaped, user mentions kept."""
    text = cut(safe_fallback(fallback), MAX_FALLBACK, language=language)
    kept, dicts = _fit(blocks, language)
    return Message(blocks=tuple(kept), text=text, _dicts=tuple(dicts))


def _message_escaped(blocks: list[Block], fallback: str, language: Language = "en") -> Message:
    """For a fallback whose parts the builder escaped itself (it quotes the network)."""
    text = cut(fallback, MAX_FALLBACK, language=language)
    kept, dicts = _fit(blocks, language)
    return Message(blocks=tuple(kept), text=text, _dicts=tuple(dicts))


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


def cut_marker(language: Language = "en") -> str:
    """What marks text cut to fit: "… (cut)", "…（已截断）"."""
    return texts(language)(_CUT)


def fit(blocks: Sequence[Block], *, language: Language = "en") -> list[Block]:
    """Keep at most MAX_BLOCKS blocks and MAX_TOTAL_CHARS of payload; say what was cut.

    Sizes are in characters, as Slack counts them (JSON with non-ASCII characters as they are).
    """
    return _fit(blocks, language)[0]


def _fit(blocks: Sequence[Block], language: Language) -> tuple[list[Block], list[dict[str, Any]]]:
    """``fit``, with the kept blocks' dicts (measuring a block makes its dict anyway)."""
    ngettext = plural(language)
    out: list[Block] = []
    dicts: list[dict[str, Any]] = []
    total = 0
    for i, block in enumerate(blocks):
        as_dict = block.to_dict()
        size = len(json.dumps(as_dict, ensure_ascii=False))
        room_for_marker = 1 if i < len(blocks) - 1 else 0
        if len(out) + 1 + room_for_marker > MAX_BLOCKS or total + size > MAX_TOTAL_CHARS - 200:
            left = len(blocks) - i
            more = ngettext(
                "{cut}: {count} more part not shown", "{cut}: {count} more parts not shown", left
            ).format(cut=cut_marker(language), count=left)
            marker = context(more, language=language)
            return [*out, marker], [*dicts, marker.to_dict()]
        out.append(block)
        dicts.append(as_dict)
        total += size
    return out, dicts


def cut(text: str, limit: int, *, language: Language = "en") -> str:
    """Cut text to ``limit`` characters with a visible marker, closing an open code block."""
    if len(text) <= limit:
        return text
    marker = "\n" + cut_marker(language)
    kept = text[: limit - len(marker) - 3]
    if kept.count("```") % 2:
        kept += "```"
    return kept + marker


def section(text: str, *, language: Language = "en") -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=cut(text or " ", MAX_SECTION, language=language))
    )


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_plain(short(text, MAX_HEADER)))


def context(*texts: str, language: Language = "en") -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(text=cut(t, MAX_SECTION, language=language))
            for t in texts[:MAX_CONTEXT_ELEMENTS]
        ]
    )


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def _bullets(title: str, items: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {esc(i)}" for i in items)


def _net_bullets(title: str, items: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {net(i)}" for i in items)


def _one_line(match: Match, language: Language) -> str:
    entry = match.entry
    name = f" `{entry.name}`" if entry.name else ""
    title = esc(localize(entry, language).title)
    return f"*{entry.code}*{name} {title} _({entry.product.value})_"


def _button_label(match: Match, language: Language) -> str:
    return f"{match.entry.code} {localize(match.entry, language).title}"


def _entry_fallback(entry: Entry, language: Language) -> str:
    text = localize(entry, language)
    _ = texts(language)
    return _("{code} {title}: {summary}").format(
        code=entry.code, title=text.title, summary=text.summary
    )


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
