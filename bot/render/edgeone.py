"""EdgeOne's view rendered: terminal text and Block Kit, as pure functions, in the reply's language.

Covers the view added to a probe's diagnosis (:func:`view_text`, :func:`view_blocks`,
:func:`view_message`; with the revised verdict and what EdgeOne's facts did to it,
:func:`addendum_blocks` and :func:`addendum_text`), the ``/eo zone`` card, the ``/eo logs`` answer,
the purge confirmation and result, the help part, and the answer to an EdgeOne command when the API
is not configured. :func:`reply_message` and :func:`reply_text` render the conversation's EdgeOne
replies (``bot.chat.edgeone_replies``) for Slack and the console. The last hour shows as sparklines
(``▁▂▃▅▇``, one character per two minutes) and one line: ``5xx since 10:02, 4.1 % of requests,
98 % of them 524``.

Every builder takes ``language``; the words come from the message catalogue, and what the view
holds in words (findings, problems, the purge's question: ``bot.i18n.phrase.Phrase``) is worded in
it here. API action names, CAM actions, header names and the values the API sent stay as they are.

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
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language
from bot.i18n.phrase import said
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
from bot.render.text import Style, cells, pad
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
_EFFECT_EMOJI = {"confirms": "✅", "refutes": "❌", "sharpens": "🔎"}
_EFFECT_WORD = {"confirms": N_("confirms"), "refutes": N_("refutes"), "sharpens": N_("sharpens")}
_EFFECT_MARK = {"confirms": "✓", "refutes": "✗", "sharpens": "→"}

# The view's rows, by label (marked here, translated where shown).
ZONE, ANSWERED_BY, DOMAIN, ORIGIN, EDGE_CERT = (
    N_("Zone"),
    N_("Answered by"),
    N_("Domain"),
    N_("Origin"),
    N_("Edge cert"),
)
PROTECTION, REQUEST_LOG, LAST_HOUR, CNAME = (
    N_("Protection"),
    N_("Request log"),
    N_("Last hour"),
    "CNAME",
)


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


def trend_line(trend: TrendFact, language: Language = "en") -> str:
    """``5xx since 10:02, 4.1 % of requests, 98 % of them 524``, or what the hour looked like."""
    _ = texts(language)
    run = outbreak(trend)
    if run is not None:
        return describe(run).say(language)
    if trend.requests == 0:
        return _("no requests counted in the last hour (analytics lag a few minutes)")
    errors = sum(trend.server_errors)
    if errors:
        share = errors / trend.requests * 100
        return _("{errors} 5xx in the last hour ({share:.2f} % of {requests} requests)").format(
            errors=errors, share=share, requests=trend.requests
        )
    return _("no 5xx in the last hour ({requests} requests)").format(requests=trend.requests)


def _t(text: str | None) -> str:
    """Network text for a terminal: every hidden character shown, on one line."""
    return visible(text or "", keep_newlines=False)


def _s(text: str | None) -> str:
    """Network text for Slack: visible, then escaped."""
    return esc(_t(text))


def _when(moment: datetime | None, language: Language) -> str:
    _ = texts(language)
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else _("unknown time")


# ------------------------------------------------------------------------------- fact lines
# Each returns plain text with network text made visible; Slack escapes the whole value.


def _zone_line(zone: ZoneFact, language: Language) -> str:
    _ = texts(language)
    state = _("paused") if zone.paused else _t(zone.active_status or zone.status) or _("unknown")
    kind = f", {_t(zone.kind)}" if zone.kind else ""
    return f"{_t(zone.name) or zone.zone_id} ({_t(zone.zone_id)}) — {state}{kind}"


def _domain_line(
    domain: DomainConfig, cname: CnameFact | Problem | None, language: Language
) -> str:
    _ = texts(language)
    text = f"{_t(domain.name)} — {_t(domain.status) or _('status unknown')}"
    if isinstance(cname, CnameFact):
        target = f" {_t(cname.cname)}" if cname.cname else ""
        text += f"{_('; ')}CNAME{target} ({_t(cname.status)})"
    elif domain.cname:
        text += f"{_('; ')}CNAME {_t(domain.cname)}"
    return text


def _origin_line(domain: DomainConfig, language: Language) -> str:
    _ = texts(language)
    text = _("{origin}{kind}, pull {protocol}, ports {http_port}/{https_port} (http/https)").format(
        origin=_t(domain.origin) or _("not set"),
        kind=f" ({_t(domain.origin_type)})" if domain.origin_type else "",
        protocol=_t(domain.protocol) or "FOLLOW",
        http_port=domain.http_port or "-",
        https_port=domain.https_port or "-",
    )
    if domain.host_header:
        text += _(", Host {host}").format(host=_t(domain.host_header))
    return text


def _cert_line(domain: DomainConfig, language: Language) -> str | None:
    _ = texts(language)
    if not domain.certs:
        return _("none ({mode})").format(mode=_t(domain.cert_mode)) if domain.cert_mode else None
    parts = []
    for cert in domain.certs[:3]:
        values = {
            "name": _t(cert.alias or cert.cert_id) or _("certificate"),
            "status": _t(cert.status) or _("status unknown"),
            "date": cert.expires_at,
        }
        if cert.expires_at:
            parts.append(_("{name}, expires {date:%Y-%m-%d} ({status})").format(**values))
        else:
            parts.append(_("{name}, no expiry given ({status})").format(**values))
    return _("; ").join(parts)


def _acl_line(acl: OriginACLFact, language: Language) -> str:
    _, ngettext = texts(language), plural(language)
    if not acl.on:
        return _("off ({status})").format(status=_t(acl.status) or _("offline"))
    count = len(acl.current.all)
    text = ngettext("on, {count} range", "on, {count} ranges", count).format(count=count)
    if acl.version:
        text += _(", version {version}").format(version=_t(acl.version))
    if acl.planned is not None:
        text += _("; next change {when}: +{added} / -{removed} ranges").format(
            when=_when(acl.planned.active_at, language),
            added=len(acl.planned.added.all),
            removed=len(acl.planned.removed.all),
        )
    return text


def _ip_line(fact: EdgeIPFact, language: Language) -> str:
    _ = texts(language)
    if fact.is_edgeone:
        return _("{ip} is an EdgeOne node").format(ip=_t(fact.ip))
    return _("{ip} is NOT an EdgeOne node").format(ip=_t(fact.ip))


def record_line(record: EdgeLogRecord, language: Language = "en") -> str:
    """What the edge logged for one request, on one line."""
    _ = texts(language)
    node = record.edge_node or record.edge_ip
    values = {
        "status": record.edge_status if record.edge_status is not None else _("no status"),
        "node": _t(node),
        "region": f" ({_t(record.edge_region)})" if record.edge_region else "",
        "time": _when(record.at, language),
    }
    if node:
        head = _("{status} at node {node}{region}, {time}").format(**values)
    else:
        head = _("{status}{region}, {time}").format(**values)
    if record.method or record.url:
        request = f"{_t(record.method)} {_t(record.host)}{_t(record.url)}".strip()
        head += _(", ") + request
    parts = [head]
    if record.origin_status is None:
        if record.edge_exception:
            parts.append(
                _("origin: no answer ({exception})").format(exception=_t(record.edge_exception))
            )
        else:
            parts.append(_("origin: no answer"))
    elif record.origin_ms is not None:
        parts.append(
            _("origin {ip} answered {status} in {ms:.0f} ms").format(
                ip=_t(record.origin_ip), status=record.origin_status, ms=record.origin_ms
            )
        )
    else:
        parts.append(
            _("origin {ip} answered {status}").format(
                ip=_t(record.origin_ip), status=record.origin_status
            )
        )
    if record.edge_ms is not None:
        parts.append(_("edge total {ms:.0f} ms").format(ms=record.edge_ms))
    if record.cache_status:
        parts.append(_("cache {status}").format(status=_t(record.cache_status)))
    return _("; ").join(parts)


def logs_line(fact: LogsFact, language: Language = "en") -> str:
    _, ngettext = texts(language), plural(language)
    request_id = _t(fact.request_id)
    if fact.state == "found" and fact.record is not None:
        return record_line(fact.record, language)
    if fact.state == "not_yet":
        if fact.retry_after:
            return _(
                "no log line for {id} yet (EdgeOne's logs lag); try again after {time:%H:%M} UTC"
            ).format(id=request_id, time=fact.retry_after)
        return _("no log line for {id} yet (EdgeOne's logs lag); try again later").format(
            id=request_id
        )
    if fact.state == "offline":
        count = len(fact.links)
        return ngettext(
            "this zone has no log analysis; {count} offline package may hold {id}",
            "this zone has no log analysis; {count} offline packages may hold {id}",
            count,
        ).format(count=count, id=request_id)
    if fact.window:
        return _("no log line for {id} between {start} and {end}").format(
            id=request_id,
            start=_when(fact.window[0], language),
            end=_when(fact.window[1], language),
        )
    return _("no log line for {id}").format(id=request_id)


def codes_line(trend: TrendFact, language: Language = "en") -> str | None:
    """``2xx 95.9 %, 5xx 4.1 %; top 200 (57540), 524 (2400), 502 (60)``: requests by status
    class over the hour, from the top codes."""
    _ = texts(language)
    if not trend.top_codes or not trend.requests:
        return None
    classes = [
        f"{digit}xx {share * 100:.1f} %"
        for digit in "12345"
        if (share := trend.share_of(digit)) > 0
    ]
    top = _(", ").join(f"{_t(code)} ({count})" for code, count in trend.top_codes[:4])
    return _("{classes}; top {codes}").format(classes=_(", ").join(classes), codes=top)


def _trend_lines(trend: TrendFact, language: Language) -> list[str]:
    _ = texts(language)
    span = f"{trend.start:%H:%M}–{trend.end:%H:%M} UTC"
    lines = [
        _("requests {requests}  5xx {errors}  ({span})").format(
            requests=sparkline(trend.total), errors=sparkline(trend.server_errors), span=span
        ),
        trend_line(trend, language),
    ]
    codes = codes_line(trend, language)
    return [*lines, codes] if codes else lines


def _facts(view: EdgeOneView, *, card: bool, language: Language) -> list[tuple[str, str]]:
    """(label, text) rows in reading order, the label untranslated (``N_``: the caller
    translates it) and the text in ``language``; missing parts say why."""
    rows: list[tuple[str, str]] = []
    zone = view.zone
    if isinstance(zone, ZoneMatch):
        if card or not zone.zone.serving:
            rows.append((ZONE, _zone_line(zone.zone, language)))
    else:
        rows.append((ZONE, zone.message.say(language)))
    parts: list[tuple[str, Any]] = [
        (ANSWERED_BY, view.edge_ip),
        (DOMAIN, view.domain),
        (ORIGIN, view.domain),
        (EDGE_CERT, view.domain),
        (PROTECTION, view.origin_acl),
        (REQUEST_LOG, view.logs),
        (LAST_HOUR, view.trend),
    ]
    for label, part in parts:
        if part is None:
            continue
        if isinstance(part, Problem):
            if part.kind != "skipped" and label not in (ORIGIN, EDGE_CERT):
                rows.append((label, part.message.say(language)))
            continue
        if isinstance(part, EdgeIPFact):
            rows.append((label, _ip_line(part, language)))
        elif isinstance(part, DomainConfig):
            if label == DOMAIN:
                rows.append((label, _domain_line(part, view.cname, language)))
            elif label == ORIGIN:
                rows.append((label, _origin_line(part, language)))
            else:
                line = _cert_line(part, language)
                if line:
                    rows.append((label, line))
        elif isinstance(part, OriginACLFact):
            rows.append((label, _acl_line(part, language)))
        elif isinstance(part, LogsFact):
            rows.append((label, logs_line(part, language)))
        elif isinstance(part, TrendFact):
            first, *more = _trend_lines(part, language)
            rows.append((label, first))
            rows += [("", line) for line in more]
    if isinstance(view.cname, Problem) and view.cname.kind != "skipped":
        rows.append((CNAME, view.cname.message.say(language)))
    return rows


def _title(view: EdgeOneView, *, card: bool, language: Language) -> str:
    _ = texts(language)
    zone = view.zone
    host = _t(view.host)
    if isinstance(zone, ZoneMatch):
        name = _t(zone.zone.name) or zone.zone.zone_id
        if card:
            return _("EdgeOne zone card: {host} (zone {zone})").format(host=host, zone=name)
        return _("EdgeOne's view: {host} (zone {zone})").format(host=host, zone=name)
    if card:
        return _("EdgeOne zone card: {host}").format(host=host)
    return _("EdgeOne's view: {host}").format(host=host)


def _said(finding: Finding, language: Language) -> tuple[str, str | None]:
    """A finding's sentence and fix in ``language``, network text made visible."""
    fix = finding.fix.say(language) if finding.fix is not None else None
    return _t(finding.text.say(language)), _t(fix) if fix else None


