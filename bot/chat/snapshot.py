"""What one probe found, small enough to ride in a Slack button, and what changed since.

The "Probe again" button answers the on-call engineer's first question after a fix: did it work?
Saying "522 → 200, origin now answers in 84 ms" needs the previous result, and the one place to
keep it without server-side state (which a restart or a second replica would lose) is the button's
``value``: at most 2000 characters, and sent back by whatever client pressed the button. So a
``Snapshot`` keeps only the outcome and the phase timings, ``to_value`` encodes them with short
keys, and ``Snapshot.from_value`` treats what comes back as hostile: exact types, closed word
lists, bounded numbers and strings, and a short ``ValueError`` for anything else.

``compare`` turns two snapshots into a headline and one line per difference. It is pure (no I/O,
no Slack), so every surface renders the same ``Change``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, get_args

from bot.diagnosis import Diagnosis, Fault
from bot.probe.models import (
    ConnectStatus,
    DNSStatus,
    HTTPStatus,
    ProbeReport,
    ProbeResult,
    TLSStatus,
)

# Bumped whenever the encoding changes: an old button then fails validation instead of being
# misread, and the caller simply probes without a comparison.
VERSION: Final = 1

FAULTS: Final = frozenset(str(f) for f in get_args(Fault))
PHASES: Final = ("dns", "connect", "tls", "http")
# The words a failed phase can end with: the phase's status set minus "ok" and "skipped". Taken
# from the probe's own Literal types so a new status cannot be silently rejected or missed.
FAILURES: Final[dict[str, frozenset[str]]] = {
    phase: frozenset(str(word) for word in get_args(words)) - {"ok", "skipped"}
    for phase, words in (
        ("dns", DNSStatus),
        ("connect", ConnectStatus),
        ("tls", TLSStatus),
        ("http", HTTPStatus),
    )
}

MIN_STATUS: Final = 100
MAX_STATUS: Final = 999
# No phase of a probe lasts a day (the probe's deadline is seconds): anything longer is forged.
MAX_MS: Final = 86_400_000
MAX_TEXT: Final = 64
# Probe times outside this window (2000-01-01 .. 2100-01-01 UTC) are forged or a broken clock.
MIN_EPOCH: Final = 946_684_800
MAX_EPOCH: Final = 4_102_444_800
# EdgeOne error names are upper-case identifiers; anything else could carry markup or mentions
# into the rendered message.
_ERROR_NAME = re.compile(r"[A-Z][A-Z0-9_]*")

# A timing difference is worth a line only when it is at least NOTABLE_MS and the slower value is
# at least NOTABLE_RATIO times the faster one. A single sample jitters by tens of milliseconds on
# a fast path and by a few per cent on a slow one; both rules together keep only real moves.
NOTABLE_MS: Final = 50.0
NOTABLE_RATIO: Final = 1.2

# The keys of a button value (see to_value); from_value insists on exactly these.
_KEY_SET: Final = frozenset(
    "v t s c f p x e dn co tl sv to o os op ox om".split()  # o..om: the origin probe
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The outcome of one probe and its timings, rounded to what the button value keeps.

    ``failure`` and ``origin_failure`` are the failed phase's status word ("refused", "timeout",
    "nxdomain"...), so a change from a refused to a timed-out connect is visible.
    """

    at: datetime  # UTC, when the probe started, whole seconds
    status: int | None  # HTTP status of the public URL, None when no response came back
    code: int | None  # the EdgeOne code the diagnosis named
    fault: str  # side at fault: origin, edge, network, dns, client, account, provider, none
    failed_phase: str | None = None  # dns, connect, tls, http
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    server_ms: float | None = None  # first byte after the request was sent
    total_ms: float | None = None
    error_name: str | None = None  # an EdgeOne Pages error name found in the body
    origin_status: int | None = None
    origin_failed_phase: str | None = None
    origin_ms: float | None = None  # the origin's first byte, or its total when none came
    probed_origin: bool = False
    failure: str | None = None
    origin_failure: str | None = None

    @property
    def healthy(self) -> bool:
        return self.fault == "none" and self.status is not None

    @classmethod
    def of(cls, report: ProbeReport, diagnosis: Diagnosis) -> Snapshot:
        """The snapshot of a probe, already in the form ``from_value(to_value())`` gives back.

        Times are rounded to whole milliseconds and seconds, and values the encoding would reject
        are dropped or clamped, so a snapshot taken now compares the same way as one that came
        back from a button.
        """
        edge, origin = report.edge, report.origin
        timings = edge.timings
        return cls(
            at=datetime.fromtimestamp(_epoch(edge.started_at), UTC),
            status=_in_range(edge.http.status_code),
            code=_in_range(diagnosis.code),
            fault=diagnosis.fault,
            failed_phase=edge.failed_phase,
            failure=_failure_word(edge),
            dns_ms=_round_ms(timings.dns_ms),
            connect_ms=_round_ms(timings.connect_ms),
            tls_ms=_round_ms(timings.tls_ms),
            server_ms=_round_ms(timings.server_ms),
            total_ms=_round_ms(timings.total_ms),
            error_name=_clean_name(edge.http.error_name),
            probed_origin=origin is not None,
            origin_status=_in_range(origin.http.status_code) if origin else None,
            origin_failed_phase=origin.failed_phase if origin else None,
            origin_failure=_failure_word(origin) if origin else None,
            origin_ms=_origin_ms(origin) if origin else None,
        )

    def to_value(self) -> dict[str, object]:
        """Short keys, integer milliseconds and epoch seconds: about 200 characters as JSON."""
        return {
            "v": VERSION,
            "t": _epoch(self.at),
            "s": self.status,
            "c": self.code,
            "f": self.fault,
            "p": self.failed_phase,
            "x": self.failure,
            "e": self.error_name,
            "dn": _int_ms(self.dns_ms),
            "co": _int_ms(self.connect_ms),
            "tl": _int_ms(self.tls_ms),
            "sv": _int_ms(self.server_ms),
            "to": _int_ms(self.total_ms),
            "o": self.probed_origin,
            "os": self.origin_status,
            "op": self.origin_failed_phase,
            "ox": self.origin_failure,
            "om": _int_ms(self.origin_ms),
        }

    @classmethod
    def from_value(cls, data: object) -> Snapshot:
        """Decode a button value; raises ``ValueError`` (short, no echo of the input) if invalid.

        Every key must be present and no other: a value this version did not write is not
        trusted, whatever it claims.
        """
        if not isinstance(data, dict):
            raise ValueError("snapshot: not an object")
        keys = set(data)
        if keys - _KEY_SET:
            raise ValueError("snapshot: unexpected keys")
        if missing := sorted(_KEY_SET - keys):
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise ValueError(f"snapshot: missing keys {', '.join(missing[:3])}{more}")
        if _int(data, "v", 0, 1_000_000) != VERSION:
            raise ValueError("snapshot: unsupported version")
        at = _int(data, "t", MIN_EPOCH, MAX_EPOCH)
        if at is None:
            raise ValueError("t: missing")
        fault = _word(data, "f", FAULTS)
        if fault is None:
            raise ValueError("f: missing")
        probed_origin = data["o"]
        if type(probed_origin) is not bool:
            raise ValueError("o: not a boolean")
        phase, failure = _phase(data, "p", "x")
        origin_phase, origin_failure = _phase(data, "op", "ox")
        snapshot = cls(
            at=datetime.fromtimestamp(at, UTC),
            status=_int(data, "s", MIN_STATUS, MAX_STATUS),
            code=_int(data, "c", MIN_STATUS, MAX_STATUS),
            fault=fault,
            failed_phase=phase,
            failure=failure,
            error_name=_error_name(data, "e"),
            dns_ms=_ms(data, "dn"),
            connect_ms=_ms(data, "co"),
            tls_ms=_ms(data, "tl"),
            server_ms=_ms(data, "sv"),
            total_ms=_ms(data, "to"),
            probed_origin=probed_origin,
            origin_status=_int(data, "os", MIN_STATUS, MAX_STATUS),
            origin_failed_phase=origin_phase,
            origin_failure=origin_failure,
            origin_ms=_ms(data, "om"),
        )
        origin = (*_origin_outcome(snapshot), snapshot.origin_ms)
        if not probed_origin and any(value is not None for value in origin):
            raise ValueError("snapshot: origin results without an origin probe")
        return snapshot


