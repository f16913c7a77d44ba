"""Rendering a probe seen from several regions, and the list of live agents, in either language.

Pure functions over :class:`~bot.agents.verdict.RegionalVerdict`,
:class:`~bot.agents.outcomes.LiveAgent` and the regional replies of the conversation
(``bot.chat.regional_replies``): terminal text (the console and the CLI), and Block Kit messages
built with the helpers of :mod:`bot.render.blocks`. Node IPs, EO-LOG-UUIDs, summaries, agent names
and host facts all came over the network (from a probed server or from an agent): every one goes
through ``visible`` (nothing hidden or reordered) and, for Slack, ``esc``; inside the monospace
table, backticks are replaced so a value cannot end the code block. Labels and sentences come from
the message catalogue; columns are padded by terminal cells, so Chinese labels line up too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, PlainTextObject

from bot.agents.names import Regions
from bot.agents.outcomes import LiveAgent
from bot.agents.verdict import Pattern, RegionalVerdict, RegionRow, names, status_label
from bot.chat import buttons as diagnosis_buttons
from bot.chat import regional_buttons
from bot.chat.regional_replies import (
    AgentsReply,
    RegionalNews,
    RegionalOutcome,
    RegionalProgress,
    RegionalReply,
    RegionalShared,
    RegionalSummary,
)
from bot.chat.replies import WatchInfo
from bot.chat.words import quote, watch_info_text
from bot.chat.words import verdict as verdict_words
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language
from bot.probe.models import SCHEMA_VERSION
from bot.render.blocks import (
    MAX_BUTTON_TEXT,
    MAX_FALLBACK,
    WATCH_CANCEL,
    Message,
    context,
    cut,
    diagnosis_message,
    esc,
    fit,
    header,
    safe_fallback,
    section,
    short,
)
from bot.render.json import probe_dict
from bot.render.probe_text import render_probe
from bot.render.text import Style, cells, pad
from bot.untrusted import visible

# action_id values of a regional diagnosis's buttons (the Slack layer listens for them).
REGIONS_AGAIN = "eo_regions_again"
REGIONS_COMPARE = "eo_regions_compare"  # opens the "Compare with origin" modal
REGIONS_SHARE = "eo_regions_share"
REGIONS_COMPARE_MODAL = "eo_regions_compare_modal"  # callback_id of that modal

_HEADLINE: dict[Pattern, str] = {
    "all_ok": N_("Works in every region"),
    "fails_everywhere": N_("Fails in every region"),
    "fails_in_some": N_("Fails in some regions"),
    "slow_in_some": N_("Slow in some regions"),
    "no_data": N_("No region answered"),
}
_REFUSED = N_("Refused in every region")
_ONLY_ONE_FAILS = N_("Fails in the only region that answered")
_EMOJI: dict[Pattern, str] = {
    "all_ok": "✅",
    "fails_everywhere": "🔴",
    "fails_in_some": "🟠",
    "slow_in_some": "🐢",
    "no_data": "❔",
}
_COLUMNS = (
    N_("region"),
    N_("status"),
    N_("EO code"),
    N_("DNS"),
    N_("connect"),
    N_("TLS"),
    N_("TTFB"),
    N_("total"),
    N_("node IP"),
    N_("EO-LOG-UUID"),
)
_AGENT_COLUMNS = (
    N_("region"),
    N_("agent"),
    N_("version"),
    N_("host"),
    N_("last seen"),
    N_("state"),
    N_("trusted"),
)
_AGENT_STATES = {"ready": N_("ready"), "draining": N_("draining")}
_MAX_CELL = 40
_MAX_REASON = 160
_MAX_NOTES = 5


def headline(verdict: RegionalVerdict, language: Language = "en") -> str:
    """'Fails in some regions: sin' - the verdict in a few words."""
    _ = texts(language)
    regions = {
        "fails_in_some": verdict.failing,
        "slow_in_some": verdict.slow,
    }.get(verdict.pattern, ())
    head = _(_HEADLINE[verdict.pattern])
    if verdict.pattern == "fails_everywhere" and len(verdict.failing) == 1 and verdict.no_data:
        head, regions = _(_ONLY_ONE_FAILS), verdict.failing
    if not regions:
        return head
    return _("{headline}: {regions}").format(headline=head, regions=_(", ").join(regions))


def _headline_of(reply: RegionalOutcome) -> str:
    if reply.refused:
        return texts(reply.language)(_REFUSED)
    return headline(reply.verdict, reply.language)


def _reading_of(reply: RegionalOutcome) -> str:
    _ = texts(reply.language)
    if reply.refused:
        return _(
            "Every agent probes only what its own policy allows, and each of them, like this bot, "
            "refuses this address."
        )
    return reply.verdict.reading


# -- terminal text -----------------------------------------------------------------------------


def render_regional(
    verdict: RegionalVerdict,
    *,
    url: str,
    notes: Sequence[str] = (),
    style: Style | None = None,
    language: Language = "en",
    title: str | None = None,
    reading: str | None = None,
) -> str:
    """The per-region table, the verdict and its reading, the failing regions' diagnoses, and
    notes (results set aside on the way)."""
    st = style or Style()
    lines = [st.bold(_title(url, len(verdict.rows), language))]
    lines += table_lines(verdict.rows, language)
    lines.append("")
    lines.append(st.bold(title or headline(verdict, language)))
    lines.append(_clean(reading or verdict.reading))
    for row in verdict.rows:
        if row.state == "failing":
            lines.append(f"  {row.region}: {_clean(row.summary)}")
    _ = texts(language)
    for note in _notes(notes, language):
        lines.append(st.dim(_("note: {note}").format(note=note)))
    return "\n".join(lines)


def _title(url: str, count: int, language: Language) -> str:
    ngettext = plural(language)
    text = ngettext(
        "Probe of {url} from {count} region", "Probe of {url} from {count} regions", count
    )
    return text.format(url=_clean(url), count=count)


def table_lines(rows: Sequence[RegionRow], language: Language = "en") -> list[str]:
    """The table as aligned lines: a header, then one line per region. A region without data
    shows why instead of figures."""
    _ = texts(language)
    cells_of = [[_(c) for c in _COLUMNS]]
    reasons: dict[int, str] = {}
    for i, row in enumerate(rows, start=1):
        if row.state == "no_data":
            cells_of.append([row.region])
            reasons[i] = _clean(row.summary, _MAX_REASON)
            continue
        t = row.timings
        status = _cell(status_label(row, language))
        if row.state == "slow":
            status = _("{status} (slow)").format(status=status)
        cells_of.append(
            [
                row.region,
                status,
                str(row.code) if row.code is not None else "-",
                _ms(t.dns_ms if t else None),
                _ms(t.connect_ms if t else None),
                _ms(t.tls_ms if t else None),
                _ms(t.server_ms if t else None),
                _ms(t.total_ms if t else None),
                _cell(row.node_ip or "-"),
                _cell(row.eo_log_uuid or "-"),
            ]
        )
    return _aligned(cells_of, reasons)


def _aligned(rows: list[list[str]], reasons: Mapping[int, str] | None = None) -> list[str]:
    reasons = reasons or {}
    columns = len(rows[0])
    widths = [max(cells(r[i]) for r in rows if i < len(r)) for i in range(columns)]
    out = []
    for i, line in enumerate(rows):
        if i in reasons:
            out.append(f"{pad(line[0], widths[0])}  {reasons[i]}")
            continue
        out.append("  ".join(pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip())
    return out


def render_agents(
    agents: Sequence[LiveAgent],
    *,
    known: Sequence[str] = (),
    now: datetime,
    language: Language = "en",
) -> str:
    """`/eo regions` for the terminal: live agents, then the trusted regions with none."""
    lines = agent_lines(agents, now=now, language=language)
    idle = _idle(agents, known)
    if idle:
        lines.append(_idle_words(idle, language))
    return "\n".join(lines)


def agent_lines(
    agents: Sequence[LiveAgent], *, now: datetime, language: Language = "en"
) -> list[str]:
    _ = texts(language)
    if not agents:
        return [_("No agent is running (none has sent a heartbeat lately).")]
    rows = [[_(c) for c in _AGENT_COLUMNS]]
    for agent in agents:
        info = agent.info
        rows.append(
            [
                info.region,
                _cell(info.agent_id),
                _cell(info.version),
                _cell(f"{info.hostname} ({info.system})"),
                _ago(agent.last_seen, now, language),
                _(_AGENT_STATES.get(agent.state, agent.state)),
                _("yes") if agent.trusted else _("NO (key not listed for this region)"),
            ]
        )
    return _aligned(rows)


def _idle_words(idle: Sequence[str], language: Language) -> str:
    _ = texts(language)
    return _("No agent running in {regions}.").format(regions=_(", ").join(idle))


def regional_reply_text(reply: RegionalReply, *, style: Style | None = None) -> str | None:
    """A regional reply of the conversation as terminal text (None: nothing to print)."""
    st = style or Style()
    language = reply.language
    _ = texts(language)
    if isinstance(reply, RegionalProgress):
        where = _regions_words(reply.regions, language)
        return st.dim(
            _("Probing {url} from here and from {regions} …").format(url=reply.url, regions=where)
        )
    if isinstance(reply, RegionalSummary):
        return None  # the whole answer was printed already
    if isinstance(reply, RegionalOutcome) and reply.watch is not None and not reply.watch.active:
        return None  # Slack takes the Cancel button off; the watch's news said it ended
    if isinstance(reply, AgentsReply):
        return render_agents(reply.agents, known=reply.known, now=reply.now, language=language)
    if isinstance(reply, RegionalShared):
        summary = state_words(reply.states, language)
        return _("(shared) {url}: {summary}").format(url=reply.request.url, summary=summary)
    if isinstance(reply, RegionalNews):
        head = _news_headline(reply)
        table = "\n".join(f"  {line}" for line in table_lines(reply.verdict.rows, language))
        return st.bold(head) + "\n" + table
    return outcome_text(reply, style=st)


def outcome_text(reply: RegionalOutcome, *, style: Style | None = None) -> str:
    """The regional answer for a terminal (the console, ``eo-bot probe --from``)."""
    st = style or Style()
    language = reply.language
    _ = texts(language)
    parts: list[str] = []
    if reply.change is not None:
        parts.append(
            st.bold(_("What changed: {change}").format(change=reply.change.text(language)))
        )
    if reply.unreachable is not None:
        parts.append(st.bold("⚠ " + _unreachable_words(reply.unreachable, language)))
        if reply.local is not None:
            local = reply.local
            parts.append(render_probe(local.report, local.diagnosis, style=st, language=language))
        else:
            parts.append(_clean(reply.verdict.rows[0].summary if reply.verdict.rows else ""))
    else:
        parts.append(
            render_regional(
                reply.verdict,
                url=reply.request.url,
                notes=reply.notes,
                style=st,
                language=language,
                title=_headline_of(reply),
                reading=_reading_of(reply),
            )
        )
    if reply.watch is not None:
        if reply.watch.active:
            info = watch_info_text(reply.watch, language)
            parts.append(_("{watching} (`unwatch` stops it)").format(watching=info))
    elif reply.buttons:
        parts.append(
            st.dim(
                _(
                    "`again` probes it again from the same places; `compare HOST[:PORT]` adds "
                    "the origin."
                )
            )
        )
    return "\n".join(parts)


def _unreachable_words(line: str, language: Language) -> str:
    _ = texts(language)
    return _(
        "The regional agents could not be asked ({reason}); here is the probe from this bot only."
    ).format(reason=quote(_clean(line, 300), language))


def _news_headline(news: RegionalNews) -> str:
    language = news.language
    _ = texts(language)
    change = news.change.text(language) if news.change is not None else ""
    if news.kind == "recovered":
        ngettext = plural(language)
        done = ngettext("{count} probe", "{count} probes", news.probes).format(count=news.probes)
        return _(
            "✅ {url} works in every region again ({change}); I stopped after {probes}."
        ).format(url=news.url, change=change, probes=done)
    head = _("🔁 {url}: {change}.").format(url=news.url, change=change)
    if news.until is not None:
        head += " " + _("Still watching until {until}.").format(
            until=news.until.strftime("%H:%M UTC")
        )
    return head


def state_words(states: Mapping[str, str], language: Language) -> str:
    """ "fails in sin (520); works in local, fra and iad", from ``region_states``."""
    _ = texts(language)
    failing = [
        f"{r} ({s.removeprefix('fail:')})" for r, s in states.items() if s.startswith("fail:")
    ]
    slow = [r for r, s in states.items() if s == "slow"]
    ok = [r for r, s in states.items() if s == "ok"]
    parts = []
    if failing:
        parts.append(_("fails in {regions}").format(regions=names(failing, language)))
    if slow:
        parts.append(_("slow in {regions}").format(regions=names(slow, language)))
    if ok:
        parts.append(_("works in {regions}").format(regions=names(ok, language)))
    return _("; ").join(parts) or _("no region answered")


def _regions_words(regions: Regions, language: Language) -> str:
    if regions == "all":
        _ = texts(language)
        return _("every region")
    return names(regions, language)


# -- Block Kit ---------------------------------------------------------------------------------


def regional_message(
    verdict: RegionalVerdict,
    *,
    url: str,
    notes: Sequence[str] = (),
    language: Language = "en",
) -> Message:
    """The regional diagnosis for Slack: verdict, reading, table, failing regions' summaries,
    notes."""
    blocks = _regional_blocks(verdict, url=url, notes=notes, language=language)
    return Message(
        blocks=tuple(fit(blocks, language=language)), text=_verdict_fallback(verdict, url, language)
    )


def _regional_blocks(
    verdict: RegionalVerdict,
    *,
    url: str,
    notes: Sequence[str],
    language: Language,
    head: str | None = None,
    reading: str | None = None,
    emoji: str | None = None,
) -> list[Block]:
    _ = texts(language)
    count = len(verdict.rows)
    ngettext = plural(language)
    title = ngettext("Probe from {count} region", "Probe from {count} regions", count)
    blocks: list[Block] = [
        header(title.format(count=count)),
        section(
            f"{emoji or _EMOJI[verdict.pattern]} *{esc(head or headline(verdict, language))}*\n"
            f"{esc(_clean(reading or verdict.reading))}\n*{_('URL')}* {esc(_clean(url))}",
            language=language,
        ),
        section("```" + _code(table_lines(verdict.rows, language)) + "```", language=language),
    ]
    summaries = [
        f"• *{r.region}*: {esc(_clean(r.summary, 400))}"
        for r in verdict.rows
        if r.state == "failing"
    ]
    if summaries:
        blocks.append(section("\n".join(summaries), language=language))
    shown = _notes(notes, language)
    if shown:
        blocks.append(context(*(f"_{esc(n)}_" for n in shown), language=language))
    return blocks


def _verdict_fallback(
    verdict: RegionalVerdict, url: str, language: Language, head: str | None = None
) -> str:
    first = _title(url, len(verdict.rows), language)
    text = f"{first}: {head or headline(verdict, language)}\n{verdict.reading}"
    return _fallback(text, language)


def outcome_message(reply: RegionalOutcome) -> Message:
    """The regional answer for Slack, with its buttons (or a watch's Cancel)."""
    language = reply.language
    _ = texts(language)
    value = regional_buttons.encode(reply.request, reply.states) if reply.buttons else None
    actions = _buttons(value, reply.watch, language)
    change = _change_block(reply, language)
    if reply.unreachable is not None:
        line = "⚠️ " + esc(_unreachable_words(reply.unreachable, language))
        blocks: list[Block] = [section(line, language=language)]
        fallback = _unreachable_words(reply.unreachable, language)
        if reply.local is not None:
            local = reply.local
            message = diagnosis_message(
                local.report,
                local.diagnosis,
                entry=local.entry,
                watch=reply.watch,
                language=language,
            )
            blocks += list(message.blocks)
            fallback += "\n" + message.text
        else:
            refused = reply.verdict.rows[0].summary if reply.verdict.rows else ""
            blocks.append(section(esc(_clean(refused)), language=language))
        if change is not None:
            blocks.insert(0, change)
        if actions is not None:
            blocks.append(actions)
        return Message(
            blocks=tuple(fit(blocks, language=language)),
            text=cut(fallback, MAX_FALLBACK, language=language),
        )
    head = _headline_of(reply)
    blocks = _regional_blocks(
        reply.verdict,
        url=reply.request.url,
        notes=reply.notes,
        language=language,
        head=head,
        reading=_reading_of(reply),
        emoji="🚫" if reply.refused else None,
    )
    if change is not None:
        blocks.insert(1, change)
    if reply.watch is not None:
        blocks.append(context(esc(watch_info_text(reply.watch, language)), language=language))
    if actions is not None:
        blocks.append(actions)
    fallback = _verdict_fallback(reply.verdict, reply.request.url, language, head)
    return Message(blocks=tuple(fit(blocks, language=language)), text=fallback)


def _change_block(reply: RegionalOutcome, language: Language) -> Block | None:
    if reply.change is None:
        return None
    _ = texts(language)
    mark = "✅ " if reply.change.all_recovered and reply.change.recovered else ""
    text = _("*What changed:* {change}").format(change=mark + esc(reply.change.text(language)))
    return section(text, language=language)


def _buttons(value: str | None, watch: WatchInfo | None, language: Language) -> ActionsBlock | None:
    _ = texts(language)
    elements: list[ButtonElement] = []
    if watch is not None and watch.active:
        elements.append(
            ButtonElement(
                text=_plain(_("Cancel watch")),
                action_id=WATCH_CANCEL,
                value=diagnosis_buttons.cancel_value(watch.watch_id, language),
                style="danger",
            )
        )
    if value is not None and (watch is None or not watch.active):
        elements += [
            ButtonElement(text=_plain(_("Probe again")), action_id=REGIONS_AGAIN, value=value),
            ButtonElement(
                text=_plain(_("Compare with origin")), action_id=REGIONS_COMPARE, value=value
            ),
            ButtonElement(text=_plain(_("Share in channel")), action_id=REGIONS_SHARE, value=value),
        ]
    return ActionsBlock(elements=elements) if elements else None


def agents_message(
    agents: Sequence[LiveAgent],
    *,
    known: Sequence[str] = (),
    now: datetime,
    language: Language = "en",
) -> Message:
    """`/eo regions` for Slack."""
    _ = texts(language)
    blocks: list[Block] = [
        header(_("Regional probe agents")),
        section(
            "```" + _code(agent_lines(agents, now=now, language=language)) + "```",
            language=language,
        ),
    ]
    idle = _idle(agents, known)
    if idle:
        blocks.append(context(esc(_idle_words(idle, language)), language=language))
    regions = sorted({a.region for a in agents if a.trusted})
    fallback = _("Regional probe agents: {regions}").format(
        regions=_(", ").join(regions) or _("none running")
    )
    return Message(blocks=tuple(fit(blocks, language=language)), text=_fallback(fallback, language))


def regional_reply_message(reply: RegionalReply) -> Message:
    """A regional reply of the conversation as a Slack message, in the reply's language."""
    language = reply.language
    _ = texts(language)
    if isinstance(reply, RegionalOutcome):
        return outcome_message(reply)
    if isinstance(reply, AgentsReply):
        return agents_message(reply.agents, known=reply.known, now=reply.now, language=language)
    if isinstance(reply, RegionalProgress):
        values = {"url": esc(reply.url), "regions": esc(_regions_words(reply.regions, language))}
        if reply.user:
            line = _("🔎 Probing {url} from here and from {regions}, for {who}…").format(
                **values, who=f"<@{reply.user}>"
            )
        else:
            line = _("🔎 Probing {url} from here and from {regions}…").format(**values)
        return _one_line(line, language)
    if isinstance(reply, RegionalSummary):
        outcome = reply.outcome
        if outcome.unreachable is not None and outcome.local is not None:
            local = outcome.local.diagnosis
            shown = verdict_words(local.code, local.fault, local.support.status_code, language) + _(
                " (from here only: the regional agents could not be asked)"
            )
        else:
            shown = _headline_of(outcome)
        values = {"url": esc(outcome.request.url), "verdict": esc(shown)}
        if reply.user:
            line = _("🔎 Probe of {url} (asked by {who}): {verdict}. Answer in the thread.").format(
                **values, who=f"<@{reply.user}>"
            )
        else:
            line = _("🔎 Probe of {url}: {verdict}. Answer in the thread.").format(**values)
        return _one_line(line, language)
    if isinstance(reply, RegionalShared):
        line = _("📣 {who} shared a probe of {url}: *{summary}*. Details in the thread.").format(
            who=f"<@{reply.user}>",
            url=esc(reply.request.url),
            summary=esc(state_words(reply.states, language)),
        )
        return _one_line(line, language)
    head = esc(_news_headline(reply))
    table = "```" + _code(table_lines(reply.verdict.rows, language)) + "```"
    blocks = [section(f"*{head}*", language=language), section(table, language=language)]
    return Message(
        blocks=tuple(fit(blocks, language=language)),
        text=_fallback(_news_headline(reply), language),
    )


# -- JSON --------------------------------------------------------------------------------------


def regional_dict(reply: RegionalOutcome) -> dict[str, Any]:
    """`eo-bot probe --from ... --json`: the verdict across regions, one row per region (the
    bot's own probe is ``local``), and the local probe in full (``probe_dict``).

    Values are raw data as the agents and servers sent them (escaping is the reader's job);
    ``verdict.reading`` and the rows' ``summary`` are in ``language``, keys and states in English.
    """
    verdict = reply.verdict
    local = reply.local
    regions = reply.request.regions
    return {
        "schema_version": SCHEMA_VERSION,
        "language": reply.language,
        "url": reply.request.url,
        "origin": reply.request.origin,
        "regions": regions if regions == "all" else list(regions or ()),
        "verdict": {
            "pattern": "refused" if reply.refused else verdict.pattern,
            "headline": _headline_of(reply),
            "reading": _reading_of(reply),
            "ok": list(verdict.ok),
            "failing": list(verdict.failing),
            "slow": list(verdict.slow),
            "no_data": list(verdict.no_data),
        },
        "rows": [_row_dict(row) for row in verdict.rows],
        "states": dict(reply.states),
        "unreachable": reply.unreachable,
        "notes": list(reply.notes),
        "local": probe_dict(local.report, local.diagnosis) if local is not None else None,
    }


def _row_dict(row: RegionRow) -> dict[str, Any]:
    return {
        "region": row.region,
        "state": row.state,
        "status": row.status,
        "status_code": row.status_code,
        "code": row.code,
        "fault": row.fault,
        "failed_phase": row.failed_phase,
        "failure": row.failure,
        "timings": asdict(row.timings) if row.timings is not None else None,
        "node_ip": row.node_ip,
        "eo_log_uuid": row.eo_log_uuid,
        "summary": row.summary,
    }


# -- helpers -----------------------------------------------------------------------------------


def _one_line(line: str, language: Language) -> Message:
    """A message of one line whose parts were escaped where they were put together."""
    blocks = fit([section(line, language=language)], language=language)
    return Message(blocks=tuple(blocks), text=cut(line, MAX_FALLBACK, language=language))


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=short(text, MAX_BUTTON_TEXT), emoji=True)


