"""WatchBook: watches are recorded and found, and every limit refuses the watch one past it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat.replies import ProbeRequest
from bot.chat.watches import Watch, WatchBook, WatchLimit, WatchSettings, span

URL = "https://shop.example.com/cart"
OTHER = "https://api.example.com/health"


def book(**limits: int) -> WatchBook:
    return WatchBook(WatchSettings(**limits))


async def open_watch(
    b: WatchBook,
    url: str = URL,
    *,
    user: str = "U1",
    channel: str = "C1",
    thread: str = "1700000000.000100",
    duration: float = 600.0,
) -> Watch:
    return await b.open(
        ProbeRequest(url), user=user, channel=channel, thread=thread, duration=duration
    )


# ---------------------------------------------------------------- WatchSettings.clamp

SETTINGS = WatchSettings(default_duration=1800.0, min_duration=60.0, max_duration=7200.0)


@pytest.mark.parametrize(
    ("asked", "duration", "note"),
    [
        pytest.param(None, 1800.0, None, id="default"),
        pytest.param(600.0, 600.0, None, id="within"),
        pytest.param(60.0, 60.0, None, id="exactly-min"),
        pytest.param(7200.0, 7200.0, None, id="exactly-max"),
        pytest.param(59.0, 60.0, "the shortest watch is 60 s", id="below-min"),
        pytest.param(1.0, 60.0, "the shortest watch is 60 s", id="one-second"),
        pytest.param(7201.0, 7200.0, "the longest watch is 2 h", id="above-max"),
        pytest.param(7 * 86400.0, 7200.0, "the longest watch is 2 h", id="a-week"),
    ],
)
def test_clamp(asked: float | None, duration: float, note: str | None) -> None:
    assert SETTINGS.clamp(asked) == (duration, note)


def test_clamp_uses_the_configured_bounds() -> None:
    settings = WatchSettings(default_duration=300.0, min_duration=120.0, max_duration=600.0)
    assert settings.clamp(None) == (300.0, None)
    assert settings.clamp(30.0) == (120.0, "the shortest watch is 2 min")
    assert settings.clamp(3600.0) == (600.0, "the longest watch is 10 min")


# ---------------------------------------------------------------- open, get, close


async def test_open_records_the_watch() -> None:
    b = book()
    w = await open_watch(b, duration=900.0)
    assert (w.request, w.user, w.channel, w.thread) == (
        ProbeRequest(URL),
        "U1",
        "C1",
        "1700000000.000100",
    )
    assert w.duration == 900.0
    assert w.interval == b.settings.interval
    assert (w.probes, w.errors, w.last, w.stop_reason) == (0, 0, None, None)
    assert len(w.id) == 12
    int(w.id, 16)  # hex
    assert len(b) == 1
    assert b.get(w.id) is w
    assert list(b) == [w]


async def test_ids_are_unique() -> None:
    b = book(per_user=100, per_channel=100, total=100)
    ids = {(await open_watch(b, f"{URL}?{i}")).id for i in range(50)}
    assert len(ids) == 50


async def test_close_forgets_the_watch_and_is_idempotent() -> None:
    b = book()
    w = await open_watch(b)
    await b.close(w)
    assert len(b) == 0
    assert b.get(w.id) is None
    await b.close(w)  # a second close (cancel racing the end) is harmless
    assert len(b) == 0


async def test_get_unknown_id() -> None:
    assert book().get("0123456789ab") is None


async def test_iterating_while_closing_is_safe() -> None:
    b = book()
    watches = [await open_watch(b, f"{URL}?{i}") for i in range(3)]
    for w in b:
        await b.close(w)
    assert len(b) == 0
    assert len(watches) == 3


async def test_in_thread_and_of_user() -> None:
    b = book(per_user=10, per_channel=10)
    a = await open_watch(b, URL, user="U1", channel="C1", thread="T1")
    c = await open_watch(b, OTHER, user="U2", channel="C1", thread="T1")
    d = await open_watch(b, URL, user="U1", channel="C1", thread="T2")
    e = await open_watch(b, URL, user="U2", channel="C2", thread="T1")

    async def in_thread(channel: str, thread: str | None) -> list[str]:
        return [r.id for r in await b.in_thread(channel, thread)]

    async def of_user(user: str) -> list[str]:
        return [r.id for r in await b.of_user(user)]

    assert await in_thread("C1", "T1") == [a.id, c.id]
    assert await in_thread("C1", "T2") == [d.id]
    assert await in_thread("C2", "T1") == [e.id]  # same ts in another channel is another thread
    assert await in_thread("C1", None) == []
    assert await in_thread("C3", "T1") == []
    assert await of_user("U1") == [a.id, d.id]
    assert await of_user("U2") == [c.id, e.id]
    assert await of_user("U3") == []


# ---------------------------------------------------------------- limits


async def test_same_url_in_the_same_thread_is_refused() -> None:
    b = book()
    await open_watch(b, URL, user="U1")
    with pytest.raises(WatchLimit, match="already watching") as caught:
        await open_watch(b, URL, user="U2")
    assert URL in str(caught.value)
    assert "Cancel it first" in str(caught.value)
    assert len(b) == 1


async def test_same_url_elsewhere_or_another_url_in_the_thread_is_allowed() -> None:
    b = book()
    await open_watch(b, URL, thread="T1")
    await open_watch(b, URL, thread="T2")
    await open_watch(b, OTHER, thread="T1")
    assert len(b) == 3


async def test_same_url_is_allowed_again_after_close() -> None:
    b = book()
    first = await open_watch(b)
    await b.close(first)
    second = await open_watch(b)
    assert second.id != first.id
    assert len(b) == 1


async def test_per_user_limit() -> None:
    b = book(per_user=2, per_channel=10)
    await open_watch(b, URL, user="U1", thread="T1")
    await open_watch(b, URL, user="U1", channel="C2", thread="T2")
    with pytest.raises(WatchLimit, match="You already have 2 watches") as caught:
        await open_watch(b, OTHER, user="U1", channel="C3", thread="T3")
    assert "unwatch" in str(caught.value)
    await open_watch(b, OTHER, user="U2", thread="T3")  # another user is not affected
    assert len(b) == 3


async def test_per_channel_limit() -> None:
    b = book(per_user=10, per_channel=2)
    await open_watch(b, URL, user="U1", thread="T1")
    await open_watch(b, URL, user="U2", thread="T2")
    with pytest.raises(WatchLimit, match="This channel already has 2 watches"):
        await open_watch(b, URL, user="U3", thread="T3")
    await open_watch(
        b, URL, user="U3", channel="C2", thread="T3"
    )  # another channel is not affected
    assert len(b) == 3


async def test_total_limit() -> None:
    b = book(per_user=10, per_channel=10, total=3)
    for i in range(3):
        await open_watch(b, URL, user=f"U{i}", channel=f"C{i}", thread=f"T{i}")
    with pytest.raises(WatchLimit, match="3 watches are running"):
        await open_watch(b, URL, user="U9", channel="C9", thread="T9")
    assert len(b) == 3


async def test_closing_a_watch_frees_its_place() -> None:
    b = book(per_user=1)
    w = await open_watch(b, URL, thread="T1")
    with pytest.raises(WatchLimit):
        await open_watch(b, OTHER, thread="T2")
    await b.close(w)
    await open_watch(b, OTHER, thread="T2")
    assert len(b) == 1


async def test_check_refuses_like_open_without_recording() -> None:
    b = book(per_user=1)
    request = ProbeRequest(URL)
    await b.check(request, user="U1", channel="C1", thread="T1")
    await b.check(request, user="U1", channel="C1", thread="T1")
    assert len(b) == 0
    await open_watch(b, URL, user="U1", thread="T1")
    with pytest.raises(WatchLimit):
        await b.check(ProbeRequest(OTHER), user="U1", channel="C1", thread="T2")
    # A slash command has no thread yet: only the counting limits apply.
    await b.check(ProbeRequest(URL), user="U2", channel="C1", thread=None)


async def test_a_refused_open_records_nothing() -> None:
    b = book(per_user=1)
    await open_watch(b, URL, thread="T1")
    with pytest.raises(WatchLimit):
        await open_watch(b, OTHER, thread="T2")
    assert [w.request.url for w in b] == [URL]


# ---------------------------------------------------------------- one watch


async def test_until_and_time_left() -> None:
    w = await open_watch(book(), duration=600.0)
    assert w.until == w.started_at + timedelta(seconds=600)
    assert w.time_left(lambda: w.started + 100.0) == pytest.approx(500.0)
    assert w.time_left(lambda: w.started + 700.0) == pytest.approx(-100.0)


async def test_stop_keeps_the_first_reason_and_wakes_the_loop() -> None:
    w = await open_watch(book())
    assert not w.wake.is_set()
    w.stop("cancelled", by="U7")
    w.stop("shutdown")
    assert (w.stop_reason, w.stopped_by) == ("cancelled", "U7")
    assert w.wake.is_set()


async def test_describe() -> None:
    w = await open_watch(book(), duration=1800.0)
    w.probes = 4
    text = w.describe()
    assert text.startswith(f"{URL}: 4 probes so far, ")
    assert text.endswith(" left")
    assert "30 min" in text or "29 min" in text  # a moment has passed since open


async def test_describe_after_the_time_is_up_says_zero() -> None:
    w = await open_watch(book(), duration=60.0)
    w.started -= 3600.0
    assert w.describe().endswith("0 s left")


# ---------------------------------------------------------------- span


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "0 s", id="zero"),
        pytest.param(-5, "0 s", id="negative"),
        pytest.param(0.4, "0 s", id="rounds-down"),
        pytest.param(45, "45 s", id="45s"),
        pytest.param(60, "60 s", id="a-minute-in-seconds"),
        pytest.param(119, "119 s", id="just-under-2-min"),
        pytest.param(120, "2 min", id="2-min"),
        pytest.param(1800, "30 min", id="30-min"),
        pytest.param(5400, "90 min", id="90-min"),
        pytest.param(7140, "119 min", id="just-under-2-h"),
        pytest.param(7200, "2 h", id="2-h"),
        pytest.param(9000, "2 h 30 min", id="2-h-30-min"),
        pytest.param(86400, "24 h", id="a-day"),
        pytest.param(7 * 86400, "168 h", id="a-week"),
    ],
)
def test_span(seconds: float, text: str) -> None:
    assert span(seconds) == text
