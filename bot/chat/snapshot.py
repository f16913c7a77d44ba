"""What one probe found, small enough to ride in a Slack button, and what changed since.

The "Probe again" button answers the on-call engineer's first question after a fix: did it work?
Saying "522 → 200, origin now answers in 84 ms" needs the previous result, and the one place to
keep it without server-side state (which a restart or a second replica would lose) is the button's
``value``: at most 2000 characters, and sent back by whatever client pressed the button. So a
``Snapshot`` keeps only the outcome and the phase timings, ``to_value`` encodes them with short
keys, and ``Snapshot.from_value`` treats what comes back as hostile: exact types, closed word
lists, bounded numbers and strings, and a short ``ValueError`` for anything else.

``compare`` turns two snapshots into a headline and one line per difference, in the language of
the conversation. It is pure (no I/O, no Slack), so every surface renders the same ``Change``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, get_args

from bot.diagnosis import Diagnosis, Fault
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
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


def compare(before: Snapshot, after: Snapshot, language: Language = "en") -> Change:
    """What changed from ``before`` (the last probe, from the button) to ``after`` (this one),
    worded in ``language``."""
    recovered = after.healthy and not before.healthy
    broke = before.healthy and not after.healthy
    # The origin only counts when both probes hit it: probing it this time and not last time
    # adds information but is no change in the site.
    both_origin = before.probed_origin and after.probed_origin
    changed = _outcome(before) != _outcome(after) or (
        both_origin and _origin_outcome(before) != _origin_outcome(after)
    )
    words = _Words(language)
    return Change(
        headline=words.headline(before, after, changed=changed, recovered=recovered),
        lines=tuple(words.lines(before, after)),
        changed=changed,
        recovered=recovered,
        broke=broke,
    )


# ---------------------------------------------------------------- comparison wording

_FAULT_WORDS: Final = {
    "origin": N_("origin"),
    "edge": N_("EdgeOne configuration"),
    "network": N_("network path"),
    "dns": N_("DNS"),
    "client": N_("client"),
    "account": N_("account or plan"),
    "provider": N_("other CDN or platform"),
    "none": N_("none"),
}
_PHASE_NAMES: Final = {
    "dns": N_("DNS"),
    "connect": N_("connect"),
    "tls": N_("TLS"),
    "http": N_("HTTP"),
}
_FAILURE_WORDS: Final = {
    "nxdomain": N_("NXDOMAIN"),
    "servfail": N_("SERVFAIL"),
    "no_answer": N_("no address"),
    "timeout": N_("timed out"),
    "refused": N_("refused"),
    "unreachable": N_("unreachable"),
    "error": N_("failed"),
    "handshake_failed": N_("handshake failed"),
    "cert_invalid": N_("certificate rejected"),
}
# After the request was sent the phase name says little; what the connection did says more.
_HTTP_FAILURES: Final = {
    "reset": N_("connection reset"),
    "closed": N_("connection closed"),
    "timeout": N_("no response in time"),
    "error": N_("invalid response"),
}


class _Words:
    """The wording of a comparison in one language."""

    def __init__(self, language: Language) -> None:
        self._ = texts(language)

    def headline(self, before: Snapshot, after: Snapshot, *, changed: bool, recovered: bool) -> str:
        _ = self._
        was, now = self.outcome(before), self.outcome(after)
        if was == now:
            if not changed:
                return _("still {now} ({verdict})").format(now=now, verdict=self.verdict(after))
            return _("still {now}, now {verdict}").format(now=now, verdict=self.verdict(after))
        if recovered:
            return _("{was} → {now}, {answers}").format(
                was=was, now=now, answers=self.answers(after)
            )
        if after.healthy:  # healthy both times with another status, e.g. 200 → 301
            return _("{was} → {now}, still healthy").format(was=was, now=now)
        return _("{was} → {now}: {verdict}").format(was=was, now=now, verdict=self.verdict(after))

    def lines(self, before: Snapshot, after: Snapshot) -> list[str]:
        _ = self._
        lines: list[str] = []
        if since := self.since(before, after):
            lines.append(_("since last probe: {since}").format(since=since))
        if before.status != after.status:
            lines.append(
                _("status: {was} → {now}").format(
                    was=self.status(before.status), now=self.status(after.status)
                )
            )
        if before.code != after.code:
            lines.append(
                _("EdgeOne code: {was} → {now}").format(
                    was=before.code or _("none"), now=after.code or _("none")
                )
            )
        if before.fault != after.fault:
            lines.append(
                _("fault: {was} → {now}").format(
                    was=self.fault(before.fault), now=self.fault(after.fault)
                )
            )
        if (before.failed_phase, before.failure) != (after.failed_phase, after.failure):
            lines.append(
                _("failed phase: {was} → {now}").format(
                    was=self.failed(before.failed_phase, before.failure),
                    now=self.failed(after.failed_phase, after.failure),
                )
            )
        if before.error_name != after.error_name:
            lines.append(
                _("error name: {was} → {now}").format(
                    was=before.error_name or _("none"), now=after.error_name or _("none")
                )
            )
        origin_moved = (before.probed_origin, *_origin_outcome(before)) != (
            after.probed_origin,
            *_origin_outcome(after),
        )
        if origin_moved:
            lines.append(
                _("origin: {was} → {now}").format(was=self.origin(before), now=self.origin(after))
            )
        timings = [
            (_("DNS"), before.dns_ms, after.dns_ms),
            (_("connect"), before.connect_ms, after.connect_ms),
            (_("TLS"), before.tls_ms, after.tls_ms),
            (_("first byte"), before.server_ms, after.server_ms),
            (_("total"), before.total_ms, after.total_ms),
        ]
        if not origin_moved:  # otherwise the origin line already carries the new time
            timings.append((_("origin time"), before.origin_ms, after.origin_ms))
        lines += [
            _("{label}: {was} → {now}").format(label=label, was=_ms_word(was), now=_ms_word(now))
            for label, was, now in timings
            if was is not None and now is not None and _notable(was, now)
        ]
        return lines

    def outcome(self, s: Snapshot) -> str:
        """The status, or how the probe failed before one came back ("connect refused")."""
        if s.status is not None:
            return str(s.status)
        if s.failed_phase is not None:
            return self.failed(s.failed_phase, s.failure)
        return self._("no response")

    def verdict(self, s: Snapshot) -> str:
        _ = self._
        if s.healthy:
            return _("healthy")
        if s.fault == "none":
            return _("no fault named")
        return _("fault at the {side}").format(side=self.fault(s.fault))

    def fault(self, fault: str) -> str:
        return self._(_FAULT_WORDS[fault]) if fault in _FAULT_WORDS else fault

    def answers(self, s: Snapshot) -> str:
        """Who answers now and how fast: the origin when it was probed, else the public URL."""
        _ = self._
        if s.probed_origin and s.origin_status is not None and s.origin_ms is not None:
            return _("origin now answers in {time}").format(time=_ms_word(s.origin_ms))
        if s.server_ms is not None:
            # The public URL may or may not be served by EdgeOne; the snapshot does not know.
            return _("now answers in {time}").format(time=_ms_word(s.server_ms))
        return _("healthy again")

    def origin(self, s: Snapshot) -> str:
        _ = self._
        if not s.probed_origin:
            return _("not probed")
        if s.origin_status is not None:
            if s.origin_ms is None:
                return str(s.origin_status)
            return _("{status} in {time}").format(
                status=s.origin_status, time=_ms_word(s.origin_ms)
            )
        if s.origin_failed_phase is not None:
            return self.failed(s.origin_failed_phase, s.origin_failure)
        return _("no answer")

    def failed(self, phase: str | None, failure: str | None) -> str:
        _ = self._
        if phase is None:
            return _("none")
        if phase == "http" and failure in _HTTP_FAILURES:
            return _(_HTTP_FAILURES[failure])
        word = _(_FAILURE_WORDS.get(failure, N_("failed"))) if failure else _("failed")
        name = _(_PHASE_NAMES[phase]) if phase in _PHASE_NAMES else phase
        return _("{phase} {failure}").format(phase=name, failure=word)

    def status(self, status: int | None) -> str:
        return self._("no response") if status is None else str(status)

    def since(self, before: Snapshot, after: Snapshot) -> str | None:
        """Time between the probes; None when the old one claims to be newer (forged or skewed)."""
        _ = self._
        seconds = int((after.at - before.at).total_seconds())
        if seconds < 0:
            return None
        if seconds < 60:
            return _("{seconds} s").format(seconds=seconds)
        if seconds < 3600:
            return _("{minutes} min").format(minutes=seconds // 60)
        if seconds < 86_400:
            hours, minutes = divmod(seconds // 60, 60)
            if minutes:
                return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
            return _("{hours} h").format(hours=hours)
        return _("{days} d").format(days=seconds // 86_400)


def _notable(was: float, now: float) -> bool:
    low, high = sorted((was, now))
    return high - low >= NOTABLE_MS and high >= low * NOTABLE_RATIO


def _outcome(s: Snapshot) -> tuple[object, ...]:
    return (s.status, s.code, s.fault, s.failed_phase, s.failure, s.error_name)


def _origin_outcome(s: Snapshot) -> tuple[object, ...]:
    return (s.origin_status, s.origin_failed_phase, s.origin_failure)


def _ms_word(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms:.0f} ms"


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