@dataclass(frozen=True, slots=True)
class Change:
    headline: str  # e.g. "522 → 200, origin now answers in 84 ms"
    lines: tuple[str, ...]  # the time since the last probe, then one line per difference
    changed: bool  # the outcome changed (not mere timing jitter)
    recovered: bool  # not healthy before, healthy now
    broke: bool  # healthy before, not healthy now


def compare(before: Snapshot, after: Snapshot) -> Change:
    """What changed from ``before`` (the last probe, from the button) to ``after`` (this one)."""
    recovered = after.healthy and not before.healthy
    broke = before.healthy and not after.healthy
    # The origin only counts when both probes hit it: probing it this time and not last time
    # adds information but is no change in the site.
    both_origin = before.probed_origin and after.probed_origin
    changed = _outcome(before) != _outcome(after) or (
        both_origin and _origin_outcome(before) != _origin_outcome(after)
    )
    return Change(
        headline=_headline(before, after, changed=changed, recovered=recovered),
        lines=tuple(_lines(before, after)),
        changed=changed,
        recovered=recovered,
        broke=broke,
    )


# ---------------------------------------------------------------- comparison wording

_FAULT_WORDS: Final = {
    "origin": "origin",
    "edge": "EdgeOne configuration",
    "network": "network path",
    "dns": "DNS",
    "client": "client",
    "account": "account or plan",
    "provider": "other CDN or platform",
    "none": "none",
}
_PHASE_NAMES: Final = {"dns": "DNS", "connect": "connect", "tls": "TLS", "http": "HTTP"}
_FAILURE_WORDS: Final = {
    "nxdomain": "NXDOMAIN",
    "servfail": "SERVFAIL",
    "no_answer": "no address",
    "timeout": "timed out",
    "refused": "refused",
    "unreachable": "unreachable",
    "error": "failed",
    "handshake_failed": "handshake failed",
    "cert_invalid": "certificate rejected",
}
# After the request was sent the phase name says little; what the connection did says more.
_HTTP_FAILURES: Final = {
    "reset": "connection reset",
    "closed": "connection closed",
    "timeout": "no response in time",
    "error": "invalid response",
}


