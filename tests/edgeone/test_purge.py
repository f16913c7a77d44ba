"""Purge: the guard, the plan a confirmation carries, and CreatePurgeTask + polling to the end."""

from __future__ import annotations

import json

import pytest

from bot.edgeone.purge import (
    PurgePlan,
    PurgeTarget,
    may_purge,
    parse_purge_target,
    plan_purge,
    run_purge,
)
from bot.edgeone.settings import PurgeSettings
from bot.edgeone.view import EdgeOne
from tests.edgeone.conftest import Clock
from tests.servers.teo import HOST, ZONE_ID, FakeTeo

URL = f"https://{HOST}/static/app.js?v=3"
ON = PurgeSettings(allowed=True, users=frozenset({"U0ALICE1"}), groups=frozenset({"S0ONCALL"}))


class Sleeper:
    """asyncio.sleep stand-in that moves the clock instead of waiting."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds)


@pytest.mark.parametrize(
    ("settings", "user", "groups", "allowed", "words"),
    [
        (PurgeSettings(), "U0ALICE1", (), False, "turned off"),
        (PurgeSettings(allowed=False, users=frozenset({"U0ALICE1"})), "U0ALICE1", (), False, "off"),
        (ON, "U0ALICE1", (), True, None),
        (ON, "U0BOB222", ("S0ONCALL",), True, None),
        (ON, "U0BOB222", ("S0OTHERS",), False, "not among the people"),
    ],
    ids=["off", "off-even-if-listed", "listed-user", "listed-group", "not-listed"],
)
def test_guard(
    settings: PurgeSettings, user: str, groups: tuple[str, ...], allowed: bool, words: str | None
) -> None:
    decision = may_purge(settings, user=user, groups=groups)
    assert decision.allowed is allowed
    if words is None:
        assert decision.reason is None  # nothing to explain
    else:
        assert words in str(decision.reason)


def test_targets() -> None:
    assert parse_purge_target(URL) == PurgeTarget("purge_url", URL, HOST)
    assert parse_purge_target(f"<{URL}>") == PurgeTarget("purge_url", URL, HOST)  # Slack link
    assert parse_purge_target(" Shop.Example.com ") == PurgeTarget("purge_host", HOST, HOST)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "give a URL"),
        ("*", "whole zone"),
        ("*.example.com", "wildcard"),
        ("ftp://shop.example.com/x", "only http and https"),
        ("https://u:p@shop.example.com/", "user name and password"),
        ("https://shop.example.com/a b", "spaces"),
        ("https://203.0.113.10/x", "IP address"),
    ],
)
def test_bad_targets(raw: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_purge_target(raw)


async def test_plan_round_trips_through_a_button(edgeone: EdgeOne) -> None:
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    assert (plan.zone_id, plan.zone_name, plan.requested_by) == (ZONE_ID, "example.com", "U0ALICE1")
    assert str(plan.summary) == f"Purge the cached {URL} from EdgeOne's cache (zone example.com)?"
    assert len(plan.value) < 2000
    assert PurgePlan.read(plan.value) == plan


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        '{"v": 2, "k": "purge_url", "t": "https://a.example.com/", "z": "z", "n": "", "u": "U1"}',
        '{"v": 1, "k": "purge_host", "t": "https://a.example.com/", "z": "z", "n": "", "u": "U1"}',
        '{"v": 1, "k": "purge_url", "t": "*", "z": "z", "n": "", "u": "U1"}',
        '{"v": 1}',
    ],
    ids=["garbage", "version", "kind-mismatch", "zone-wide", "incomplete"],
)
def test_tampered_plan_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="does not read back"):
        PurgePlan.read(value)


async def test_purge_url_polls_until_done(edgeone: EdgeOne, fake: FakeTeo, clock: Clock) -> None:
    fake.world.purge_statuses = ["processing", "processing", "success"]
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    sleeper = Sleeper(clock)
    result = await run_purge(edgeone.client, plan, interval=2, sleep=sleeper, clock=clock)
    assert result.state == "done"
    assert result.job_id
    assert result.waited_s == 4
    assert sleeper.slept == [2, 2]
    (create,) = fake.calls_of("CreatePurgeTask")
    assert create.params == {"ZoneId": ZONE_ID, "Type": "purge_url", "Targets": [URL]}
    polls = fake.calls_of("DescribePurgeTasks")
    assert len(polls) == 3
    assert polls[0].params["Filters"] == [{"Name": "job-id", "Values": [result.job_id]}]


async def test_purge_host_invalidates(edgeone: EdgeOne, fake: FakeTeo, clock: Clock) -> None:
    plan = await plan_purge(edgeone.zones, parse_purge_target(HOST), user="U0ALICE1")
    assert str(plan.summary).startswith("Purge every cached object of shop.example.com")
    result = await run_purge(edgeone.client, plan, sleep=Sleeper(clock), clock=clock)
    assert result.state == "done"
    (create,) = fake.calls_of("CreatePurgeTask")
    assert create.params == {
        "ZoneId": ZONE_ID,
        "Type": "purge_host",
        "Targets": [HOST],
        "Method": "invalidate",
    }


async def test_purge_that_fails(edgeone: EdgeOne, fake: FakeTeo, clock: Clock) -> None:
    fake.world.purge_statuses = ["processing", "failed"]
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    result = await run_purge(edgeone.client, plan, sleep=Sleeper(clock), clock=clock)
    assert result.state == "failed"
    assert result.failed == ((URL, "origin pull failed"),)


async def test_purge_refused_at_creation(edgeone: EdgeOne, fake: FakeTeo, clock: Clock) -> None:
    fake.world.purge_refused[URL] = "the daily purge quota is used up"
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    result = await run_purge(edgeone.client, plan, sleep=Sleeper(clock), clock=clock)
    assert result.state == "failed"
    assert result.failed == ((URL, "the daily purge quota is used up"),)
    assert fake.calls_of("DescribePurgeTasks") == []


async def test_purge_still_running_when_the_wait_ends(
    edgeone: EdgeOne, fake: FakeTeo, clock: Clock
) -> None:
    fake.world.purge_statuses = ["processing"]
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    result = await run_purge(
        edgeone.client, plan, interval=2, wait_at_most=7, sleep=Sleeper(clock), clock=clock
    )
    assert result.state == "running"
    assert result.waited_s == 6
    assert len(fake.calls_of("DescribePurgeTasks")) == 4


async def test_purge_without_the_write_permission(
    edgeone: EdgeOne, fake: FakeTeo, clock: Clock
) -> None:
    fake.fail("CreatePurgeTask", "UnauthorizedOperation.CamNoAuth")
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    result = await run_purge(edgeone.client, plan, sleep=Sleeper(clock), clock=clock)
    assert result.state == "error"
    assert result.problem is not None
    assert "add teo:CreatePurgeTask to its CAM policy" in str(result.problem.message)


async def test_a_plan_carries_its_language_through_the_button(edgeone: EdgeOne) -> None:
    plan = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1", language="zh")
    assert json.loads(plan.value)["l"] == "zh"
    assert PurgePlan.read(plan.value).language == "zh"
    assert plan.summary.say("zh") == f"确认刷新 EdgeOne 上 {URL} 的缓存吗？（站点 example.com）"
    english = await plan_purge(edgeone.zones, parse_purge_target(URL), user="U0ALICE1")
    assert "l" not in json.loads(english.value)  # buttons from before languages read as English
    assert PurgePlan.read(english.value).language == "en"
    unknown = json.dumps(json.loads(plan.value) | {"l": "fr"})
    with pytest.raises(ValueError, match="does not read back"):
        PurgePlan.read(unknown)
