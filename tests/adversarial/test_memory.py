"""Every per-user or per-key table in the process forgets, and has a bound.

Before the fix the probe rate limiter kept every user (and alert channel) it ever saw, about
880 bytes each, for the life of the process: 100,000 users who probed once held some 88 MB.
"""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime

from bot.chat import history as history_module
from bot.chat.dedupe import Seen
from bot.chat.history import History, RecentProbe
from bot.chat.limits import RateLimiter


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_rate_limiter_forgets_users_once_their_window_has_passed() -> None:
    now = [0.0]
    users = 20_000
    tracemalloc.start()
    try:
        before = traced()
        rate = RateLimiter(5, 60.0, clock=lambda: now[0])
        for i in range(users):
            assert rate.acquire(f"U{i:010d}") is None
        full = traced() - before
        now[0] = 61.0
        assert rate.acquire("U-late") is None  # any use prunes what has expired
        after = traced() - before
    finally:
        tracemalloc.stop()
    assert full > users * 100  # every user is held while their window lasts...
    # ...and forgotten once it has passed (what stays is the emptied hash tables, whose size
    # max_keys bounds)
    assert after < full / 3
    assert len(rate) == 1


def test_rate_limiter_still_limits_while_the_window_lasts() -> None:
    now = [0.0]
    rate = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert rate.acquire("u") is None
    now[0] = 30.0
    assert rate.acquire("u") is None
    now[0] = 59.0
    assert rate.acquire("u") == 1.0  # the first hit leaves the window at 60
    now[0] = 60.5
    assert rate.acquire("u") is None  # ...and the second at 90
    assert rate.acquire("u") == 29.5


def test_rate_limiter_holds_at_most_max_keys() -> None:
    rate = RateLimiter(5, 60.0, clock=lambda: 0.0, max_keys=1000)
    for i in range(5000):
        rate.acquire(f"U{i}")
    assert len(rate) == 1000
    # The newest keep their budget; the table's bound only ever forgets the least recent.
    for _ in range(4):
        assert rate.acquire("U4999") is None
    assert rate.acquire("U4999") is not None


def test_seen_is_bounded_in_keys_and_time() -> None:
    now = [0.0]
    seen = Seen(ttl=10, max_size=100, clock=lambda: now[0])
    assert all(seen.first(("event", i)) for i in range(1000))
    assert len(seen) == 100
    assert not seen.first(("event", 999))  # the newest are remembered
    now[0] = 11.0
    assert len(seen) == 0
    assert seen.first(("event", 999))


def probe(url: str) -> RecentProbe:
    return RecentProbe(url, datetime.now(UTC), 502, 502, "origin", "C1", "1.0")


def test_history_is_bounded_in_users_probes_and_url_length() -> None:
    history = History(per_user=3, max_users=10)
    for user in range(50):
        for i in range(5):
            history.add(f"U{user}", probe(f"https://shop.example.com/{i}/" + "x" * 3000))
    assert len(history) == 10
    assert history.recent("U0") == []  # the least recent users are forgotten first
    kept = history.recent("U49")
    assert len(kept) == 3
    assert [p.url.split("/")[3] for p in kept] == ["4", "3", "2"]
    assert all(len(p.url) <= history_module.MAX_URL_KEPT for p in kept)
