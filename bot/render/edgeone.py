"""EdgeOne's view rendered: terminal text and Block Kit, as pure functions.

Covers the view added to a probe's diagnosis (:func:`view_text`, :func:`view_blocks`,
:func:`view_message`; with the revised verdict and what EdgeOne's facts did to it,
:func:`addendum_blocks` and :func:`addendum_text`), the ``/eo zone`` card, the ``/eo logs`` answer,
the purge confirmation and result, the help part, and the answer to an EdgeOne command when the API
is not configured. :func:`reply_message` and :func:`reply_text` render the conversation's EdgeOne
replies (``bot.chat.edgeone_replies``) for Slack and the console. The last hour shows as sparklines
(``▁▂▃▅▇``, one character per two minutes) and one line: ``5xx since 10:02, 4.1 % of requests,
98 % of them 524``.

Everything the API sent is network text: shown through ``bot.untrusted.visible`` (nothing hidden,
nothing reordered) and, for Slack, escaped (``esc``). Blocks are built only with the helpers of
``bot.render.blocks`` so they stay within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.chat.edgeone_replies import (
    EdgeOneAddendum,
    EdgeOneCommand,
    EdgeOneReply,
    LogsReply,
    PurgeConfirm,
    PurgeReport,
    ViewReply,
    ZoneCard,
)
from bot.chat.words import verdict
from bot.diagnosis import Diagnosis
from bot.edgeone.errors import Problem
from bot.edgeone.facts import (
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OriginACLFact,
    ZoneFact,
)
from bot.edgeone.findings import Finding
from bot.edgeone.purge import PurgePlan, PurgeResult
from bot.edgeone.trend import TrendFact, describe, downsample, outbreak
from bot.edgeone.view import EdgeOneView
from bot.edgeone.zones import ZoneMatch
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.render.blocks import (
    MAX_FALLBACK,
    Message,
    context,
    cut,
    esc,
    fit,
    header,
    net,
    purge_buttons,
    safe_fallback,
    section,
)
from bot.render.text import Style
from bot.untrusted import visible

# slack_sdk Block objects, built only through the helpers of bot.render.blocks.
Blocks = list[Any]

SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 30
_MARK = {"problem": "✗", "warning": "!", "info": "·"}
_EMOJI = {"problem": "🔴", "warning": "🟠", "info": "🔹"}

OFF_HELP = N_(
    "With Tencent Cloud API credentials (TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, "
    "read-only) the bot adds EdgeOne's own view to each probe: whether the address that "
    "answered is an EdgeOne node, the record's CNAME status, the domain's origin settings and "
    "edge certificate, origin protection and its next range change, the edge's log line for the "
    "request, and the last hour's errors. It also enables /eo zone HOST and /eo logs "
    "EO-LOG-UUID."
)
TURN_ON = N_(
    "To turn it on, set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (a read-only CAM key; "
    "the README lists the policy)."
)
TURN_ON_PURGE = N_(
    "Purging also needs EO_ALLOW_PURGE=1 and the people allowed in EO_PURGE_USERS or "
    "EO_PURGE_GROUPS."
)
_OFF_WHAT: dict[EdgeOneCommand, str] = {
    "zone": N_("A zone card comes from EdgeOne's API, which is not set up here."),
    "logs": N_("Request logs come from EdgeOne's API, which is not set up here."),
    "purge": N_("Purging goes through EdgeOne's API, which is not set up here."),
}
_HELP_OFF = N_("*EdgeOne's view* (off here)")
_HELP_ON = N_(
    "*EdgeOne's view* (API credentials are set)\n"
    "Each probe of an EdgeOne host adds what EdgeOne's API says (answering node, CNAME, origin "
    "settings, certificate, origin protection, the request's log line, the last hour), "
    "compares the configured origin, and says whether that confirms the verdict.\n"
    "`/eo zone shop.example.com`  (status card)  ·  "
    "`/eo logs 4105283880544427145 [shop.example.com]`  (the edge's log line)  ·  "
    "`/eo purge https://shop.example.com/app.js`  (after a confirmation, where allowed)"
)
# The console help's EdgeOne rows: (what to type, what it does), translated by the caller.
_HELP_ROWS_OFF = (
    (N_("zone HOST, logs EO-LOG-UUID"), N_("need EdgeOne API credentials (see the README)")),
)
_HELP_ROWS_ON = (
    (N_("zone HOST"), N_("EdgeOne's status card of a host")),
    (N_("logs EO-LOG-UUID [HOST]"), N_("the edge's log line of one request")),
    (N_("purge URL|HOST"), N_("purge EdgeOne's cache (Slack, after a confirmation)")),
)
_EFFECT = {
    "confirms": ("✅", "confirms"),
    "refutes": ("❌", "refutes"),
    "sharpens": ("🔎", "sharpens"),
}
_EFFECT_MARK = {"confirms": "✓", "refutes": "✗", "sharpens": "→"}


# ------------------------------------------------------------------------------- pieces


def sparkline(values: Sequence[int], *, width: int = SPARK_WIDTH) -> str:
    """One character per bucket, scaled to the largest; zero is the lowest bar, anything above
    zero at least the second, so a single error still shows."""
    buckets = downsample(values, width)
    top = max(buckets, default=0)
    if top <= 0:
        return SPARK[0] * len(buckets)
    levels = len(SPARK) - 1
    return "".join(SPARK[0] if v <= 0 else SPARK[max(1, round(v / top * levels))] for v in buckets)


def trend_line(trend: TrendFact) -> str:
    """``5xx since 10:02, 4.1 % of requests, 98 % of them 524``, or what the hour looked like."""
    run = outbreak(trend)
    if run is not None:
        return describe(run)
    if trend.requests == 0:
        return "no requests counted in the last hour (analytics lag a few minutes)"
    errors = sum(trend.server_errors)
    if errors:
        share = errors / trend.requests * 100
        return f"{errors} 5xx in the last hour ({share:.2f} % of {trend.requests} requests)"
    return f"no 5xx in the last hour ({trend.requests} requests)"


def problem_text(what: str, problem: Problem) -> str:
    return f"{what}: {problem.message}"


def _t(text: str | None) -> str:
    """Network text for a terminal: every hidden character shown, on one line."""
    return visible(text or "", keep_newlines=False)


def _s(text: str | None) -> str:
    """Network text for Slack: visible, then escaped."""
    return esc(_t(text))


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "unknown time"


# ------------------------------------------------------------------------------- fact lines
# Each returns (label, plain text) with network text made visible; Slack escapes the whole value.


def _zone_line(zone: ZoneFact) -> str:
    state = "paused" if zone.paused else (zone.active_status or zone.status or "unknown")
    kind = f", {zone.kind}" if zone.kind else ""
    return f"{_t(zone.name) or zone.zone_id} ({_t(zone.zone_id)}) — {_t(state)}{kind}"


def _domain_line(domain: DomainConfig, cname: CnameFact | Problem | None) -> str:
    text = f"{_t(domain.name)} — {_t(domain.status) or 'status unknown'}"
    if isinstance(cname, CnameFact):
        target = f" {_t(cname.cname)}" if cname.cname else ""
        text += f"; CNAME{target} ({cname.status})"
    elif domain.cname:
        text += f"; CNAME {_t(domain.cname)}"
    return text


def _origin_line(domain: DomainConfig) -> str:
    origin = _t(domain.origin) or "not set"
    kind = f" ({_t(domain.origin_type)})" if domain.origin_type else ""
    ports = f"ports {domain.http_port or '-'}/{domain.https_port or '-'} (http/https)"
    host = f", Host {_t(domain.host_header)}" if domain.host_header else ""
    return f"{origin}{kind}, pull {_t(domain.protocol) or 'FOLLOW'}, {ports}{host}"


def _cert_line(domain: DomainConfig) -> str | None:
    if not domain.certs:
        return f"none ({_t(domain.cert_mode)})" if domain.cert_mode else None
    parts = []
    for cert in domain.certs[:3]:
        name = _t(cert.alias or cert.cert_id) or "certificate"
        expires = f"expires {cert.expires_at:%Y-%m-%d}" if cert.expires_at else "no expiry given"
        parts.append(f"{name}, {expires} ({_t(cert.status) or 'status unknown'})")
    return "; ".join(parts)


def _acl_line(acl: OriginACLFact) -> str:
    if not acl.on:
        return f"off ({_t(acl.status) or 'offline'})"
    version = f", version {_t(acl.version)}" if acl.version else ""
    text = f"on, {len(acl.current.all)} ranges{version}"
    if acl.planned is not None:
        added = len(acl.planned.added.all)
        removed = len(acl.planned.removed.all)
        text += f"; next change {_when(acl.planned.active_at)}: +{added} / -{removed} ranges"
    return text


def _ip_line(fact: EdgeIPFact) -> str:
    return f"{_t(fact.ip)} is {'an' if fact.is_edgeone else 'NOT an'} EdgeOne node"


def record_line(record: EdgeLogRecord) -> str:
    """What the edge logged for one request, on one line."""
    node = record.edge_node or record.edge_ip
    where = f" at node {_t(node)}" if node else ""
    region = f" ({_t(record.edge_region)})" if record.edge_region else ""
    status = record.edge_status if record.edge_status is not None else "no status"
    text = f"{status}{where}{region}, {_when(record.at)}"
    if record.method or record.url:
        text += f", {_t(record.method)} {_t(record.host)}{_t(record.url)}".rstrip()
    if record.origin_status is None:
        text += "; origin: no answer"
        if record.edge_exception:
            text += f" ({_t(record.edge_exception)})"
    else:
        took = f" in {record.origin_ms:.0f} ms" if record.origin_ms is not None else ""
        text += f"; origin {_t(record.origin_ip)} answered {record.origin_status}{took}"
    if record.edge_ms is not None:
        text += f"; edge total {record.edge_ms:.0f} ms"
    if record.cache_status:
        text += f"; cache {_t(record.cache_status)}"
    return text


def logs_line(fact: LogsFact) -> str:
    if fact.state == "found" and fact.record is not None:
        return record_line(fact.record)
    if fact.state == "not_yet":
        after = f" after {fact.retry_after:%H:%M} UTC" if fact.retry_after else " later"
        return f"no log line for {fact.request_id} yet (EdgeOne's logs lag); try again{after}"
    if fact.state == "offline":
        return (
            f"this zone has no log analysis; {len(fact.links)} offline package(s) may hold "
            f"{fact.request_id}"
        )
    span = f" between {_when(fact.window[0])} and {_when(fact.window[1])}" if fact.window else ""
    return f"no log line for {fact.request_id}{span}"


def codes_line(trend: TrendFact) -> str | None:
    """``2xx 95.9 %, 5xx 4.1 %; top 200 (57540), 524 (2400), 502 (60)``: requests by status
    class over the hour, from the top codes."""
    if not trend.top_codes or not trend.requests:
        return None
    classes = [
        f"{digit}xx {share * 100:.1f} %"
        for digit in "12345"
        if (share := trend.share_of(digit)) > 0
    ]
    top = ", ".join(f"{_t(code)} ({count})" for code, count in trend.top_codes[:4])
    return f"{', '.join(classes)}; top {top}"


def _trend_lines(trend: TrendFact) -> list[str]:
    span = f"{trend.start:%H:%M}–{trend.end:%H:%M} UTC"
    lines = [
        f"requests {sparkline(trend.total)}  5xx {sparkline(trend.server_errors)}  ({span})",
        trend_line(trend),
    ]
    codes = codes_line(trend)
    return [*lines, codes] if codes else lines


def _facts(view: EdgeOneView, *, card: bool) -> list[tuple[str, str]]:
    """(label, text) rows in reading order; missing parts say why."""
    rows: list[tuple[str, str]] = []
    zone = view.zone
    if isinstance(zone, ZoneMatch):
        if card or not zone.zone.serving:
            rows.append(("Zone", _zone_line(zone.zone)))
    else:
        rows.append(("Zone", zone.message))
    parts: list[tuple[str, Any]] = [
        ("Answered by", view.edge_ip),
        ("Domain", view.domain),
        ("Origin", view.domain),
        ("Edge cert", view.domain),
        ("Protection", view.origin_acl),
        ("Request log", view.logs),
        ("Last hour", view.trend),
    ]
    for label, part in parts:
        if part is None:
            continue
        if isinstance(part, Problem):
            if part.kind != "skipped" and label not in ("Origin", "Edge cert"):
                rows.append((label, part.message))
            continue
        if isinstance(part, EdgeIPFact):
            rows.append((label, _ip_line(part)))
        elif isinstance(part, DomainConfig):
            if label == "Domain":
                rows.append((label, _domain_line(part, view.cname)))
            elif label == "Origin":
                rows.append((label, _origin_line(part)))
            else:
                line = _cert_line(part)
                if line:
                    rows.append((label, line))
        elif isinstance(part, OriginACLFact):
            rows.append((label, _acl_line(part)))
        elif isinstance(part, LogsFact):
            rows.append((label, logs_line(part)))
        elif isinstance(part, TrendFact):
            first, *more = _trend_lines(part)
            rows.append((label, first))
            rows += [("", line) for line in more]
    if isinstance(view.cname, Problem) and view.cname.kind != "skipped":
        rows.append(("CNAME", view.cname.message))
    return rows


def _title(view: EdgeOneView, *, card: bool) -> str:
    zone = view.zone
    where = ""
    if isinstance(zone, ZoneMatch):
        where = f" (zone {_t(zone.zone.name) or zone.zone.zone_id})"
    what = "EdgeOne zone card" if card else "EdgeOne's view"
    return f"{what}: {_t(view.host)}{where}"


# ------------------------------------------------------------------------------- the view


def view_text(view: EdgeOneView, *, style: Style | None = None, card: bool = False) -> str:
    """The view (or the ``/eo zone`` card) for a terminal."""
    st = style or Style()
    lines = [st.bold(_title(view, card=card)) + st.dim(f"  ({view.elapsed_ms:.0f} ms)")]
    for finding in view.findings:
        lines.append(f"  {_MARK[finding.severity]} {_t(finding.text)}")
    if view.findings:
        lines.append("")
    rows = _facts(view, card=card)
    width = max((len(label) for label, _ in rows), default=0)
    for label, text in rows:
        lines.append(f"  {label.ljust(width)}  {text}")
    for check in view.origin_checks:
        lines.append(
            st.dim(
                f"  origin to compare: {_t(check.scheme)}://{_t(check.origin_arg)} "
                f"with Host {_t(check.host_header)}"
            )
        )
    return "\n".join(lines)


def view_blocks(view: EdgeOneView, *, card: bool = False) -> Blocks:
    """Blocks to add to a diagnosis (or, with ``card``, the ``/eo zone`` card's)."""
    blocks: Blocks = []
    title = _title(view, card=card)
    if card:
        blocks.append(header(title))
    else:
        blocks.append(section(f"*{esc(title)}*"))
    if view.findings:
        blocks.append(section("\n".join(_finding_mrkdwn(f) for f in view.findings)))
    rows = _facts(view, card=card)
    trend_rows = [(label, text) for label, text in rows if label in ("Last hour", "")]
    other = [(label, text) for label, text in rows if (label, text) not in trend_rows]
    if other:
        blocks.append(section("\n".join(f"*{esc(label)}* {esc(text)}" for label, text in other)))
    if trend_rows:
        spark, *lines = (text for _, text in trend_rows)
        blocks.append(context(f"*Last hour* `{esc(spark)}`", *(esc(line) for line in lines)))
    blocks.append(context(f"Asked the EdgeOne API in {view.elapsed_ms:.0f} ms"))
    return blocks


def view_message(view: EdgeOneView, *, card: bool = False) -> Message:
    return _message(view_blocks(view, card=card), view_text(view, card=card))


def _finding_mrkdwn(finding: Finding) -> str:
    fix = f"\n      _{esc(_t(finding.fix))}_" if finding.fix and finding.severity != "info" else ""
    return f"{_EMOJI[finding.severity]} {esc(_t(finding.text))}{fix}"


# ------------------------------------------------------------------------------- /eo logs


def logs_text(answer: LogsFact | Problem, *, request_id: str) -> str:
    if isinstance(answer, Problem):
        return f"EdgeOne's log of {_t(request_id)}: {answer.message}"
    lines = [f"EdgeOne's log of {_t(answer.request_id)}: {logs_line(answer)}"]
    for link in answer.links:
        size = f" ({link.size / 1_048_576:.1f} MB)" if link.size else ""
        lines.append(f"  {_when(link.start)} – {_when(link.end)}{size}: {_t(link.url)}")
    if answer.links:
        lines.append(f"  search the package for RequestID {_t(answer.request_id)}")
    return "\n".join(lines)


def logs_blocks(answer: LogsFact | Problem, *, request_id: str) -> Blocks:
    if isinstance(answer, Problem):
        return [section(f"*EdgeOne's log of* `{_s(request_id)}`\n{esc(answer.message)}")]
    blocks: Blocks = [
        section(f"*EdgeOne's log of* `{_s(answer.request_id)}`\n{esc(logs_line(answer))}")
    ]
    if answer.links:
        items = []
        for link in answer.links[:10]:
            size = f" ({link.size / 1_048_576:.1f} MB)" if link.size else ""
            span = f"{_when(link.start)} – {_when(link.end)}{size}"
            items.append(f"• {_link(link.url, span)}")
        blocks.append(section("\n".join(items)))
        blocks.append(context(f"Search the package for RequestID `{_s(answer.request_id)}`."))
    return blocks


def logs_message(answer: LogsFact | Problem, *, request_id: str) -> Message:
    return _message(
        logs_blocks(answer, request_id=request_id), logs_text(answer, request_id=request_id)
    )


def _link(url: str, label: str) -> str:
    """A Slack link when the URL is a plain https URL, else the escaped text (never markup)."""
    clean = _t(url)
    if clean.startswith("https://") and clean == url and not any(c in url for c in "<>| "):
        return f"<{url.replace('&', '&amp;')}|{esc(label)}>"
    return f"{esc(label)}: {esc(clean)}"


# ------------------------------------------------------------------------------- purge


def purge_plan_text(plan: PurgePlan) -> str:
    return _t(plan.summary)


def purge_plan_blocks(plan: PurgePlan) -> Blocks:
    """The question a confirmation button goes under (the button is the caller's)."""
    return [
        section(f"🧹 {esc(_t(plan.summary))}"),
        context(f"Requested by <@{esc(plan.requested_by)}>; nothing happens until confirmed."),
    ]


def purge_result_text(result: PurgeResult) -> str:
    target = _t(result.plan.target.target)
    job = f" (job {_t(result.job_id)})" if result.job_id else ""
    if result.state == "done":
        return f"Purged {target} from EdgeOne's cache{job} in {result.waited_s:.0f} s."
    if result.state == "running":
        return (
            f"EdgeOne is still purging {target}{job} after {result.waited_s:.0f} s; it usually "
            "finishes within minutes."
        )
    if result.state == "error" and result.problem is not None:
        return f"The purge of {target} did not go through: {result.problem.message}"
    reasons = "; ".join(f"{_t(t)}: {_t(r)}" for t, r in result.failed) or "no reason given"
    return f"EdgeOne could not purge {target}{job}: {reasons}"


def purge_result_blocks(result: PurgeResult) -> Blocks:
    emoji = {"done": "✅", "running": "⏳"}.get(result.state, "⚠️")
    return [section(f"{emoji} {esc(purge_result_text(result))}")]


def purge_result_message(result: PurgeResult) -> Message:
    return _message(purge_result_blocks(result), purge_result_text(result))


# ------------------------------------------------------------------------------- shared


def _message(blocks: Blocks, fallback: str) -> Message:
    return Message(blocks=tuple(fit(blocks)), text=cut(safe_fallback(fallback), MAX_FALLBACK))


# ------------------------------------------------------------------------------- the verdict


def weighed(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """(effect, reason) for what EdgeOne's facts did to the verdict; reasons quote the network."""
    return [(w.effect, w.reason) for w in diagnosis.weighed if w.source == "edgeone"]


def _verdict(diagnosis: Diagnosis) -> str:
    return verdict(diagnosis.code, diagnosis.fault, diagnosis.support.status_code)


def _changed(before: Diagnosis, after: Diagnosis) -> bool:
    return (before.code, before.fault) != (after.code, after.fault)


def addendum_blocks(addendum: EdgeOneAddendum, diagnosis: Diagnosis) -> Blocks:
    """Under the diagnosis: what EdgeOne's facts did to the verdict, then the view."""
    lines = ["*EdgeOne's API on this verdict*"]
    effects = weighed(diagnosis)
    lines += [f"{_EFFECT[e][0]} *{_EFFECT[e][1].capitalize()}:* {net(why)}" for e, why in effects]
    if not effects:
        lines.append("It neither confirms nor refutes the probe's reading.")
    before = addendum.before
    if _changed(before, diagnosis):
        lines.append(f"_The probe alone read: {esc(_verdict(before))}_")
    return [section("\n".join(lines)), *view_blocks(addendum.view)]


def addendum_text(addendum: EdgeOneAddendum, diagnosis: Diagnosis, *, style: Style) -> str:
    """The view once it is in, for a terminal that printed the diagnosis already."""
    st = style
    lines = []
    now = _verdict(diagnosis)
    if _changed(addendum.before, diagnosis):
        was = _verdict(addendum.before)
        lines.append(st.bold(f"Verdict with EdgeOne's view: {now}") + f" (the probe alone: {was})")
    else:
        lines.append(st.bold(f"Verdict with EdgeOne's view: {now}") + " (unchanged)")
    effects = weighed(diagnosis)
    for effect, reason in effects:
        lines.append(f"  {_EFFECT_MARK[effect]} {effect}: {_t(reason)}")
    if not effects:
        lines.append("  EdgeOne's API neither confirms nor refutes the probe's reading.")
    return "\n".join([*lines, view_text(addendum.view, style=st)])


# ------------------------------------------------------------------------------- help


def help_mrkdwn(*, on: bool, language: Language = "en") -> str:
    """The help's EdgeOne part (Slack mrkdwn, the bot's own words)."""
    _ = texts(language)
    if not on:
        return f"{_(_HELP_OFF)}\n{_(OFF_HELP)} {_(TURN_ON)}"
    return _(_HELP_ON)


def help_rows(*, on: bool) -> tuple[tuple[str, str], ...]:
    """The console help's EdgeOne rows: (what to type, what it does), marked for translation."""
    return _HELP_ROWS_ON if on else _HELP_ROWS_OFF


def off_text(command: EdgeOneCommand, language: Language = "en") -> str:
    """An EdgeOne command without credentials: what the API would add, what to set."""
    _ = texts(language)
    extra = f" {_(TURN_ON_PURGE)}" if command == "purge" else ""
    return f"{_(_OFF_WHAT[command])} {_(OFF_HELP)} {_(TURN_ON)}{extra}"


# ------------------------------------------------------------------------------- replies


def reply_message(reply: EdgeOneReply) -> Message:
    """One of the conversation's EdgeOne replies as a Slack message."""
    if isinstance(reply, ViewReply):
        blocks = [
            section(f"*{esc(_verdict(reply.diagnosis))}*"),
            *addendum_blocks(reply.addendum, reply.diagnosis),
        ]
        return _message(blocks, view_text(reply.addendum.view))
    if isinstance(reply, ZoneCard):
        return view_message(reply.view, card=True)
    if isinstance(reply, LogsReply):
        return logs_message(reply.answer, request_id=reply.request_id)
    if isinstance(reply, PurgeConfirm):
        blocks = [*purge_plan_blocks(reply.plan), purge_buttons(reply.plan.value)]
        return _message(blocks, purge_plan_text(reply.plan))
    if isinstance(reply, PurgeReport):
        blocks = [
            *purge_result_blocks(reply.result),
            context(f"Confirmed by <@{esc(reply.by)}>."),
        ]
        return _message(blocks, purge_result_text(reply.result))
    text = off_text(reply.command)
    return _message([section(f"🔌 {esc(text)}")], text)


def reply_text(reply: EdgeOneReply, *, style: Style | None = None) -> str:
    """The same for a terminal (network text made visible; ``style`` draws bold and dim)."""
    st = style or Style()
    if isinstance(reply, ViewReply):
        return addendum_text(reply.addendum, reply.diagnosis, style=st)
    if isinstance(reply, ZoneCard):
        return view_text(reply.view, style=st, card=True)
    if isinstance(reply, LogsReply):
        return logs_text(reply.answer, request_id=reply.request_id)
    if isinstance(reply, PurgeConfirm):
        return purge_plan_text(reply.plan) + "\n" + st.dim("Confirm with the button in Slack.")
    if isinstance(reply, PurgeReport):
        return purge_result_text(reply.result)
    return off_text(reply.command)
