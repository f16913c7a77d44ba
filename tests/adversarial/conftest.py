"""Shared pieces for the adversarial tests: loopback settings, the checks every result must pass.

The Slack harness (a signed-request endpoint and a fake Slack Web API) is borrowed from
tests/slack so hostile answers can be followed all the way to what Slack is sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult
from bot.probe.runner import ProbeSettings
from bot.probe.safety import ProbePolicy
from bot.render.blocks import Message, diagnosis_message
from bot.render.json import probe_dict
from bot.render.probe_text import render_probe
from tests.slack.conftest import bot, fake, services

__all__ = ["bot", "fake", "services"]  # fixtures the adversarial tests use

LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.0/8", "::1/128"], ports=["1-65535"])

# What a user must never read: exception class names, tracebacks, anyio's cancel scopes, the
# reprs h11 puts in its messages, raw errno text.
INTERNALS = re.compile(
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Timeout|Cancelled)\b"
    r"|Traceback|cancel scope|bytearray|\[Errno|\bh11\b|httpcore|anyio"
)


def settings(**overrides: Any) -> ProbeSettings:
    base = ProbeSettings(
        policy=LOOPBACK,
        connect_timeout=0.5,
        tls_timeout=0.5,
        read_timeout=0.5,
        dns_timeout=0.5,
        deadline=5.0,
    )
    return replace(base, **overrides)


def failure_texts(result: ProbeResult) -> list[str]:
    """Every failure text a probe result carries."""
    texts = [result.dns.error, result.connect.error, result.tls.error, result.http.error]
    texts += [lookup.error for lookup in getattr(result.dns, "lookups", ())]
    return [t for t in texts if t]


def assert_worded(report: ProbeReport, diagnosis: Diagnosis) -> None:
    """No library internals in the result's failures or in the diagnosis."""
    results = [report.edge, *([report.origin] if report.origin else [])]
    for text in [t for r in results for t in failure_texts(r)]:
        assert not INTERNALS.search(text), text
    for text in [diagnosis.summary, *diagnosis.evidence, *diagnosis.next_steps]:
        assert not INTERNALS.search(text), text


class Rendered:
    """One report and its diagnosis through every renderer."""

    def __init__(self, report: ProbeReport, kb: KnowledgeBase, stated: int | None = None) -> None:
        self.report = report
        self.diagnosis = diagnose(report, kb, stated_code=stated)
        self.terminal = render_probe(report, self.diagnosis)
        self.slack: Message = diagnosis_message(report, self.diagnosis)
        self.blocks = json.dumps(self.slack.block_dicts(), ensure_ascii=False)
        self.json = probe_dict(report, self.diagnosis)
        json.dumps(self.json)  # serialisable


def render_all(report: ProbeReport, kb: KnowledgeBase, stated: int | None = None) -> Rendered:
    rendered = Rendered(report, kb, stated)
    assert_worded(report, rendered.diagnosis)
    assert not INTERNALS.search(rendered.terminal), rendered.terminal
    return rendered