# ------------------------------------------------------------------------------- the view


def view_text(
    view: EdgeOneView,
    *,
    style: Style | None = None,
    card: bool = False,
    language: Language = "en",
) -> str:
    """The view (or the ``/eo zone`` card) for a terminal."""
    _ = texts(language)
    st = style or Style()
    took = _("({ms:.0f} ms)").format(ms=view.elapsed_ms)
    lines = [st.bold(_title(view, card=card, language=language)) + st.dim(f"  {took}")]
    for finding in view.findings:
        text, _fix = _said(finding, language)
        lines.append(f"  {_MARK[finding.severity]} {text}")
    if view.findings:
        lines.append("")
    rows = [
        (_(label) if label else "", text)
        for label, text in _facts(view, card=card, language=language)
    ]
    width = max((cells(label) for label, _text in rows), default=0)
    for label, text in rows:
        lines.append(f"  {pad(label, width)}  {text}")
    for check in view.origin_checks:
        origin = f"{_t(check.scheme)}://{_t(check.origin_arg)}"
        lines.append(
            st.dim(
                "  "
                + _("origin to compare: {origin} with Host {host}").format(
                    origin=origin, host=_t(check.host_header)
                )
            )
        )
    return "\n".join(lines)


def view_blocks(view: EdgeOneView, *, card: bool = False, language: Language = "en") -> Blocks:
    """Blocks to add to a diagnosis (or, with ``card``, the ``/eo zone`` card's)."""
    _ = texts(language)
    blocks: Blocks = []
    title = _title(view, card=card, language=language)
    if card:
        blocks.append(header(title))
    else:
        blocks.append(section(f"*{esc(title)}*", language=language))
    if view.findings:
        findings = "\n".join(_finding_mrkdwn(f, language) for f in view.findings)
        blocks.append(section(findings, language=language))
    rows = _facts(view, card=card, language=language)
    trend_rows = [(label, text) for label, text in rows if label in (LAST_HOUR, "")]
    other = [(label, text) for label, text in rows if (label, text) not in trend_rows]
    if other:
        lines = "\n".join(f"*{esc(_(label))}* {esc(text)}" for label, text in other)
        blocks.append(section(lines, language=language))
    if trend_rows:
        spark, *more = (text for _label, text in trend_rows)
        first = f"*{esc(_(LAST_HOUR))}* `{esc(spark)}`"
        blocks.append(context(first, *(esc(line) for line in more), language=language))
    asked = _("Asked the EdgeOne API in {ms:.0f} ms").format(ms=view.elapsed_ms)
    blocks.append(context(asked, language=language))
    return blocks


