"""One of every regional reply, for the tests that render every reply of the conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.agents.outcomes import AgentInfo, LiveAgent
from bot.agents.verdict import read_regions, region_states, regional_changes
from bot.chat.regional_replies import (
    AgentsReply,
    RegionalNews,
    RegionalOutcome,
    RegionalProgress,
    RegionalShared,
    RegionalSummary,
)
from bot.chat.replies import ProbeOutcome, ProbeRequest, WatchInfo
from bot.chat.snapshot import Snapshot
from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase
from tests.agents.test_verdict import report, seen

URL = "https://shop.example.com/<!channel>"
USER = "U0ABC123"
UNTIL = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
NOW = datetime(2026, 5, 1, 10, 0, 30, tzinfo=UTC)


def request(**fields: Any) -> ProbeRequest:
    return ProbeRequest(URL, regions=fields.pop("regions", "all"), **fields)


def local(kb: KnowledgeBase, status: int = 200) -> ProbeOutcome:
    rep = report(status=status)
    diagnosis = diagnose(rep, kb)
    return ProbeOutcome(request(), rep, diagnosis, Snapshot.of(rep, diagnosis))


def outcome(kb: KnowledgeBase, **fields: Any) -> RegionalOutcome:
    verdict = read_regions(
        seen(kb, local=report(), fra=report(uuid="2a3b"), sin=report(status=502, uuid="9f8e7d")),
        {"syd": "no agent is running in syd: none has sent a heartbeat lately"},
    )
    values: dict[str, Any] = {
        "request": request(),
        "verdict": verdict,
        "local": local(kb),
        "states": region_states(verdict),
    }
    return RegionalOutcome(**(values | fields))


def unreachable(kb: KnowledgeBase) -> RegionalOutcome:
    line = "NATS unreachable (nats://127.0.0.1:4222): connection refused"
    verdict = read_regions(seen(kb, local=report(status=522)), {"fra": line, "sin": line})
    return outcome(kb, verdict=verdict, local=local(kb, 522), unreachable=line)


def refused(kb: KnowledgeBase) -> RegionalOutcome:
    why = "refused by the agent's policy: 10.0.0.1 is a private address"
    verdict = read_regions({}, {"local": why, "fra": why, "sin": why})
    return outcome(kb, verdict=verdict, local=None, refused=True, states={})


def changed(kb: KnowledgeBase) -> RegionalOutcome:
    after = outcome(kb)
    change = regional_changes({"local": "ok", "fra": "fail:522", "sin": "ok"}, after.verdict)
    return outcome(kb, change=change)


def info(*, active: bool = True) -> WatchInfo:
    return WatchInfo(watch_id="a1b2c3d4e5f6", until=UNTIL, interval=30.0, active=active)


def agents() -> tuple[LiveAgent, ...]:
    info_ = AgentInfo("fra", "fra-1", "0.1.0", "vm-1", "Linux", "3.11", 7, 8)
    return (LiveAgent(info_, "ready", NOW - timedelta(seconds=2), 5.0, True),)


def news(kb: KnowledgeBase, kind: str) -> RegionalNews:
    made = changed(kb)
    return RegionalNews(
        kind=kind,  # type: ignore[arg-type]
        watch_id="a1b2c3d4e5f6",
        url=URL,
        verdict=made.verdict,
        change=made.change,
        probes=3,
        until=UNTIL,
    )


REGIONAL_REPLIES: list[Any] = [
    pytest.param(lambda kb, m: outcome(kb), id="regional"),
    pytest.param(lambda kb, m: changed(kb), id="regional-changed"),
    pytest.param(lambda kb, m: unreachable(kb), id="regional-nats-unreachable"),
    pytest.param(lambda kb, m: refused(kb), id="regional-refused"),
    pytest.param(lambda kb, m: outcome(kb, watch=info()), id="regional-watching"),
    pytest.param(lambda kb, m: outcome(kb, watch=info(active=False)), id="regional-watch-ended"),
    pytest.param(lambda kb, m: RegionalProgress(URL, ("fra", "sin"), USER), id="regional-progress"),
    pytest.param(lambda kb, m: RegionalSummary(outcome(kb), USER), id="regional-summary"),
    pytest.param(
        lambda kb, m: RegionalShared(request(), region_states(outcome(kb).verdict), USER),
        id="regional-shared",
    ),
    pytest.param(lambda kb, m: news(kb, "changed"), id="regional-news"),
    pytest.param(lambda kb, m: news(kb, "recovered"), id="regional-recovered"),
    pytest.param(lambda kb, m: AgentsReply(agents(), ("fra", "sin"), NOW), id="regional-agents"),
]