def _headline(before: Snapshot, after: Snapshot, *, changed: bool, recovered: bool) -> str:
    was, now = _outcome_word(before), _outcome_word(after)
    if was == now:
        if not changed:
            return f"still {now} ({_verdict(after)})"
        return f"still {now}, now {_verdict(after)}"
    move = f"{was} → {now}"
    if recovered:
        return f"{move}, {_answers(after)}"
    if after.healthy:  # healthy both times with another status, e.g. 200 → 301
        return f"{move}, still healthy"
    return f"{move}: {_verdict(after)}"


def _lines(before: Snapshot, after: Snapshot) -> list[str]:
    lines: list[str] = []
    if since := _since(before, after):
        lines.append(f"since last probe: {since}")
    if before.status != after.status:
        lines.append(f"status: {_status_word(before.status)} → {_status_word(after.status)}")
    if before.code != after.code:
        lines.append(f"EdgeOne code: {before.code or 'none'} → {after.code or 'none'}")
    if before.fault != after.fault:
        lines.append(f"fault: {_fault_word(before.fault)} → {_fault_word(after.fault)}")
    if (before.failed_phase, before.failure) != (after.failed_phase, after.failure):
        lines.append(
            f"failed phase: {_failed(before.failed_phase, before.failure)}"
            f" → {_failed(after.failed_phase, after.failure)}"
        )
    if before.error_name != after.error_name:
        lines.append(f"error name: {before.error_name or 'none'} → {after.error_name or 'none'}")
    origin_moved = (before.probed_origin, *_origin_outcome(before)) != (
        after.probed_origin,
        *_origin_outcome(after),
    )
    if origin_moved:
        lines.append(f"origin: {_origin_word(before)} → {_origin_word(after)}")
    timings = [
        ("DNS", before.dns_ms, after.dns_ms),
        ("connect", before.connect_ms, after.connect_ms),
        ("TLS", before.tls_ms, after.tls_ms),
        ("first byte", before.server_ms, after.server_ms),
        ("total", before.total_ms, after.total_ms),
    ]
    if not origin_moved:  # otherwise the origin line already carries the new time
        timings.append(("origin time", before.origin_ms, after.origin_ms))
    lines += [
        f"{label}: {_ms_word(was)} → {_ms_word(now)}"
        for label, was, now in timings
        if was is not None and now is not None and _notable(was, now)
    ]
    return lines


def _notable(was: float, now: float) -> bool:
    low, high = sorted((was, now))
    return high - low >= NOTABLE_MS and high >= low * NOTABLE_RATIO


def _outcome(s: Snapshot) -> tuple[object, ...]:
    return (s.status, s.code, s.fault, s.failed_phase, s.failure, s.error_name)


def _origin_outcome(s: Snapshot) -> tuple[object, ...]:
    return (s.origin_status, s.origin_failed_phase, s.origin_failure)


def _outcome_word(s: Snapshot) -> str:
    """The status, or how the probe failed before one came back ("connect refused")."""
    if s.status is not None:
        return str(s.status)
    if s.failed_phase is not None:
        return _failed(s.failed_phase, s.failure)
    return "no response"


def _verdict(s: Snapshot) -> str:
    if s.healthy:
        return "healthy"
    if s.fault == "none":
        return "no fault named"
    return f"fault at the {_fault_word(s.fault)}"


