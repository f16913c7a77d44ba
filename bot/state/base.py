"""The state a replica keeps that another replica may need, as async protocols and plain records.

Every part has two implementations: ``bot.state.memory`` (one process, the default) and
``bot.state.redis`` (shared by a fleet, ``EO_REDIS_URL``), and ``bot.state.fallback`` puts local
memory behind Redis for when Redis is lost. The conversation holds these protocols and never knows
which one it has. Records here are plain data (no chat types), so the stores can keep them as JSON.

- ``Dedupe``: ``first(key)`` is an atomic set-if-absent with an expiry (events, messages,
  Socket Mode envelopes).
- ``RateLimit``: a sliding window per key (a user, an alert channel).
- ``ProbeCap``: places for probes running at once, handed out as ``Slot``s (one owner, an
  idempotent release). In Redis each place is a lease, so a dead replica's places come back.
- ``RecentProbes``: each user's last probes, and the language each user last asked in, for App
  Home (opened on any replica, it speaks that language).
- ``WatchStore``: the watches, each owned through a lease (see ``WatchRecord``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Protocol

from bot.chat.history import RecentProbe
from bot.i18n.language import Language

Pool = Literal["probe", "watch"]
WatchEnd = Literal["cancelled", "shutdown"]
Refusal = Literal["duplicate", "per_user", "per_channel", "total"]


class StoreError(Exception):
    """The shared store could not be reached or answered nonsense; the fallback takes over."""


class Dedupe(Protocol):
    async def first(self, key: str) -> bool:
        """True the first time ``key`` is seen within the expiry; records it then."""
        ...


class RateLimit(Protocol):
    count: int
    window: float

    async def acquire(self, key: str) -> float | None:
        """Record a probe for ``key`` and return None, or return the seconds to wait."""
        ...


class Slot:
    """One place in a ``ProbeCap``, with one owner at a time.

    Whoever takes it either runs the probe or hands the slot to the task that will
    (``hand_over``); ``release`` may be called any number of times, and ``with slot:`` releases it
    on the way out unless it was handed over. ``give_back`` is the cap's own way of taking the
    place back (synchronous: a shared cap schedules its network call).
    """

    __slots__ = ("_give_back", "_handed", "_held", "pool")

    def __init__(self, give_back: Callable[[], None], pool: Pool) -> None:
        self._give_back = give_back
        self.pool: Pool = pool
        self._held = True
        self._handed = False

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        """Give the place back; any later call does nothing."""
        if self._held:
            self._held = False
            self._give_back()

    def hand_over(self) -> None:
        """The new owner (a task) releases it from now on; ``with`` here no longer does."""
        self._handed = True

    def __enter__(self) -> Slot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._handed:
            self.release()


class ProbeCap(Protocol):
    limit: int
    watch_limit: int

    async def take(self) -> Slot | None:
        """A slot for a probe someone asked for, or None when the cap is reached."""
        ...

    async def take_for_watch(self) -> Slot | None:
        """A slot for a watch round, or None when the cap or the watches' share is reached."""
        ...


class RecentProbes(Protocol):
    async def add(self, user: str, item: RecentProbe) -> None: ...

    async def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]: ...

    async def spoke(self, user: str, language: Language) -> None:
        """``user`` just asked something in ``language``."""
        ...

    async def language(self, user: str) -> Language | None:
        """The language ``user`` last asked in, or None when they have not asked lately."""
        ...


@dataclass(slots=True)
class WatchRecord:
    """A watch as the fleet keeps it: what it watches, where it posts, and how far it got.

    ``step`` counts what the watch has committed (its first message, each probe, its end);
    the loop commits a step before it posts the step's message, and a commit only succeeds for
    the owner of the watch and for a step past the stored one. So a replica that took a watch
    over continues after the last committed step and never posts one twice.
    """

    id: str
    url: str
    user: str
    channel: str
    thread: str
    duration: float  # seconds
    interval: float  # seconds between two probes
    started: float  # epoch seconds (wall clock: replicas share it)
    origin: str | None = None
    code: int | None = None
    language: Language = "en"  # the language it was started in: it speaks it to the end
    first_ref: str | None = None  # the first diagnosis's message
    first_report: str | None = None  # the first probe's report, JSON (to re-render it at the end)
    last: str | None = None  # the last result (``Snapshot.to_value``)
    regions: str | None = None  # also probed from these regions ("all", "fra,sin"); None: here only
    region_states: str | None = None  # each region's last state, JSON (``region_states``)
    probes: int = 0
    errors: int = 0
    step: int = 0
    next_at: float = 0.0  # epoch seconds when the next round is due
    ended: bool = False  # the end was told (only retiring the first message is left)
    stop: WatchEnd | None = None  # asked to stop, from any replica
    stopped_by: str | None = None
    owner: str | None = None  # the replica holding the lease

    @property
    def until(self) -> float:
        return self.started + self.duration


@dataclass(frozen=True, slots=True)
class WatchLimits:
    per_user: int
    per_channel: int
    total: int


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a new watch may not start; ``existing`` is the same watch already running."""

    reason: Refusal
    existing: WatchRecord | None = None


@dataclass(frozen=True, slots=True)
class Renewal:
    """What renewing this replica's leases found: watches it lost, and watches asked to stop."""

    lost: frozenset[str] = frozenset()
    stopping: dict[str, tuple[WatchEnd, str | None]] = field(default_factory=dict)


class WatchStore(Protocol):
    shared: bool  # other replicas see these watches (leases, adoption and hand-over apply)

    async def check(
        self,
        *,
        url: str,
        user: str,
        channel: str,
        thread: str | None,
        limits: WatchLimits,
    ) -> Refused | None:
        """Why a watch of ``url`` would be refused now, or None."""
        ...

    async def open(self, record: WatchRecord, *, limits: WatchLimits, owner: str) -> Refused | None:
        """Record the watch, owned by ``owner``, unless a limit refuses it (atomically)."""
        ...

    async def get(self, watch_id: str) -> WatchRecord | None: ...

    async def all(self) -> list[WatchRecord]:
        """Every watch of the fleet (at most ``limits.total``), oldest first."""
        ...

    async def commit(self, record: WatchRecord, *, owner: str) -> bool:
        """Store ``record``'s progress if ``owner`` still holds it and ``record.step`` is past the
        stored step; False otherwise (the watch moved to another replica, or ended)."""
        ...

    async def stop(self, watch_id: str, reason: WatchEnd, by: str | None) -> bool:
        """Ask a watch to stop (whoever runs it); False when no such watch is running."""
        ...

    async def close(self, watch_id: str, *, owner: str) -> None:
        """Forget a watch that ended (only its owner does)."""
        ...

    def forget(self, watch_id: str, *, owner: str) -> None:
        """A watch whose loop never ran (its task was cancelled first): one process forgets it;
        a shared store lets its lease lapse, so that another replica runs it."""
        ...

    async def renew(self, watch_ids: Sequence[str], *, owner: str) -> Renewal:
        """Extend ``owner``'s leases on ``watch_ids``."""
        ...

    async def claim(self, *, owner: str) -> list[WatchRecord]:
        """Take over the watches whose lease expired or was handed over; the records taken."""
        ...

    async def release(self, watch_ids: Sequence[str], *, owner: str) -> None:
        """Hand watches over: their leases end now, another replica takes them."""
        ...

    async def restore(self, record: WatchRecord, *, owner: str) -> bool:
        """Put back a watch this replica kept running while the store was lost; False when
        another replica holds it now."""
        ...
