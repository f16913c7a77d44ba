"""Rendering a probe seen from several regions, and the list of live agents.

Pure functions over :class:`~bot.agents.verdict.RegionalVerdict` and
:class:`~bot.agents.outcomes.LiveAgent`: terminal text, and Block Kit messages built with the
helpers of :mod:`bot.render.blocks`. Node IPs, EO-LOG-UUIDs, summaries, agent names and host
facts all came over the network (from a probed server or from an agent): every one goes through
``visible`` (nothing hidden or reordered) and, for Slack, ``esc``; inside the monospace table,
backticks are replaced so a value cannot end the code block.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.agents.outcomes import LiveAgent
from bot.agents.verdict import Pattern, RegionalVerdict, RegionRow
from bot.render.blocks import (
    MAX_FALLBACK,
    Message,
    context,
    cut,
    esc,
    fit,
    header,
    safe_fallback,
    section,
)
from bot.render.text import Style
from bot.untrusted import visible

_HEADLINE: dict[Pattern, str] = {
    "all_ok": "Works in every region",
    "fails_everywhere": "Fails in every region",
    "fails_in_some": "Fails in some regions",
    "slow_in_some": "Slow in some regions",
    "no_data": "No region answered",
}
_EMOJI: dict[Pattern, str] = {
    "all_ok": "✅",
    "fails_everywhere": "🔴",
    "fails_in_some": "🟠",
    "slow_in_some": "🐢",
    "no_data": "❔",
}
_COLUMNS = (
    "region",
    "status",
    "EO code",
    "DNS",
    "connect",
    "TLS",
    "TTFB",
    "total",
    "node IP",
    "EO-LOG-UUID",
)
_MAX_CELL = 40
_MAX_REASON = 160
_MAX_NOTES = 5


def headline(verdict: RegionalVerdict) -> str:
    """'Fails in some regions: sin' - the verdict in a few words."""
    names = {
        "fails_in_some": verdict.failing,
        "slow_in_some": verdict.slow,
    }.get(verdict.pattern, ())
    suffix = f": {', '.join(names)}" if names else ""
    return _HEADLINE[verdict.pattern] + suffix


# -- terminal text -----------------------------------------------------------------------------


def render_regional(
    verdict: RegionalVerdict,
    *,
    url: str,
    notes: Sequence[str] = (),
    style: Style | None = None,
) -> str:
    """The per-region table, the verdict and its reading, the failing regions' diagnoses, and
    notes (results set aside on the way)."""
    st = style or Style()
    count = len(verdict.rows)
    lines = [st.bold(f"Probe of {_clean(url)} from {count} region{'s' if count != 1 else ''}")]
    lines += table_lines(verdict.rows)
    lines.append("")
    lines.append(st.bold(headline(verdict)))
    lines.append(_clean(verdict.reading))
    for row in verdict.rows:
        if row.state == "failing":
            lines.append(f"  {row.region}: {_clean(row.summary)}")
    for note in _notes(notes):
        lines.append(st.dim(f"note: {note}"))
    return "\n".join(lines)


def table_lines(rows: Sequence[RegionRow]) -> list[str]:
    """The table as aligned lines: a header, then one line per region. A region without data
    shows why instead of figures."""
    cells = [list(_COLUMNS)]
    reasons: dict[int, str] = {}
    for i, row in enumerate(rows, start=1):
        if row.state == "no_data":
            cells.append([row.region])
            reasons[i] = _clean(row.summary, _MAX_REASON)
            continue
        t = row.timings
        cells.append(
            [
                row.region,
                _cell(row.status) + (" (slow)" if row.state == "slow" else ""),
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
    widths = [max(len(c[i]) for c in cells if i < len(c)) for i in range(len(_COLUMNS))]
    out = []
    for i, line in enumerate(cells):
        if i in reasons:
            out.append(f"{line[0]:<{widths[0]}}  {reasons[i]}")
            continue
        out.append("  ".join(f"{c:<{w}}" for c, w in zip(line, widths, strict=True)).rstrip())
    return out


def render_agents(agents: Sequence[LiveAgent], *, known: Sequence[str] = (), now: datetime) -> str:
    """`/eo regions` for the terminal: live agents, then the trusted regions with none."""
    lines = agent_lines(agents, now=now)
    idle = _idle(agents, known)
    if idle:
        lines.append(f"No agent running in {', '.join(idle)}.")
    return "\n".join(lines)


def agent_lines(agents: Sequence[LiveAgent], *, now: datetime) -> list[str]:
    if not agents:
        return ["No agent is running (none has sent a heartbeat lately)."]
    cells = [["region", "agent", "version", "host", "last seen", "state", "trusted"]]
    for agent in agents:
        info = agent.info
        cells.append(
            [
                info.region,
                _cell(info.agent_id),
                _cell(info.version),
                _cell(f"{info.hostname} ({info.system})"),
                _ago(agent.last_seen, now),
                agent.state,
                "yes" if agent.trusted else "NO (key not listed for this region)",
            ]
        )
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


# -- Block Kit ---------------------------------------------------------------------------------


def regional_message(verdict: RegionalVerdict, *, url: str, notes: Sequence[str] = ()) -> Message:
    """The regional diagnosis for Slack: verdict, reading, table, failing regions' summaries,
    notes."""
    count = len(verdict.rows)
    blocks = [
        header(f"Probe from {count} region{'s' if count != 1 else ''}"),
        section(
            f"{_EMOJI[verdict.pattern]} *{esc(headline(verdict))}*\n"
            f"{esc(_clean(verdict.reading))}\n*URL* {esc(_clean(url))}"
        ),
        section("```" + _code(table_lines(verdict.rows)) + "```"),
    ]
    summaries = [
        f"• *{r.region}*: {esc(_clean(r.summary, 400))}"
        for r in verdict.rows
        if r.state == "failing"
    ]
    if summaries:
        blocks.append(section("\n".join(summaries)))
    shown = _notes(notes)
    if shown:
        blocks.append(context(*(f"_{esc(n)}_" for n in shown)))
    fallback = "\n".join(
        [f"Probe of {url} from {count} regions: {headline(verdict)}", verdict.reading]
    )
    return Message(blocks=tuple(fit(blocks)), text=_fallback(fallback))


def agents_message(
    agents: Sequence[LiveAgent], *, known: Sequence[str] = (), now: datetime
) -> Message:
    """`/eo regions` for Slack."""
    blocks = [
        header("Regional probe agents"),
        section("```" + _code(agent_lines(agents, now=now)) + "```"),
    ]
    idle = _idle(agents, known)
    if idle:
        blocks.append(context(f"No agent running in {esc(', '.join(idle))}."))
    regions = sorted({a.region for a in agents if a.trusted})
    fallback = f"Regional probe agents: {', '.join(regions) or 'none running'}"
    return Message(blocks=tuple(fit(blocks)), text=_fallback(fallback))


# -- helpers -----------------------------------------------------------------------------------


def _fallback(text: str) -> str:
    return cut(safe_fallback(text), MAX_FALLBACK)


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


def _notes(notes: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(_clean(n, 300) for n in notes))
    if len(unique) > _MAX_NOTES:
        unique = [*unique[: _MAX_NOTES - 1], f"and {len(unique) - _MAX_NOTES + 1} more"]
    return unique


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - moment).total_seconds())
    return f"{seconds:.0f} s ago" if seconds >= 1 else "just now"