def view_message(view: EdgeOneView, *, card: bool = False, language: Language = "en") -> Message:
    return _message(
        view_blocks(view, card=card, language=language),
        view_text(view, card=card, language=language),
        language,
    )


def _finding_mrkdwn(finding: Finding, language: Language) -> str:
    text, fix = _said(finding, language)
    shown_fix = f"\n      _{esc(fix)}_" if fix and finding.severity != "info" else ""
    return f"{_EMOJI[finding.severity]} {esc(text)}{shown_fix}"


# ------------------------------------------------------------------------------- /eo logs


def logs_text(answer: LogsFact | Problem, *, request_id: str, language: Language = "en") -> str:
    _ = texts(language)
    if isinstance(answer, Problem):
        return _("EdgeOne's log of {id}: {text}").format(
            id=_t(request_id), text=answer.message.say(language)
        )
    lines = [
        _("EdgeOne's log of {id}: {text}").format(
            id=_t(answer.request_id), text=logs_line(answer, language)
        )
    ]
    for link in answer.links:
        size = f" ({link.size / 1_048_576:.1f} MB)" if link.size else ""
        span = f"{_when(link.start, language)} – {_when(link.end, language)}{size}"
        lines.append(f"  {span}: {_t(link.url)}")
    if answer.links:
        search = _("search the package for RequestID {id}").format(id=_t(answer.request_id))
        lines.append(f"  {search}")
    return "\n".join(lines)


