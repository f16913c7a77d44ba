"""One contract, two stores: every part of ``bot.state`` behaves alike in memory and in Redis.

The Redis side builds each part (and each "replica") on its own connection, so what is checked
is what several replicas sharing one Redis see.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.chat.history import MAX_URL_KEPT, RecentProbe
from bot.i18n.language import Language
from bot.state.base import WatchLimits, WatchRecord
from tests.state.conftest import Stores

LIMITS = WatchLimits(per_user=2, per_channel=3, total=4)


def record(
    watch_id: str,
    *,
    url: str = "https://shop.example.com/",
    user: str = "U1",
    channel: str = "C1",
    thread: str = "1700000000.000100",
    language: Language = "en",
) -> WatchRecord:
    return WatchRecord(
        id=watch_id,
        url=url,
        user=user,
        channel=channel,
        thread=thread,
        duration=600.0,
        interval=30.0,
        started=1_700_000_000.0,
        language=language,
    )


# -- de-duplication ---------------------------------------------------------------------------


async def test_first_sighting_only(stores: Stores) -> None:
    seen = stores.seen()
    assert await seen.first("event:Ev1")
    assert not await seen.first("event:Ev1")
    assert await seen.first("event:Ev2")


async def test_first_sighting_is_atomic_across_replicas(stores: Stores) -> None:
    replicas = [stores.seen() for _ in range(4)]
    answers = await asyncio.gather(*(r.first("message:C1:1.2") for r in replicas * 5))
    assert answers.count(True) == 1


async def test_sightings_expire(stores: Stores) -> None:
    seen = stores.seen(ttl=0.2)
    assert await seen.first("event:Ev1")
    assert not await seen.first("event:Ev1")
    await asyncio.sleep(0.35)
    assert await seen.first("event:Ev1")


# -- rate limits ------------------------------------------------------------------------------


async def test_rate_limit_per_key_and_the_wait(stores: Stores) -> None:
    rate = stores.rate(2, 60.0)
    assert (rate.count, rate.window) == (2, 60.0)
    assert await rate.acquire("U1") is None
    assert await rate.acquire("U1") is None
    wait = await rate.acquire("U1")
    assert wait is not None
    assert 58.0 < wait <= 60.0
    assert await rate.acquire("U2") is None  # another key has its own budget


async def test_rate_limit_is_fleet_wide(stores: Stores) -> None:
    replicas = [stores.rate(3, 60.0) for _ in range(3)]
    answers = await asyncio.gather(*(r.acquire("U1") for r in replicas * 3))
    assert sum(a is None for a in answers) == 3


async def test_rate_limit_window_slides(stores: Stores) -> None:
    rate = stores.rate(1, 0.3)
    assert await rate.acquire("U1") is None
    assert await rate.acquire("U1") is not None
    await asyncio.sleep(0.4)
    assert await rate.acquire("U1") is None


# -- the probe cap ----------------------------------------------------------------------------


async def test_cap_limits_and_gives_back(stores: Stores) -> None:
    cap = stores.cap(2)
    first, second = await cap.take(), await cap.take()
    assert first is not None
    assert second is not None
    assert await cap.take() is None
    first.release()
    first.release()  # idempotent: frees one place, not two
    await asyncio.sleep(0.05)  # a shared cap gives the place back in the background
    third = await cap.take()
    assert third is not None
    assert await cap.take() is None
    second.release()
    third.release()


async def test_watches_get_a_share_of_the_cap(stores: Stores) -> None:
    cap = stores.cap(4)
    assert cap.watch_limit == 2
    rounds = [await cap.take_for_watch(), await cap.take_for_watch()]
    assert all(r is not None for r in rounds)
    assert await cap.take_for_watch() is None
    people = [await cap.take(), await cap.take()]
    assert all(p is not None for p in people)
    assert await cap.take() is None


async def test_cap_is_fleet_wide(stores: Stores) -> None:
    replicas = [stores.cap(3) for _ in range(3)]
    slots = await asyncio.gather(*(r.take() for r in replicas * 3))
    assert sum(s is not None for s in slots) == 3


async def test_a_dead_replicas_slots_come_back_in_redis(stores: Stores) -> None:
    if stores.kind == "memory":
        pytest.skip("one process: its slots die with it")
    dead = stores.cap(1, lease=0.3)
    assert await dead.take() is not None  # never released, never renewed
    alive = stores.cap(1, lease=0.3)
    assert await alive.take() is None
    await asyncio.sleep(0.4)
    assert await alive.take() is not None


# -- recent probes ----------------------------------------------------------------------------


def recent(url: str, *, status: int | None = 502, language: Language = "en") -> RecentProbe:
    at = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return RecentProbe(url, at, status, 502, "origin", "C1", "1.2", language=language)


async def test_recent_probes_newest_first_and_capped(stores: Stores) -> None:
    history = stores.history(per_user=3)
    for i in range(5):
        await history.add("U1", recent(f"https://shop.example.com/{i}"))
    await history.add("U2", recent("https://other.example.com/", status=None))
    await history.add("", recent("https://nobody.example.com/"))
    kept = await history.recent("U1")
    assert [p.url[-1] for p in kept] == ["4", "3", "2"]
    assert kept[0] == recent("https://shop.example.com/4")
    assert [p.url for p in await history.recent("U1", 1)] == ["https://shop.example.com/4"]
    assert (await history.recent("U2"))[0].status is None
    assert await history.recent("U3") == []
    assert await history.recent("") == []


async def test_recent_probes_cut_long_urls(stores: Stores) -> None:
    history = stores.history()
    await history.add("U1", recent("https://shop.example.com/" + "x" * 5000))
    (kept,) = await history.recent("U1")
    assert len(kept.url) <= MAX_URL_KEPT


async def test_recent_probes_keep_their_language(stores: Stores) -> None:
    history = stores.history()
    await history.add("U1", recent("https://shop.example.com/en"))
    await history.add("U1", recent("https://shop.example.com/zh", language="zh"))
    kept = await stores.history().recent("U1")  # read by another replica
    assert [(p.url[-2:], p.language) for p in kept] == [("zh", "zh"), ("en", "en")]


# -- the language each user last asked in -----------------------------------------------------


async def test_the_language_a_user_last_asked_in(stores: Stores) -> None:
    history = stores.history()
    assert await history.language("U1") is None  # has not asked yet
    await history.spoke("U1", "zh")
    await history.spoke("U2", "en")
    other = stores.history()  # another replica sees what this one was told
    assert (await other.language("U1"), await other.language("U2")) == ("zh", "en")
    await other.spoke("U1", "en")  # the last one wins, whichever replica heard it
    assert await history.language("U1") == "en"
    await history.spoke("", "zh")  # nobody: nothing to remember
    assert await history.language("") is None
    assert await history.recent("U1") == []  # speaking is not probing


# -- watches ----------------------------------------------------------------------------------


async def test_open_enforces_every_limit(stores: Stores) -> None:
    book = stores.watches()
    assert await book.open(record("w1"), limits=LIMITS, owner="A") is None
    duplicate = await book.open(record("w2"), limits=LIMITS, owner="B")
    assert duplicate is not None
    assert duplicate.reason == "duplicate"
    assert duplicate.existing is not None
    assert duplicate.existing.id == "w1"
    assert await book.open(record("w3", thread="T2"), limits=LIMITS, owner="A") is None
    per_user = await book.open(record("w4", thread="T3"), limits=LIMITS, owner="A")
    assert per_user is not None
    assert per_user.reason == "per_user"
    assert await book.open(record("w5", user="U2", thread="T4"), limits=LIMITS, owner="B") is None
    per_channel = await book.open(record("w6", user="U3", thread="T5"), limits=LIMITS, owner="B")
    assert per_channel is not None
    assert per_channel.reason == "per_channel"
    assert await book.open(record("w7", user="U3", channel="C2"), limits=LIMITS, owner="B") is None
    total = await book.open(record("w8", user="U4", channel="C3"), limits=LIMITS, owner="B")
    assert total is not None
    assert total.reason == "total"
    assert sorted(r.id for r in await book.all()) == ["w1", "w3", "w5", "w7"]
    check = await book.check(
        url="https://shop.example.com/", user="U9", channel="C9", thread=None, limits=LIMITS
    )
    assert check is not None
    assert check.reason == "total"
    assert len(await book.all()) == 4  # a check records nothing


async def test_open_is_atomic_across_replicas(stores: Stores) -> None:
    replicas = [stores.watches() for _ in range(4)]
    answers = await asyncio.gather(
        *(r.open(record(f"w{i}"), limits=LIMITS, owner=f"R{i}") for i, r in enumerate(replicas))
    )
    assert sum(a is None for a in answers) == 1  # the same URL in the same thread, once


async def test_commit_only_from_the_owner_and_forwards(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    await a.open(record("w1"), limits=LIMITS, owner="A")
    progress = replace(record("w1"), step=1, probes=1, first_ref="1.5", last='{"v":1}')
    assert not await b.commit(progress, owner="B")  # not B's
    assert await a.commit(progress, owner="A")
    assert not await a.commit(progress, owner="A")  # the same step twice
    stored = await b.get("w1")
    assert stored is not None
    assert (stored.step, stored.probes, stored.first_ref, stored.last) == (1, 1, "1.5", '{"v":1}')
    assert stored.owner == "A"
    assert await b.get("nope") is None


async def test_a_watch_keeps_its_language_through_the_store(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    await a.open(record("w1", language="zh"), limits=LIMITS, owner="A")
    await a.open(record("w2", thread="T2"), limits=LIMITS, owner="A")
    assert await a.commit(replace(record("w1", language="zh"), step=1, probes=1), owner="A")
    assert {r.id: r.language for r in await b.all()} == {"w1": "zh", "w2": "en"}
    await a.release(["w1"], owner="A")
    (taken,) = await b.claim(owner="B")  # the replica that takes it over speaks it too
    assert (taken.id, taken.language) == ("w1", "zh")
    duplicate = await b.open(record("w3", language="en"), limits=LIMITS, owner="B")
    assert duplicate is not None
    assert duplicate.existing is not None
    assert duplicate.existing.language == "zh"


async def test_a_watch_keeps_its_regions_through_the_store(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    regional = replace(record("w1"), regions="fra,sin", region_states='{"fra":"ok"}')
    await a.open(regional, limits=LIMITS, owner="A")
    await a.open(record("w2", thread="T2"), limits=LIMITS, owner="A")
    moved = replace(regional, step=1, probes=1, region_states='{"fra":"ok","sin":"fail:522"}')
    assert await a.commit(moved, owner="A")
    kept = {r.id: (r.regions, r.region_states) for r in await b.all()}
    assert kept == {"w1": ("fra,sin", '{"fra":"ok","sin":"fail:522"}'), "w2": (None, None)}
    await a.release(["w1"], owner="A")
    (taken,) = await b.claim(owner="B")  # the replica that takes it over probes the same regions
    assert (taken.id, taken.regions) == ("w1", "fra,sin")


async def test_stop_reaches_the_owner_through_renewal(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    await a.open(record("w1"), limits=LIMITS, owner="A")
    assert (await a.renew(["w1"], owner="A")).stopping == {}
    assert await b.stop("w1", "cancelled", "U7")
    assert await b.stop("w1", "shutdown", None)  # still running; the first reason is kept
    renewal = await a.renew(["w1"], owner="A")
    assert renewal.stopping == {"w1": ("cancelled", "U7")}
    assert renewal.lost == frozenset()
    stored = await b.get("w1")
    assert stored is not None
    assert (stored.stop, stored.stopped_by) == ("cancelled", "U7")
    assert not await b.stop("nope", "cancelled", None)


async def test_an_ended_watch_cannot_be_stopped_and_no_longer_counts(stores: Stores) -> None:
    a = stores.watches()
    await a.open(record("w1"), limits=LIMITS, owner="A")
    assert await a.commit(replace(record("w1"), step=1, ended=True), owner="A")
    assert not await a.stop("w1", "cancelled", None)
    assert await a.open(record("w2"), limits=LIMITS, owner="A") is None  # same URL and thread
    await a.close("w1", owner="A")
    assert await a.get("w1") is None


async def test_release_hands_watches_to_the_next_claim(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    await a.open(record("w1"), limits=LIMITS, owner="A")
    await a.open(record("w2", thread="T2"), limits=LIMITS, owner="A")
    assert await b.claim(owner="B") == []  # A holds both
    await a.release(["w1"], owner="A")
    taken = await b.claim(owner="B")
    assert [r.id for r in taken] == ["w1"]
    assert taken[0].owner == "B"
    assert (await a.renew(["w1", "w2"], owner="A")).lost == frozenset({"w1"})
    assert not await a.commit(replace(record("w1"), step=1), owner="A")
    assert await b.commit(replace(record("w1"), step=1), owner="B")


async def test_close_is_the_owners(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    await a.open(record("w1"), limits=LIMITS, owner="A")
    await b.close("w1", owner="B")
    assert await a.get("w1") is not None
    await a.close("w1", owner="A")
    assert await a.get("w1") is None
    assert await a.all() == []


async def test_restore_puts_a_watch_back_unless_another_holds_it(stores: Stores) -> None:
    a, b = stores.watches(), stores.watches()
    kept = replace(record("w1"), step=3, probes=2)
    assert await a.restore(kept, owner="A")
    stored = await b.get("w1")
    assert stored is not None
    assert (stored.step, stored.owner) == (3, "A")
    if stores.kind == "redis":  # one process has no other replica to lose it to
        assert not await b.restore(kept, owner="B")


async def test_an_expired_lease_is_claimed_in_redis(stores: Stores) -> None:
    if stores.kind == "memory":
        pytest.skip("one process holds its leases for as long as it lives")
    dead, alive = stores.watches(lease=0.3), stores.watches(lease=0.3)
    await dead.open(record("w1"), limits=LIMITS, owner="dead")
    assert await alive.claim(owner="alive") == []
    await asyncio.sleep(0.4)
    (taken,) = await alive.claim(owner="alive")
    assert (taken.id, taken.owner) == ("w1", "alive")
    assert await alive.claim(owner="other") == []  # taken once
    assert (await dead.renew(["w1"], owner="dead")).lost == frozenset({"w1"})
