"""What EdgeOne's own API facts do to the verdict the probe gave: confirm, refute or sharpen it,
with the reason worded."""

from __future__ import annotations

from bot.diagnosis import origin as compare
from bot.diagnosis.edgeone import fact_words, origin_port, origin_scheme
from bot.diagnosis.model import Effect
from bot.diagnosis.probe import addr, eo_log_uuid, has_edge_markers, pair
from bot.diagnosis.verdict.finding import (
    AUTH_4XX,
    PULL_DEFAULT_FAULT,
    REQUEST_4XX,
    Context,
    Finding,
)


def weigh_edgeone(finding: Finding, ctx: Context) -> None:
    """What EdgeOne's own facts do to the verdict the probe gave."""
    if not ctx.facts.facts:
        return
    _weigh_node(finding, ctx)
    _weigh_domain(finding, ctx)
    _weigh_pull_timeout(finding, ctx)
    _weigh_origin_config(finding, ctx)
    _weigh_protection(finding, ctx)
    _weigh_record(finding, ctx)


def _weigh_node(finding: Finding, ctx: Context) -> None:
    node = ctx.facts.node(ctx.edge.connect.ip)
    if node is None or any(w.source == "edgeone" for w in finding.weighed):
        return  # already weighed where it changed the reading (a failed probe of a node)
    say, words = ctx.say, fact_words(node, ctx.say)
    marked = has_edge_markers(ctx.edge)
    if node.is_edgeone:
        effect: Effect = "confirms" if marked else "sharpens"
        finding.weigh("edgeone", effect, words)
        return
    if not marked:
        finding.weigh("edgeone", "confirms", words)
        return
    finding.node_refuted = True
    reason = say._(
        "{fact}: something else answers for {host} (stale DNS, another CDN or a proxy in front"
        " of EdgeOne)",
        fact=words,
        host=ctx.edge.host,
    )
    finding.evidence.append(reason)
    finding.weigh("edgeone", "refutes", reason)
    if finding.code is None and finding.fault in ("edge", "network"):
        finding.fault = "dns"  # the name leads to an address EdgeOne does not own


def _weigh_domain(finding: Finding, ctx: Context) -> None:
    domain = ctx.facts.domain(ctx.edge.host)
    if domain is None:
        return
    say, words = ctx.say, fact_words(domain, ctx.say)
    not_served = domain.status in (None, "offline", "forbidden", "init", "process")
    misdirected = domain.cname_status in ("moved", "invalid")
    if finding.code == 418:
        if not_served or misdirected:
            finding.weigh("edgeone", "confirms", words)
        else:
            reason = say._(
                "{fact}: the configuration is in place, so the node that answered may hold an old"
                " one; send EdgeOne support the EO-LOG-UUID",
                fact=words,
            )
            finding.weigh("edgeone", "refutes", reason)
            finding.steps.insert(0, reason)
        return
    if misdirected:
        reason = say._(
            "{fact}: {host} does not point at the CNAME EdgeOne assigned ({cname})",
            fact=words,
            host=ctx.edge.host,
            cname=domain.cname or "?",
        )
        finding.evidence.append(reason)
        finding.weigh("edgeone", "sharpens", reason)


def _weigh_pull_timeout(finding: Finding, ctx: Context) -> None:
    rule = ctx.facts.pull_timeout(ctx.edge.host)
    if rule is None or finding.code is None or pair(finding.code) != 524:
        return
    say = ctx.say
    observed = compare.pull_limit(ctx.edge)
    words = fact_words(rule, say)
    if observed.source == "observed" and abs(observed.ms - rule.seconds * 1000) <= max(
        1000.0, rule.seconds * 100
    ):
        finding.weigh(
            "edgeone",
            "confirms",
            say._("{fact}, which is how long EdgeOne waited", fact=words),
        )
        return
    reason = say._("{fact}; this 524 came after {waited}", fact=words, waited=say.ms(observed.ms))
    finding.evidence.append(reason)
    finding.weigh("edgeone", "sharpens", reason)