def logs_blocks(
    answer: LogsFact | Problem, *, request_id: str, language: Language = "en"
) -> Blocks:
    _ = texts(language)
    if isinstance(answer, Problem):
        title = _("*EdgeOne's log of* `{id}`").format(id=_s(request_id))
        return [section(f"{title}\n{esc(answer.message.say(language))}", language=language)]
    title = _("*EdgeOne's log of* `{id}`").format(id=_s(answer.request_id))
    blocks: Blocks = [section(f"{title}\n{esc(logs_line(answer, language))}", language=language)]
    if answer.links:
        items = []
        for link in answer.links[:10]:
            size = f" ({link.size / 1_048_576:.1f} MB)" if link.size else ""
            span = f"{_when(link.start, language)} – {_when(link.end, language)}{size}"
            items.append(f"• {_link(link.url, span)}")
        blocks.append(section("\n".join(items), language=language))
        search = _("Search the package for RequestID `{id}`.").format(id=_s(answer.request_id))
        blocks.append(context(search, language=language))
    return blocks


def logs_message(
    answer: LogsFact | Problem, *, request_id: str, language: Language = "en"
) -> Message:
    return _message(
        logs_blocks(answer, request_id=request_id, language=language),
        logs_text(answer, request_id=request_id, language=language),
        language,
    )


