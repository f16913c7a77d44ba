"""No answer came back: the first failed phase, read as the origin-pull code EdgeOne would give,
or as the EdgeOne node itself failing when the name leads to EdgeOne."""

from __future__ import annotations

from bot.diagnosis import origin as compare
from bot.diagnosis.edgeone import EdgeOneFact, fact_words
from bot.diagnosis.knowledge import entry_for_code, title
from bot.diagnosis.model import Fault
from bot.diagnosis.probe import (
    PhaseFailure,
    cname_lines,
    failure,
    has_edge_markers,
    no_markers_line,
)
from bot.diagnosis.say import Say
from bot.diagnosis.verdict.finding import Context, Finding
from bot.probe.models import ProbeResult


def edge_failed(ctx: Context) -> Finding:
    edge, say = ctx.edge, ctx.say
    found = failure(edge, say)
    if found is None:
        return _incomplete(edge, say)
    if ctx.marked():
        finding = _edge_node_failed(ctx, found)
        if not has_edge_markers(edge):
            finding.weigh(
                "edgeone",
                "refutes",
                say._(
                    "{fact}, though nothing else marks it: the probe reached EdgeOne, not the"
                    " origin",
                    fact=fact_words(_node(ctx), say),
                ),
            )
        return finding
    entry = entry_for_code(ctx.kb, found.code)
    finding = Finding(
        code=found.code,
        entry=entry,
        fault=found.fault,
        summary=say._(
            "{title}. {host} shows no EdgeOne markers, so this is read as a probe of the origin:"
            " {what}, which EdgeOne reports as {code} when pulling from it.",
            title=title(entry, found.code, say),
            host=edge.host,
            what=found.what,
            code=found.code,
        ),
        evidence=[found.evidence, no_markers_line(say)],
    )
    if found.note:
        finding.summary = say.then(finding.summary, found.note)
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    return finding


def _node(ctx: Context) -> EdgeOneFact:
    node = ctx.facts.node(ctx.edge.connect.ip)
    assert node is not None  # only called when the API spoke about the address
    return node


def _edge_node_failed(ctx: Context, found: PhaseFailure) -> Finding:
    """The hostname leads to EdgeOne but the node itself did not answer: no origin-pull code."""
    edge, say = ctx.edge, ctx.say
    evidence = [found.evidence, *cname_lines(edge, say)]
    if (
        found.phase == "tls"
        and edge.tls.verify_error == "hostname_mismatch"
        and edge.dns.on_edgeone
    ):
        # A node with no configuration for the host presents a certificate for other names:
        # the field-observed sign of a 418 (the probe stopped before the status).
        entry = entry_for_code(ctx.kb, 418)
        return Finding(
            code=418,
            entry=entry,
            fault="edge",
            summary=say._(
                "Likely {title}: {host} points at EdgeOne but the node presents a certificate for"
                " other names.",
                title=title(entry, 418, say),
                host=edge.host,
            ),
            evidence=evidence,
        )
    fault: Fault = "dns" if found.phase == "dns" else "edge"
    if found.phase == "connect" and found.status in ("timeout", "unreachable"):
        fault = "network"
    return Finding(
        code=None,
        entry=None,
        fault=fault,
        summary=say._(
            "The EdgeOne node for {host} did not answer from here: {what}. The request never"
            " reached origin pull, so no EdgeOne status code applies.",
            host=edge.host,
            what=found.what,
        ),
        evidence=evidence,
        steps=[
            say._("Probe again from another network to rule out the path from here"),
            say._(
                "If it persists, contact EdgeOne support with the address the name resolved to"
                " ({ip}) and the time of the probe",
                ip=edge.connect.ip or say._("unknown"),
            ),
        ],
    )


def _incomplete(edge: ProbeResult, say: Say) -> Finding:
    if edge.deadline_hit:
        why = say._("the probe hit its overall deadline")
    else:
        why = say._("no phase reported")
    return Finding(
        code=None,
        entry=None,
        fault="none",
        summary=say._(
            "The probe of {host} got no HTTP response ({why}); nothing to diagnose.",
            host=edge.host,
            why=why,
        ),
        evidence=[say._("{why}, after {time}", why=why, time=say.ms(edge.timings.total_ms))],
        steps=[say._("Probe again; if the deadline keeps being hit, raise EO_PROBE_DEADLINE")],
    )