def _weigh_origin_config(finding: Finding, ctx: Context) -> None:
    config = ctx.facts.origin(ctx.edge.host)
    if config is None:
        return
    say, edge, origin = ctx.say, ctx.edge, ctx.report.origin
    scheme = origin_scheme(config, edge.scheme).upper()
    port = origin_port(config, edge.scheme)
    target = f"{config.origin}:{port}"
    if origin is not None and config.origin not in (origin.target, origin.connect.ip):
        reason = say._(
            "EdgeOne pulls from {target} over {scheme}, not from {probed}: the origin probe tested"
            " another server",
            target=target,
            scheme=scheme,
            probed=addr(origin),
        )
        finding.weigh("edgeone", "refutes", reason)
        finding.evidence.append(reason)
        finding.steps.insert(
            0, say._("Probe again with the origin EdgeOne uses: --origin {target}", target=target)
        )
        return
    if origin is not None and origin.port != port:
        reason = say._(
            "EdgeOne pulls on port {port} over {scheme}; the origin probe used port {probed}",
            port=port,
            scheme=scheme,
            probed=origin.port,
        )
        finding.weigh("edgeone", "sharpens", reason)
        finding.evidence.append(reason)
        return
    if origin is None and finding.code is not None and pair(finding.code) in PULL_DEFAULT_FAULT:
        finding.steps.insert(
            0, say._("Probe again with the origin EdgeOne uses: --origin {target}", target=target)
        )
        finding.weigh("edgeone", "sharpens", fact_words(config, say))
    if config.host_header and finding.fault == "network":
        reason = say._(
            "EdgeOne sends Host: {host} to the origin; test the origin with that Host",
            host=config.host_header,
        )
        finding.weigh("edgeone", "sharpens", reason)
        finding.evidence.append(reason)


def _weigh_protection(finding: Finding, ctx: Context) -> None:
    protection = ctx.facts.protection()
    pull = finding.code is not None and pair(finding.code) in (520, 521, 522, 524)
    if protection is None or not protection.enabled or not (finding.fault == "network" or pull):
        return
    say = ctx.say
    reason = say._(
        "{fact}: the origin's firewall must let in EdgeOne's current origin-pull ranges, or its"
        " connections are refused or dropped",
        fact=fact_words(protection, say),
    )
    finding.weigh("edgeone", "sharpens", reason)
    finding.evidence.append(reason)
    if protection.next_change:
        finding.steps.append(
            say._(
                "Update the origin's allow-list before the ranges change on {date}",
                date=protection.next_change,
            )
        )


def _weigh_record(finding: Finding, ctx: Context) -> None:
    record = ctx.facts.record(eo_log_uuid(ctx.edge))
    if record is None:
        return
    say, words = ctx.say, fact_words(record, ctx.say)
    if record.origin_ms is not None:
        words = say._("{fact} after {time}", fact=words, time=say.ms(record.origin_ms))
    finding.evidence.append(words)
    code = record.status
    if record.origin_status is None:
        effect: Effect = "confirms" if pair(code) in PULL_DEFAULT_FAULT else "sharpens"
        finding.weigh("edgeone", effect, words)
        return
    if record.origin_status == code and code >= 400:
        if finding.fault in ("origin", "client"):
            finding.weigh("edgeone", "confirms", words)
            return
        finding.fault = "client" if code in REQUEST_4XX | AUTH_4XX else "origin"
        finding.weigh(
            "edgeone",
            "refutes",
            say._("{fact}: EdgeOne relayed the origin's own {status}", fact=words, status=code),
        )
        return
    if code >= 400 and record.origin_status != code:
        if finding.fault == "edge":
            finding.weigh("edgeone", "confirms", words)
            return
        if finding.fault in ("origin", "client") and pair(code) not in PULL_DEFAULT_FAULT:
            finding.fault = "edge"
            finding.weigh(
                "edgeone",
                "refutes",
                say._(
                    "{fact}: the {status} is EdgeOne's own, not the origin's",
                    fact=words,
                    status=code,
                ),
            )
            return
    finding.weigh("edgeone", "sharpens", words)