def _link(url: str, label: str) -> str:
    """A Slack link when the URL is a plain https URL, else the escaped text (never markup)."""
    clean = _t(url)
    if clean.startswith("https://") and clean == url and not any(c in url for c in "<>| "):
        return f"<{url.replace('&', '&amp;')}|{esc(label)}>"
    return f"{esc(label)}: {esc(clean)}"


# ------------------------------------------------------------------------------- purge


def purge_plan_text(plan: PurgePlan, language: Language = "en") -> str:
    return _t(plan.summary.say(language))


def purge_plan_blocks(plan: PurgePlan, language: Language = "en") -> Blocks:
    """The question a confirmation button goes under (the button is the caller's)."""
    _ = texts(language)
    asked = _("Requested by <@{user}>; nothing happens until confirmed.").format(
        user=esc(plan.requested_by)
    )
    return [
        section(f"🧹 {esc(purge_plan_text(plan, language))}", language=language),
        context(asked, language=language),
    ]


def purge_result_text(result: PurgeResult, language: Language = "en") -> str:
    _ = texts(language)
    target = _t(result.plan.target.target)
    job = _(" (job {job})").format(job=_t(result.job_id)) if result.job_id else ""
    values = {"target": target, "job": job, "seconds": result.waited_s}
    if result.state == "done":
        return _("Purged {target} from EdgeOne's cache{job} in {seconds:.0f} s.").format(**values)
    if result.state == "running":
        return _(
            "EdgeOne is still purging {target}{job} after {seconds:.0f} s; it usually finishes "
            "within minutes."
        ).format(**values)
    if result.state == "error" and result.problem is not None:
        return _("The purge of {target} did not go through: {reason}").format(
            target=target, reason=result.problem.message.say(language)
        )
    reasons = _("; ").join(f"{_t(t)}: {_t(str(said(r, language)))}" for t, r in result.failed) or _(
        "no reason given"
    )
    return _("EdgeOne could not purge {target}{job}: {reasons}").format(reasons=reasons, **values)


def purge_result_blocks(result: PurgeResult, language: Language = "en") -> Blocks:
    emoji = {"done": "✅", "running": "⏳"}.get(result.state, "⚠️")
    return [section(f"{emoji} {esc(purge_result_text(result, language))}", language=language)]


def purge_result_message(result: PurgeResult, language: Language = "en") -> Message:
    return _message(
        purge_result_blocks(result, language), purge_result_text(result, language), language
    )


# ------------------------------------------------------------------------------- shared


def _message(blocks: Blocks, fallback: str, language: Language) -> Message:
    return Message(
        blocks=tuple(fit(blocks, language=language)),
        text=cut(safe_fallback(fallback), MAX_FALLBACK, language=language),
    )


# ------------------------------------------------------------------------------- the verdict


