"""Prometheus metrics of one replica, served as ``GET /metrics`` (text exposition format).

One registry per process (``METRICS``): each replica is scraped on its own, so no multiprocess
mode is needed. Labels take only bounded values (kinds, outcomes, EdgeOne codes, Web API method
names and error codes), never user text:

- ``eo_requests_total{kind}``: Slack requests received (command, event, action, view, other);
- ``eo_acks_total{kind,status}`` and ``eo_ack_seconds{kind}``: acknowledgements and their
  latency, from the request's arrival to the answer on the wire;
- ``eo_probes_total{outcome,code}``: probes by outcome (healthy, failing, refused, error) and
  the EdgeOne code named (``none`` when none);
- ``eo_probe_phase_seconds{phase}``: dns, connect, tls, server, transfer and total;
- ``eo_watches_active``: watches this replica runs;
- ``eo_slack_api_calls_total{method,error}``: Web API calls and ``response_url`` posts by method
  and outcome (``ok``, Slack's error code, ``http_429`` for each rate-limited attempt);
- ``eo_questions_unmatched_total{kind}``: questions with no confident match (``none``: nothing
  came close; ``weak``: only suggestions), the knowledge base's to-do list;
- ``eo_state_errors_total{operation}`` and ``eo_state_degraded``: shared-store failures, and
  whether this replica answers from its own memory because Redis is lost;
- the process itself (``process_resident_memory_bytes``, CPU, open files).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

_ERROR = re.compile(r"[a-z0-9_]{1,40}")
_METHOD = re.compile(r"[A-Za-z0-9_.]{1,60}")
ACK_BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)
PHASE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
PHASES = ("dns", "connect", "tls", "server", "transfer", "total")


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        self.requests = Counter(
            "eo_requests", "Slack requests received, by kind", ["kind"], registry=r
        )
        self.acks = Counter(
            "eo_acks",
            "Acknowledgements sent, by kind and HTTP status",
            ["kind", "status"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "eo_ack_seconds",
            "Time from a request's arrival to its acknowledgement",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.probes = Counter(
            "eo_probes", "Probes run, by outcome and EdgeOne code", ["outcome", "code"], registry=r
        )
        self.probe_phase = Histogram(
            "eo_probe_phase_seconds",
            "Duration of each phase of a probe",
            ["phase"],
            buckets=PHASE_BUCKETS,
            registry=r,
        )
        self.watches = Gauge("eo_watches_active", "Watches this replica runs", registry=r)
        self.slack_calls = Counter(
            "eo_slack_api_calls",
            "Slack Web API calls by method and outcome (ok, an error code, http_429)",
            ["method", "error"],
            registry=r,
        )
        self.unmatched = Counter(
            "eo_questions_unmatched",
            "Questions with no confident match (none: nothing close; weak: suggestions only)",
            ["kind"],
            registry=r,
        )
        self.state_errors = Counter(
            "eo_state_errors", "Shared-store operations that failed", ["operation"], registry=r
        )
        self.state_degraded = Gauge(
            "eo_state_degraded",
            "1 while this replica answers from its own memory because Redis is lost",
            registry=r,
        )

    def probe(self, outcome: str, code: int | None) -> None:
        self.probes.labels(outcome, str(code) if code is not None else "none").inc()

    def phases(self, timings: dict[str, float | None]) -> None:
        for phase in PHASES:
            ms = timings.get(phase)
            if ms is not None and ms >= 0:
                self.probe_phase.labels(phase).observe(ms / 1000)

    def slack_call(self, method: str, error: str = "ok") -> None:
        method = method if _METHOD.fullmatch(method) else "other"
        self.slack_calls.labels(method, error if _ERROR.fullmatch(error) else "other").inc()

    def ack(self, kind: str, status: int, seconds: float) -> None:
        self.acks.labels(kind, str(status)).inc()
        self.ack_seconds.labels(kind).observe(seconds)

    def track_watches(self, count: Callable[[], int]) -> None:
        self.watches.set_function(lambda: float(count()))

    def track_degraded(self, degraded: Callable[[], bool]) -> None:
        self.state_degraded.set_function(lambda: 1.0 if degraded() else 0.0)

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


METRICS = Metrics()
