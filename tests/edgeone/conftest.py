"""Shared pieces: a fake Tencent Cloud API per test, settings pointing at it, a fixed "now"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from bot.edgeone.settings import EdgeOneSettings
from bot.edgeone.view import EdgeOne
from tests.servers.teo import FakeTeo

# The time the views are asked at (windows, certificate expiry, log delays). Signatures still use
# the real clock: the fake checks them against it.
NOW = datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC)


class Clock:
    """A monotonic clock tests move by hand (cache TTLs, back-off)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def settings_for(fake: FakeTeo, **env: str) -> EdgeOneSettings:
    settings = EdgeOneSettings.from_env(fake.env(**env))
    assert settings is not None
    return settings


@pytest.fixture
def fake() -> Iterator[FakeTeo]:
    with FakeTeo() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def edgeone(fake: FakeTeo, clock: Clock) -> AsyncIterator[EdgeOne]:
    settings = settings_for(fake, EO_API_TIMEOUT="1", EO_API_BUDGET="2")
    service = EdgeOne(settings, clock=clock, now=lambda: NOW)
    yield service
    await service.aclose()