def weighed(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """(effect, reason) for what EdgeOne's facts did to the verdict; reasons quote the network
    and are in the diagnosis's language."""
    return [(w.effect, w.reason) for w in diagnosis.weighed if w.source == "edgeone"]


def _verdict(diagnosis: Diagnosis, language: Language) -> str:
    return verdict(diagnosis.code, diagnosis.fault, diagnosis.support.status_code, language)


def _changed(before: Diagnosis, after: Diagnosis) -> bool:
    return (before.code, before.fault) != (after.code, after.fault)


def addendum_blocks(
    addendum: EdgeOneAddendum, diagnosis: Diagnosis, *, language: Language = "en"
) -> Blocks:
    """Under the diagnosis: what EdgeOne's facts did to the verdict, then the view."""
    _ = texts(language)
    lines = [_("*EdgeOne's API on this verdict*")]
    effects = weighed(diagnosis)
    for effect, why in effects:
        word = _(_EFFECT_WORD[effect]).capitalize()
        said = _("*{effect}:* {reason}").format(effect=word, reason=net(why))
        lines.append(f"{_EFFECT_EMOJI[effect]} {said}")
    if not effects:
        lines.append(_("It neither confirms nor refutes the probe's reading."))
    before = addendum.before
    if _changed(before, diagnosis):
        was = esc(_verdict(before, language))
        lines.append(_("_The probe alone read: {verdict}_").format(verdict=was))
    return [
        section("\n".join(lines), language=language),
        *view_blocks(addendum.view, language=language),
    ]


def addendum_text(
    addendum: EdgeOneAddendum, diagnosis: Diagnosis, *, style: Style, language: Language = "en"
) -> str:
    """The view once it is in, for a terminal that printed the diagnosis already."""
    _ = texts(language)
    st = style
    now = _("Verdict with EdgeOne's view: {verdict}").format(verdict=_verdict(diagnosis, language))
    if _changed(addendum.before, diagnosis):
        was = _(" (the probe alone: {verdict})").format(verdict=_verdict(addendum.before, language))
        lines = [st.bold(now) + was]
    else:
        lines = [st.bold(now) + _(" (unchanged)")]
    effects = weighed(diagnosis)
    for effect, reason in effects:
        said = _("{effect}: {reason}").format(effect=_(_EFFECT_WORD[effect]), reason=_t(reason))
        lines.append(f"  {_EFFECT_MARK[effect]} {said}")
    if not effects:
        lines.append("  " + _("EdgeOne's API neither confirms nor refutes the probe's reading."))
    return "\n".join([*lines, view_text(addendum.view, style=st, language=language)])


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
    """One of the conversation's EdgeOne replies as a Slack message, in its language."""
    language = reply.language
    _ = texts(language)
    if isinstance(reply, ViewReply):
        blocks = [
            section(f"*{esc(_verdict(reply.diagnosis, language))}*", language=language),
            *addendum_blocks(reply.addendum, reply.diagnosis, language=language),
        ]
        return _message(blocks, view_text(reply.addendum.view, language=language), language)
    if isinstance(reply, ZoneCard):
        return view_message(reply.view, card=True, language=language)
    if isinstance(reply, LogsReply):
        return logs_message(reply.answer, request_id=reply.request_id, language=language)
    if isinstance(reply, PurgeConfirm):
        blocks = [
            *purge_plan_blocks(reply.plan, language),
            purge_buttons(reply.plan.value, language=language),
        ]
        return _message(blocks, purge_plan_text(reply.plan, language), language)
    if isinstance(reply, PurgeReport):
        confirmed = _("Confirmed by <@{user}>.").format(user=esc(reply.by))
        blocks = [
            *purge_result_blocks(reply.result, language),
            context(confirmed, language=language),
        ]
        return _message(blocks, purge_result_text(reply.result, language), language)
    text = off_text(reply.command, language)
    return _message([section(f"🔌 {esc(text)}", language=language)], text, language)


def reply_text(reply: EdgeOneReply, *, style: Style | None = None) -> str:
    """The same for a terminal (network text made visible; ``style`` draws bold and dim)."""
    language = reply.language
    st = style or Style()
    if isinstance(reply, ViewReply):
        return addendum_text(reply.addendum, reply.diagnosis, style=st, language=language)
    if isinstance(reply, ZoneCard):
        return view_text(reply.view, style=st, card=True, language=language)
    if isinstance(reply, LogsReply):
        return logs_text(reply.answer, request_id=reply.request_id, language=language)
    if isinstance(reply, PurgeConfirm):
        _ = texts(language)
        confirm = _("Confirm with the button in Slack.")
        return purge_plan_text(reply.plan, language) + "\n" + st.dim(confirm)
    if isinstance(reply, PurgeReport):
        return purge_result_text(reply.result, language)
    return off_text(reply.command, language)
