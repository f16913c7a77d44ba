"""Does EdgeOne's view confirm, refute or sharpen the probe's reading? Pure, for the verdict.

The probe names a code and a side at fault; the view's findings each point at a side and the
codes they explain. Two kinds of finding weigh differently:

- **decisive** ones observe this very request or make the probe's reading impossible: the edge's
  log line, an answering address that is not EdgeOne's, a CNAME moved away, a zone or domain not
  serving, the configured origin probed directly;
- **causal** ones explain a code without observing the request: a pull protocol against the wrong
  port, a planned change of origin-pull ranges, an expired edge certificate, ongoing 5xx.

A decisive finding on the probe's side (or naming its code) confirms it; one on another side, with
none agreeing, refutes it and names the side it points at instead; a causal finding naming the
probe's code sharpens the verdict with a cause. Anything else leaves the probe's reading as it is.
This module knows no diagnosis type: the verdict passes its code and side and applies the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.edgeone.findings import Finding, Side

Stance = Literal["confirms", "refutes", "sharpens", "silent"]

DECISIVE = frozenset(
    {
        "edge_log",
        "not_edge_ip",
        "cname_moved",
        "cname_invalid",
        "zone_not_serving",
        "domain_offline",
        "domain_inactive",
        "origin_speaks_http",
        "origin_tls_failed",
        "origin_unreachable",
        "origin_host_not_served",
    }
)
CAUSAL = frozenset(
    {
        "pull_http_to_443",
        "pull_https_to_80",
        "acl_change_planned",
        "acl_on",
        "cert_expired",
        "cert_failed",
        "errors_ongoing",
    }
)
# Causes that name no code but explain a failure on their side (the edge's certificate).
_BY_SIDE = frozenset({"cert_expired", "cert_failed"})


@dataclass(frozen=True, slots=True)
class Assessment:
    stance: Stance
    side: Side | None  # the side at fault after weighing (the probe's unless refuted)
    code: int | None  # the code after weighing
    because: tuple[Finding, ...] = ()
    sentence: str = ""  # "EdgeOne's view confirms this: …", plain text (holds API names)


def assess(findings: Sequence[Finding], *, code: int | None, side: str | None) -> Assessment:
    """Weigh ``findings`` against the probe's ``code`` and ``side``."""
    probe_side: Side | None = _side(side)
    problems = [f for f in findings if f.severity != "info" or f.kind in ("edge_log", "acl_on")]
    decisive = [f for f in problems if f.kind in DECISIVE and f.side is not None]
    agreeing = [f for f in decisive if _agrees(f, code, probe_side)]
    causes = [
        f
        for f in problems
        if f.kind in CAUSAL
        and (
            code in f.codes or (f.kind in _BY_SIDE and f.side is not None and f.side == probe_side)
        )
    ]
    if agreeing:
        if causes:
            return _sharpen(causes, agreeing, code, probe_side)
        return Assessment(
            "confirms",
            probe_side,
            code,
            tuple(agreeing),
            f"EdgeOne's view confirms this: {agreeing[0].text}",
        )
    disagreeing = [f for f in decisive if f.side != probe_side]
    if disagreeing:
        first = disagreeing[0]
        new_code = code if not first.codes else first.codes[0]
        was = (
            " (the probe found nothing wrong)"
            if probe_side == "none"
            else f" (the probe pointed at the {probe_side} side)"
            if probe_side
            else ""
        )
        return Assessment(
            "refutes",
            first.side,
            new_code,
            tuple(disagreeing),
            f"EdgeOne's view points elsewhere{was}: {first.text}",
        )
    if causes:
        return _sharpen(causes, [], code, probe_side)
    return Assessment("silent", probe_side, code)


def _sharpen(
    causes: list[Finding], agreeing: list[Finding], code: int | None, side: Side | None
) -> Assessment:
    rank = {"problem": 0, "warning": 1, "info": 2}
    named = [f for f in causes if code in f.codes] or causes
    cause = min(named, key=lambda f: rank[f.severity])  # the most pressing, first on ties
    new_side = cause.side or side
    return Assessment(
        "sharpens",
        new_side,
        code,
        (cause, *agreeing),
        f"EdgeOne's view sharpens this: {cause.text}",
    )


def _agrees(finding: Finding, code: int | None, side: Side | None) -> bool:
    if finding.side == side:
        return True
    # The probe cannot tell a firewall dropping EdgeOne's packets from an origin that is down;
    # the edge's log of the same code on the origin side agrees with either reading.
    return code is not None and code in finding.codes and _compatible(finding.side, side)


def _compatible(a: Side | None, b: Side | None) -> bool:
    return a == b or {a, b} == {"network", "origin"}


def _side(raw: str | None) -> Side | None:
    sides: dict[str, Side] = {
        "origin": "origin",
        "edge": "edge",
        "network": "network",
        "dns": "dns",
        "client": "client",
        "none": "none",
    }
    return sides.get(raw or "")