def _fallback(text: str, language: Language = "en") -> str:
    return cut(safe_fallback(text), MAX_FALLBACK, language=language)


def _idle(agents: Sequence[LiveAgent], known: Sequence[str]) -> list[str]:
    running = {a.region for a in agents if a.trusted and a.state == "ready"}
    return [r for r in known if r not in running]


def _clean(text: str, limit: int = 1000) -> str:
    """Network text on one line, every hidden character shown, cut to ``limit``."""
    shown = visible(text, keep_newlines=False)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _cell(text: str | None) -> str:
    return _clean(text or "-", _MAX_CELL)


def _code(lines: Sequence[str]) -> str:
    """Lines for inside a Slack code block: escaped, and no backtick can close the block."""
    return esc("\n".join(lines).replace("`", "'"))


def _notes(notes: Sequence[str], language: Language = "en") -> list[str]:
    unique = list(dict.fromkeys(_clean(n, 300) for n in notes))
    if len(unique) > _MAX_NOTES:
        _ = texts(language)
        more = _("and {count} more").format(count=len(unique) - _MAX_NOTES + 1)
        unique = [*unique[: _MAX_NOTES - 1], more]
    return unique


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


def _ago(moment: datetime, now: datetime, language: Language) -> str:
    _ = texts(language)
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 1:
        return _("just now")
    return _("{seconds} s ago").format(seconds=f"{seconds:.0f}")


__all__ = [
    "REGIONS_AGAIN",
    "REGIONS_COMPARE",
    "REGIONS_COMPARE_MODAL",
    "REGIONS_SHARE",
    "agent_lines",
    "agents_message",
    "headline",
    "outcome_message",
    "outcome_text",
    "regional_dict",
    "regional_message",
    "regional_reply_message",
    "regional_reply_text",
    "render_agents",
    "render_regional",
    "state_words",
    "table_lines",
]
