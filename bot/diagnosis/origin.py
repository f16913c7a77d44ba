"""The origin comparison: what the origin, hit directly (``--origin``), did beside what the edge
reported.

An origin-pull code says EdgeOne's pull failed; the origin hit directly tells whether it fails the
same way, answers but too slowly, or answers well from here (then the path between EdgeOne and
the origin is suspect: a firewall or allow-list, the port, protocol or Host EdgeOne uses).
Timeouts are judged against what EdgeOne actually did: its 524 came after the time it waited,
which is its configured origin-pull timeout (the default 15 s unless a rule sets another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.diagnosis.model import Producer
from bot.diagnosis.probe import (
    PhaseFailure,
    answered,
    cert_evidence,
    failure,
    has_edge_markers,
    pair,
    status,
)
from bot.diagnosis.producer import identify
from bot.diagnosis.say import Say
from bot.probe.models import ProbeResult

# EdgeOne's default origin-pull HTTP response timeout: an origin slower than this gets a 524.
ORIGIN_TIMEOUT_MS = 15_000.0
# An origin whose first byte comes within this share of the limit answers "well within" it; only
# then is the path between EdgeOne and the origin suspected rather than the origin's speed.
WELL_WITHIN = 0.5

LimitSource = Literal["observed", "rule", "default"]
Pace = Literal["over", "near", "within"]


@dataclass(frozen=True, slots=True)
class PullLimit:
    """How long EdgeOne waits for the origin's first byte, and how that is known.

    ``observed``: EdgeOne answered 524 after this long; ``rule``: EdgeOne's configuration says so
    (the EdgeOne API); ``default``: EdgeOne's documented default.
    """

    ms: float
    source: LimitSource


@dataclass(frozen=True, slots=True)
class OriginView:
    """The origin probe, read for the comparison."""

    failure: PhaseFailure | None  # its first failed phase, read as an origin-pull failure
    answered: bool
    status: int | None
    ttfb_ms: float | None
    loops_back: bool  # it answers with EdgeOne's markers: the origin address leads into EdgeOne
    cert_invalid: bool  # it answered, but with a certificate clients would reject
    producer: Producer | None  # who answered at the origin address


def view(origin: ProbeResult, say: Say) -> OriginView:
    ok = answered(origin)
    return OriginView(
        failure=failure(origin, say),
        answered=ok,
        status=status(origin) if ok else None,
        ttfb_ms=origin.http.ttfb_ms if ok else None,
        loops_back=ok and has_edge_markers(origin),
        cert_invalid=origin.tls.status == "cert_invalid",
        producer=identify(origin),
    )


def pull_limit(edge: ProbeResult, rule_seconds: float | None = None) -> PullLimit:
    """What EdgeOne waited for the origin: the time its 524 took, else the timeout a rule sets
    (from the EdgeOne API), else the default 15 s."""
    waited = edge.http.ttfb_ms
    if answered(edge) and pair(status(edge)) == 524 and waited is not None and waited > 0:
        return PullLimit(waited, "observed")
    if rule_seconds is not None and rule_seconds > 0:
        return PullLimit(rule_seconds * 1000, "rule")
    return PullLimit(ORIGIN_TIMEOUT_MS, "default")


def pace(ttfb_ms: float, limit: PullLimit) -> Pace:
    """``over``: the origin needs at least the limit; ``near``: more than WELL_WITHIN of it, so
    ordinary variation tips it over; ``within``: well within it."""
    if ttfb_ms >= limit.ms:
        return "over"
    if ttfb_ms > limit.ms * WELL_WITHIN:
        return "near"
    return "within"


def shorter_than_default(limit: PullLimit) -> bool:
    """EdgeOne gave up noticeably before its default: a rule sets a shorter origin-pull timeout."""
    return limit.source != "default" and limit.ms < ORIGIN_TIMEOUT_MS * 0.95


def answer_lines(origin: ProbeResult, say: Say) -> list[str]:
    """What the origin answered, and what is wrong with that answer beyond its status."""
    lines = [
        say._(
            "origin answered {status} in {time}",
            status=status(origin),
            time=say.ms(origin.http.ttfb_ms),
        )
    ]
    if has_edge_markers(origin):
        lines.append(
            say._("the origin answers with EdgeOne markers: it leads back into EdgeOne (loop risk)")
        )
    if origin.tls.status == "cert_invalid":
        lines.append(say._("origin: {line}", line=cert_evidence(origin, say)))
    return lines


def context_lines(origin: ProbeResult | None, say: Say) -> list[str]:
    """What the origin probe saw, whatever the edge did: its failure or its answer."""
    if origin is None:
        return []
    found = failure(origin, say)
    if found is not None and not answered(origin):
        return [say._("origin: {line}", line=found.evidence)]
    if answered(origin):
        return answer_lines(origin, say)
    return []
