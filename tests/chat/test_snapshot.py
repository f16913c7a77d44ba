"""Snapshot, its button encoding and compare(): realistic reports in, hostile values rejected."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.snapshot import Change, Snapshot, compare
from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult
from tests.test_diagnosis import ORIGIN_IP, STARTED, edge, failing, origin

LATER = STARTED + timedelta(minutes=3)


def snap(
    kb: KnowledgeBase,
    edge_result: ProbeResult,
    origin_result: ProbeResult | None = None,
    *,
    at: datetime = STARTED,
) -> Snapshot:
    report = ProbeReport(edge=replace(edge_result, started_at=at), origin=origin_result)
    return Snapshot.of(report, diagnose(report, kb))


def base(**fields: Any) -> Snapshot:
    """A hand-made snapshot: a healthy 200 unless told otherwise."""
    values: dict[str, Any] = {
        "at": STARTED,
        "status": 200,
        "code": None,
        "fault": "none",
        "dns_ms": 12.0,
        "connect_ms": 20.0,
        "tls_ms": 30.0,
        "server_ms": 84.0,
        "total_ms": 146.0,
    }
    return Snapshot(**(values | fields))


def roundtrip(snapshot: Snapshot) -> Snapshot:
    return Snapshot.from_value(json.loads(json.dumps(snapshot.to_value())))


# ---------------------------------------------------------------- Snapshot.of


def test_of_healthy_answer(kb: KnowledgeBase) -> None:
    s = snap(kb, edge(200))
    assert s == Snapshot(
        at=STARTED,
        status=200,
        code=None,
        fault="none",
        failed_phase=None,
        dns_ms=12.0,
        connect_ms=20.0,
        tls_ms=30.0,
        server_ms=84.0,
        total_ms=146.0,
        probed_origin=False,
    )
    assert s.healthy


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        pytest.param(
            failing("connect:refused"),
            {
                "status": None,
                "code": 521,
                "fault": "origin",
                "failed_phase": "connect",
                "failure": "refused",
                "connect_ms": 1.0,
                "server_ms": None,
                "total_ms": 13.0,
            },
            id="connect-refused-521",
        ),
        pytest.param(
            failing("connect:timeout"),
            {
                "status": None,
                "code": 522,
                "fault": "network",
                "failed_phase": "connect",
                "failure": "timeout",
                "connect_ms": 5000.0,
            },
            id="connect-timeout-522",
        ),
        pytest.param(
            failing("http:timeout"),
            {
                "status": None,
                "code": 524,
                "fault": "origin",
                "failed_phase": "http",
                "failure": "timeout",
                "server_ms": None,
            },
            id="read-timeout-524",
        ),
        pytest.param(
            edge(524, ttfb=15_001.4),
            {"status": 524, "code": 524, "fault": "origin", "server_ms": 15_001.0},
            id="edgeone-answers-524",
        ),
    ],
)
def test_of_failures_without_origin_probe(
    kb: KnowledgeBase, probe: ProbeResult, expected: dict[str, object]
) -> None:
    s = snap(kb, probe)
    assert {k: getattr(s, k) for k in expected} == expected
    assert not s.healthy
    assert not s.probed_origin
    assert (s.origin_status, s.origin_failed_phase, s.origin_failure, s.origin_ms) == (None,) * 4


@pytest.mark.parametrize(
    ("edge_result", "origin_result", "expected"),
    [
        pytest.param(
            edge(522, ttfb=10_000.0),
            origin(200, ttfb=40.0),
            {"status": 522, "fault": "network", "origin_status": 200, "origin_ms": 40.0},
            id="522-origin-answers",
        ),
        pytest.param(
            edge(521),
            failing("connect:refused", target=ORIGIN_IP),
            {
                "status": 521,
                "fault": "origin",
                "origin_status": None,
                "origin_failed_phase": "connect",
                "origin_failure": "refused",
                "origin_ms": 1.0,  # no first byte: the time the probe took to fail
            },
            id="521-origin-refuses",
        ),
        pytest.param(
            edge(524, ttfb=15_001.0),
            failing("http:timeout", target=ORIGIN_IP),
            {
                "status": 524,
                "code": 524,
                "origin_failed_phase": "http",
                "origin_failure": "timeout",
            },
            id="524-origin-times-out",
        ),
        pytest.param(
            edge(200),
            origin(200, ttfb=55.6),
            {"status": 200, "fault": "none", "origin_status": 200, "origin_ms": 56.0},
            id="healthy-both",
        ),
    ],
)
def test_of_with_origin_probe(
    kb: KnowledgeBase,
    edge_result: ProbeResult,
    origin_result: ProbeResult,
    expected: dict[str, object],
) -> None:
    s = snap(kb, edge_result, origin_result)
    assert s.probed_origin
    assert {k: getattr(s, k) for k in expected} == expected


def test_of_keeps_only_what_the_encoding_accepts(kb: KnowledgeBase) -> None:
    long_name = "EDGE_FUNCTION_" + "X" * 80
    s = snap(kb, edge(502, error_name=long_name), at=STARTED.replace(microsecond=987_654))
    assert s.error_name == long_name[:64]
    assert s.at == STARTED  # whole seconds, like the button value
    assert snap(kb, edge(502, error_name="<!channel>")).error_name is None


def test_of_takes_naive_start_as_utc(kb: KnowledgeBase) -> None:
    naive = STARTED.replace(tzinfo=None)
    assert snap(kb, edge(200), at=naive).at == STARTED


# ---------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("edge_result", "origin_result"),
    [
        pytest.param(edge(200), None, id="healthy"),
        pytest.param(failing("connect:refused"), None, id="refused"),
        pytest.param(failing("dns:nxdomain"), None, id="nxdomain"),
        pytest.param(failing("tls:cert_invalid:expired"), None, id="cert-expired"),
        pytest.param(edge(522, ttfb=10_000.0), origin(200, ttfb=40.0), id="522-with-origin"),
        pytest.param(
            edge(524, ttfb=15_001.0), failing("http:timeout", target=ORIGIN_IP), id="524-origin"
        ),
        pytest.param(
            edge(502, error_name="EDGE_FUNCTION_INVOCATION_FAILED"), None, id="error-name"
        ),
    ],
)
def test_value_round_trips_through_json(
    kb: KnowledgeBase, edge_result: ProbeResult, origin_result: ProbeResult | None
) -> None:
    s = snap(kb, edge_result, origin_result)
    value = s.to_value()
    assert roundtrip(s) == s
    assert len(json.dumps(value)) < 300
    assert all(type(v) is not float for v in value.values())  # integers only


def test_value_is_rounded_then_exact() -> None:
    s = base(at=STARTED.replace(microsecond=600_000), dns_ms=12.5, server_ms=83.6, total_ms=None)
    value = s.to_value()
    assert (value["t"], value["dn"], value["sv"], value["to"]) == (
        int(STARTED.timestamp()),
        12,
        84,
        None,
    )
    back = roundtrip(s)
    assert back.to_value() == value
    assert (back.at, back.server_ms) == (STARTED, 84.0)


def _valid() -> dict[str, Any]:
    return base(
        status=None,
        code=521,
        fault="origin",
        failed_phase="connect",
        failure="refused",
        probed_origin=True,
        origin_status=200,
        origin_ms=40.0,
    ).to_value()


def _with(**changes: object) -> dict[str, Any]:
    return _valid() | changes


def _without(key: str) -> dict[str, Any]:
    value = _valid()
    del value[key]
    return value


HOSTILE = [
    pytest.param(None, id="null"),
    pytest.param([], id="list"),
    pytest.param("{}", id="string"),
    pytest.param(42, id="number"),
    pytest.param(list(_valid().items()), id="pairs"),
    pytest.param({}, id="empty"),
    pytest.param(_without("t"), id="missing-time"),
    pytest.param(_without("f"), id="missing-fault"),
    pytest.param(_without("om"), id="missing-origin-ms"),
    pytest.param(_with(extra=1), id="unknown-key"),
    pytest.param(_valid() | {1: 1}, id="int-key"),
    pytest.param(_with(v=2), id="future-version"),
    pytest.param(_with(v=True), id="bool-version"),
    pytest.param(_with(s=True), id="bool-status"),
    pytest.param(_with(s=42), id="status-42"),
    pytest.param(_with(s=1000), id="status-1000"),
    pytest.param(_with(s=-200), id="status-negative"),
    pytest.param(_with(s="200"), id="status-string"),
    pytest.param(_with(s=200.0), id="status-float"),
    pytest.param(_with(c=10**40), id="code-huge"),
    pytest.param(_with(os=False), id="bool-origin-status"),
    pytest.param(_with(t=None), id="time-null"),
    pytest.param(_with(t=-5), id="time-negative"),
    pytest.param(_with(t=10**30), id="time-huge"),
    pytest.param(_with(t=1.7e9), id="time-float"),
    pytest.param(_with(t=float("nan")), id="time-nan"),
    pytest.param(_with(dn=-1), id="negative-ms"),
    pytest.param(_with(to=86_400_001), id="ms-over-a-day"),
    pytest.param(_with(sv=float("nan")), id="ms-nan"),
    pytest.param(_with(to=float("inf")), id="ms-inf"),
    pytest.param(_with(co=False), id="bool-ms"),
    pytest.param(_with(o=1), id="int-for-bool"),
    pytest.param(_with(o=None), id="null-bool"),
    pytest.param(_with(f="martians"), id="unknown-fault"),
    pytest.param(_with(f=None), id="null-fault"),
    pytest.param(_with(f="x" * 10_000), id="huge-fault"),
    pytest.param(_with(p="quic"), id="unknown-phase"),
    pytest.param(_with(p="dns"), id="failure-of-another-phase"),
    pytest.param(_with(p=None), id="failure-without-phase"),
    pytest.param(_with(x="ok"), id="ok-is-no-failure"),
    pytest.param(_with(e="A" * 65), id="long-error-name"),
    pytest.param(_with(e=""), id="empty-error-name"),
    pytest.param(_with(e="<!channel> hi"), id="markup-error-name"),
    pytest.param(_with(s={"a": [1, {"b": None}]}), id="nested-status"),
    pytest.param(_with(f=["none"]), id="list-fault"),
    pytest.param(_with(e={"$": []}), id="dict-error-name"),
    pytest.param(_with(o=False), id="origin-results-without-probe"),
]


@pytest.mark.parametrize("data", HOSTILE)
def test_from_value_rejects_hostile_input(data: object) -> None:
    with pytest.raises(ValueError, match=r"^\S+: ") as caught:
        Snapshot.from_value(data)
    message = str(caught.value)
    assert len(message) < 80
    assert "<!channel>" not in message
    assert "martians" not in message


def test_from_value_accepts_the_valid_base() -> None:
    s = Snapshot.from_value(_valid())
    assert (s.status, s.failed_phase, s.failure, s.origin_status) == (
        None,
        "connect",
        "refused",
        200,
    )


# Any JSON value: what json.loads can return from a button value.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=20,
)
KEYS = sorted(_valid())


def _accepted_or_value_error(data: object) -> None:
    try:
        s = Snapshot.from_value(data)
    except ValueError:
        return
    assert roundtrip(s) == s  # whatever is accepted encodes back to itself


@given(JSON)
def test_from_value_only_raises_value_error_on_any_json(data: object) -> None:
    _accepted_or_value_error(data)


@given(
    st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4),
    st.sets(st.sampled_from(KEYS), max_size=2),
)
def test_from_value_only_raises_value_error_on_near_valid_values(
    changes: dict[str, object], dropped: set[str]
) -> None:
    data = _valid() | changes
    for key in dropped:
        del data[key]
    _accepted_or_value_error(data)


# ---------------------------------------------------------------- compare


def test_recovery_names_the_change_and_the_origin_time(kb: KnowledgeBase) -> None:
    before = snap(kb, edge(522, ttfb=10_000.0), failing("connect:timeout", target=ORIGIN_IP))
    after = snap(kb, edge(200, ttfb=120.0), origin(200, ttfb=84.0), at=LATER)
    change = compare(before, after)
    assert change.headline == "522 → 200, origin now answers in 84 ms"
    assert (change.changed, change.recovered, change.broke) == (True, True, False)
    assert change.lines == (
        "since last probe: 3 min",
        "status: 522 → 200",
        "EdgeOne code: 522 → none",
        "fault: network path → none",
        "origin: connect timed out → 200 in 84 ms",
        "first byte: 10.0 s → 120 ms",
        "total: 10.1 s → 182 ms",
    )


@pytest.mark.parametrize(
    ("before_probe", "headline", "line"),
    [
        pytest.param(edge(521), "521 → 200, now answers in 84 ms", "status: 521 → 200", id="521"),
        pytest.param(
            failing("connect:refused"),
            "connect refused → 200, now answers in 84 ms",
            "failed phase: connect refused → none",
            id="refused",
        ),
        pytest.param(
            failing("http:reset"),
            "connection reset → 200, now answers in 84 ms",
            "status: no response → 200",
            id="reset",
        ),
        pytest.param(
            failing("dns:nxdomain"),
            "DNS NXDOMAIN → 200, now answers in 84 ms",
            "fault: DNS → none",
            id="nxdomain",
        ),
    ],
)
def test_recovery_without_origin_probe_uses_the_public_answer(
    kb: KnowledgeBase, before_probe: ProbeResult, headline: str, line: str
) -> None:
    change = compare(snap(kb, before_probe), snap(kb, edge(200), at=LATER))
    assert change.headline == headline
    assert line in change.lines
    assert change.recovered
    assert change.changed


@pytest.mark.parametrize(
    ("after_probe", "headline", "lines"),
    [
        pytest.param(
            edge(524, ttfb=15_001.0),
            "200 → 524: fault at the origin",
            ["EdgeOne code: none → 524", "fault: none → origin", "first byte: 84 ms → 15.0 s"],
            id="524",
        ),
        pytest.param(
            failing("connect:timeout"),
            "200 → connect timed out: fault at the network path",
            ["status: 200 → no response", "failed phase: none → connect timed out"],
            id="connect-timeout",
        ),
        pytest.param(
            edge(502, error_name="EDGE_FUNCTION_INVOCATION_FAILED"),
            "200 → 502: fault at the origin",
            ["error name: none → EDGE_FUNCTION_INVOCATION_FAILED"],
            id="function-error",
        ),
    ],
)
def test_breakage(
    kb: KnowledgeBase, after_probe: ProbeResult, headline: str, lines: list[str]
) -> None:
    change = compare(snap(kb, edge(200)), snap(kb, after_probe, at=LATER))
    assert change.headline == headline
    assert set(lines) <= set(change.lines)
    assert (change.changed, change.recovered, change.broke) == (True, False, True)


@pytest.mark.parametrize(
    ("before_probe", "after_probe", "headline"),
    [
        pytest.param(
            edge(522, ttfb=10_000.0),
            edge(522, ttfb=10_900.0),  # 900 ms but under 20 %
            "still 522 (fault at the network path)",
            id="522-slow-jitter",
        ),
        pytest.param(
            edge(200, ttfb=84.0), edge(200, ttfb=130.0), "still 200 (healthy)", id="200-fast-jitter"
        ),
        pytest.param(
            failing("connect:refused"),
            failing("connect:refused"),
            "still connect refused (fault at the origin)",
            id="refused-twice",
        ),
    ],
)
def test_unchanged_with_jitter_has_no_timing_lines(
    kb: KnowledgeBase, before_probe: ProbeResult, after_probe: ProbeResult, headline: str
) -> None:
    change = compare(snap(kb, before_probe), snap(kb, after_probe, at=LATER))
    assert change == Change(
        headline=headline,
        lines=("since last probe: 3 min",),
        changed=False,
        recovered=False,
        broke=False,
    )


@pytest.mark.parametrize(
    ("was", "now", "shown"),
    [
        pytest.param(100.0, 149.0, False, id="49ms-apart"),
        pytest.param(100.0, 150.0, True, id="50ms-apart"),
        pytest.param(1000.0, 1199.0, False, id="under-20pc"),
        pytest.param(1000.0, 1200.0, True, id="20pc"),
        pytest.param(1200.0, 1000.0, True, id="20pc-faster"),
        pytest.param(1002.0, 12.0, True, id="connect-recovers"),
    ],
)
def test_timing_lines_need_50ms_and_20pc(was: float, now: float, shown: bool) -> None:
    change = compare(base(connect_ms=was), base(connect_ms=now))
    expected = f"connect: {was:.0f} ms → {now:.0f} ms"
    assert (expected in change.lines) is shown
    assert not change.changed  # timing alone never counts as a change


def test_slowdown_while_healthy_is_a_line_not_a_change(kb: KnowledgeBase) -> None:
    change = compare(snap(kb, edge(200)), snap(kb, edge(200, ttfb=900.0), at=LATER))
    assert change.headline == "still 200 (healthy)"
    assert "first byte: 84 ms → 900 ms" in change.lines
    assert not change.changed


def test_no_response_to_a_status() -> None:
    before = base(status=None, code=521, fault="origin", failed_phase="connect", failure="refused")
    after = base(status=502, code=502, fault="origin")
    change = compare(before, after)
    assert change.headline == "connect refused → 502: fault at the origin"
    assert "status: no response → 502" in change.lines
    assert (change.changed, change.recovered, change.broke) == (True, False, False)


def test_no_status_and_no_phase_reads_no_response() -> None:
    change = compare(base(status=None, fault="network"), base())
    assert change.headline == "no response → 200, now answers in 84 ms"


def test_origin_change_behind_the_same_status(kb: KnowledgeBase) -> None:
    before = snap(kb, edge(502), origin(200, ttfb=40.0))
    after = snap(kb, edge(502), failing("connect:refused", target=ORIGIN_IP), at=LATER)
    change = compare(before, after)
    assert change.headline == "still 502, now fault at the origin"
    assert "origin: 200 in 40 ms → connect refused" in change.lines
    assert change.changed


def test_origin_probed_only_now_is_information_not_change() -> None:
    after = base(probed_origin=True, origin_status=200, origin_ms=40.0)
    change = compare(base(), after)
    assert "origin: not probed → 200 in 40 ms" in change.lines
    assert not change.changed
    assert change.headline == "still 200 (healthy)"


def test_origin_timing_line_when_its_outcome_holds() -> None:
    origin_fields: dict[str, Any] = {"probed_origin": True, "origin_status": 200}
    change = compare(base(origin_ms=40.0, **origin_fields), base(origin_ms=900.0, **origin_fields))
    assert "origin time: 40 ms → 900 ms" in change.lines
    assert not change.changed


@pytest.mark.parametrize(
    ("gap", "line"),
    [
        pytest.param(timedelta(seconds=42), "since last probe: 42 s", id="seconds"),
        pytest.param(timedelta(minutes=59, seconds=59), "since last probe: 59 min", id="minutes"),
        pytest.param(timedelta(hours=2), "since last probe: 2 h", id="hours"),
        pytest.param(timedelta(hours=2, minutes=5), "since last probe: 2 h 5 min", id="h-min"),
        pytest.param(timedelta(days=3, hours=1), "since last probe: 3 d", id="days"),
    ],
)
def test_time_since_last_probe(gap: timedelta, line: str) -> None:
    assert compare(base(), base(at=STARTED + gap)).lines == (line,)


def test_forged_future_before_gives_no_time_line() -> None:
    before = base(at=datetime(2099, 1, 1, tzinfo=UTC))
    assert compare(before, base()).lines == ()


def test_healthy_status_change_stays_healthy() -> None:
    change = compare(base(), base(status=301))
    assert change.headline == "200 → 301, still healthy"
    assert (change.changed, change.recovered, change.broke) == (True, False, False)
