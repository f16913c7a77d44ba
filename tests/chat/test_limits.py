"""Slots of the concurrency cap (one owner, idempotent release, the watches' share) and the tasks
that own them."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat.tasks import Tasks
from bot.state.base import Slot
from bot.state.memory import ConcurrencyCap


def take(cap: ConcurrencyCap) -> Slot:
    slot = cap.take_now()
    assert slot is not None
    return slot


def test_release_is_idempotent() -> None:
    cap = ConcurrencyCap(2)
    slot = cap.take_now()
    assert slot is not None
    slot.release()
    slot.release()
    assert cap.running == 0
    assert not slot.held
    first, second = cap.take_now(), cap.take_now()
    assert first is not None
    assert second is not None
    assert cap.take_now() is None  # a second release of the old slot did not free a third place


def test_with_releases_unless_handed_over() -> None:
    cap = ConcurrencyCap(2)
    with take(cap) as kept:
        assert cap.running == 1
    assert cap.running == 0
    assert not kept.held
    with pytest.raises(ValueError, match="boom"), take(cap) as failed:
        raise ValueError("boom")
    assert not failed.held
    assert cap.running == 0
    with take(cap) as handed:
        handed.hand_over()
    assert cap.running == 1  # the new owner releases it
    handed.release()
    assert cap.running == 0


def test_watches_get_a_share_that_never_covers_the_whole_cap() -> None:
    cap = ConcurrencyCap(4)
    assert cap.watch_limit == 2
    rounds = [cap.take_now("watch"), cap.take_now("watch")]
    assert all(r is not None for r in rounds)
    assert cap.take_now("watch") is None
    assert (cap.running, cap.watching) == (2, 2)
    people = [cap.take_now(), cap.take_now()]
    assert all(p is not None for p in people)
    assert cap.take_now() is None
    assert rounds[0] is not None
    rounds[0].release()
    assert (cap.running, cap.watching) == (3, 1)
    assert cap.take_now("watch") is not None
    assert cap.take_now("watch") is None  # the cap is full now


def test_people_can_fill_the_cap_and_watches_then_wait() -> None:
    cap = ConcurrencyCap(2)
    assert cap.take_now() is not None
    assert cap.take_now() is not None
    assert cap.take_now("watch") is None


@pytest.mark.parametrize(
    ("limit", "asked", "share"),
    [(1, None, 1), (2, None, 1), (3, None, 1), (4, None, 2), (10, None, 5), (4, 10, 3), (4, 0, 1)],
)
def test_watch_share_bounds(limit: int, asked: int | None, share: int) -> None:
    assert ConcurrencyCap(limit, watch_limit=asked).watch_limit == share


async def test_a_task_gives_its_slot_back_however_it_ends() -> None:
    cap = ConcurrencyCap(3)
    tasks = Tasks()

    async def fine() -> None:
        await asyncio.sleep(0)

    async def broken() -> None:
        raise RuntimeError("boom")

    async def never() -> None:
        raise AssertionError("cancelled before it started")

    for work in (fine(), broken()):
        with take(cap) as slot:
            tasks.spawn(work, name="t", slot=slot)
    with take(cap) as slot:
        tasks.spawn(never(), name="t", slot=slot).cancel()
    assert cap.running == 3  # each task owns its slot now
    await tasks.drain()
    assert cap.running == 0
    assert len(tasks) == 0


async def test_clean_up_runs_even_for_a_task_cancelled_before_it_started() -> None:
    cleaned: list[str] = []

    async def work() -> None:
        raise AssertionError("never runs")

    tasks = Tasks()
    tasks.spawn(work(), name="t", cleanup=lambda: cleaned.append("done")).cancel()
    await tasks.drain()
    assert cleaned == ["done"]


def test_a_task_that_cannot_be_created_leaves_the_slot_with_the_caller() -> None:
    cap = ConcurrencyCap(1)

    async def work() -> None:
        raise AssertionError("never runs")

    cleaned: list[str] = []
    with pytest.raises(RuntimeError, match="no running event loop"), take(cap) as slot:
        Tasks().spawn(work(), name="t", slot=slot, cleanup=lambda: cleaned.append("done"))
    assert cap.running == 0
    assert cleaned == []  # nothing was started, so there is nothing to clean up