def _fault_word(fault: str) -> str:
    return _FAULT_WORDS.get(fault, fault)


def _answers(s: Snapshot) -> str:
    """Who answers now and how fast: the origin when it was probed, else the public URL."""
    if s.probed_origin and s.origin_status is not None and s.origin_ms is not None:
        return f"origin now answers in {_ms_word(s.origin_ms)}"
    if s.server_ms is not None:
        # The public URL may or may not be served by EdgeOne; the snapshot does not know.
        return f"now answers in {_ms_word(s.server_ms)}"
    return "healthy again"


def _origin_word(s: Snapshot) -> str:
    if not s.probed_origin:
        return "not probed"
    if s.origin_status is not None:
        took = f" in {_ms_word(s.origin_ms)}" if s.origin_ms is not None else ""
        return f"{s.origin_status}{took}"
    if s.origin_failed_phase is not None:
        return _failed(s.origin_failed_phase, s.origin_failure)
    return "no answer"


def _failed(phase: str | None, failure: str | None) -> str:
    if phase is None:
        return "none"
    if phase == "http" and failure in _HTTP_FAILURES:
        return _HTTP_FAILURES[failure]
    word = _FAILURE_WORDS.get(failure, "failed") if failure else "failed"
    return f"{_PHASE_NAMES.get(phase, phase)} {word}"


def _status_word(status: int | None) -> str:
    return "no response" if status is None else str(status)


def _ms_word(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms:.0f} ms"


def _since(before: Snapshot, after: Snapshot) -> str | None:
    """Time between the probes; None when the old one claims to be newer (forged or skewed)."""
    seconds = int((after.at - before.at).total_seconds())
    if seconds < 0:
        return None
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86_400} d"


# ---------------------------------------------------------------- taking a snapshot


def _epoch(moment: datetime) -> int:
    """Whole epoch seconds; naive times are taken as UTC, as everywhere in the probe."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor(moment.timestamp())


def _in_range(status: int | None) -> int | None:
    return status if status is not None and MIN_STATUS <= status <= MAX_STATUS else None


def _round_ms(ms: float | None) -> float | None:
    if ms is None or not math.isfinite(ms):
        return None
    return float(min(max(round(ms), 0), MAX_MS))


def _int_ms(ms: float | None) -> int | None:
    return None if ms is None else round(ms)


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name[:MAX_TEXT]
    return name if _ERROR_NAME.fullmatch(name) else None


def _failure_word(result: ProbeResult) -> str | None:
    """The failed phase's status word, when it is one the encoding knows."""
    phase = result.failed_phase
    if phase is None:
        return None
    word: str = {
        "dns": result.dns.status,
        "connect": result.connect.status,
        "tls": result.tls.status,
        "http": result.http.status,
    }[phase]
    return word if word in FAILURES[phase] else None


def _origin_ms(origin: ProbeResult) -> float | None:
    timings = origin.timings
    return _round_ms(timings.server_ms if timings.server_ms is not None else timings.total_ms)


# ---------------------------------------------------------------- validating a button value
# Each check tests the exact type first (bool is an int subclass, NaN is a float), then the range,
# and names only the key in its message: the input is never echoed back.


def _int(data: dict[Any, Any], key: str, low: int, high: int) -> int | None:
    value = data[key]
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError(f"{key}: not an integer")
    if not low <= value <= high:
        raise ValueError(f"{key}: out of range")
    return value


def _ms(data: dict[Any, Any], key: str) -> float | None:
    value = _int(data, key, 0, MAX_MS)
    return None if value is None else float(value)


def _text(data: dict[Any, Any], key: str) -> str | None:
    value = data[key]
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError(f"{key}: not a string")
    if not value or len(value) > MAX_TEXT:
        raise ValueError(f"{key}: bad length")
    return value


def _word(data: dict[Any, Any], key: str, allowed: frozenset[str]) -> str | None:
    value = _text(data, key)
    if value is not None and value not in allowed:
        raise ValueError(f"{key}: unknown word")
    return value


def _error_name(data: dict[Any, Any], key: str) -> str | None:
    value = _text(data, key)
    if value is not None and not _ERROR_NAME.fullmatch(value):
        raise ValueError(f"{key}: not an error name")
    return value


def _phase(data: dict[Any, Any], phase_key: str, failure_key: str) -> tuple[str | None, str | None]:
    phase = _word(data, phase_key, frozenset(PHASES))
    failure = _text(data, failure_key)
    if failure is not None and (phase is None or failure not in FAILURES[phase]):
        raise ValueError(f"{failure_key}: unknown word")
    return phase, failure
