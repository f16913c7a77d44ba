"""A watch across regions: `watch <url> for 30m from all`.

Each round probes from every region asked and from here (``observe_regions``), compares each
region with the round before (``regional_changes``) and tells the thread when something changed:
which regions recovered, broke, fail differently or slowed down. It ends when every region that
answers works (saying which regions recovered), when its time is up, or when it is cancelled. A
round in which NATS cannot be reached is no recovery: the watch goes on.

The loop is ``WatchLoop``'s (slots, rate budget, commits, hand-over, cancel and shutdown); only
what one round observes and says differs. The regions and each region's last state are part of the
watch's record, so a replica that takes the watch over carries on with them. The first answer is
kept in memory only: on another replica the end replaces it with a one-line "ended".
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Literal

from bot.chat.probing import remember
from bot.chat.regional import observe_regions
from bot.chat.regional_replies import RegionalNews, RegionalOutcome
from bot.chat.services import Services
from bot.chat.surface import Surface
from bot.chat.watches import Watch, WatchBook
from bot.chat.watching import WatchLoop, _quietly
from bot.i18n.catalogue import texts
from bot.state.base import Slot

log = logging.getLogger(__name__)


def watch_loop(
    services: Services,
    surface: Surface,
    book: WatchBook,
    watch: Watch,
    *,
    first: Slot | None = None,
) -> WatchLoop:
    """The loop for ``watch``: across regions when it names some and NATS is set up here."""
    if watch.request.regions is not None and services.regional is not None:
        return RegionalWatchLoop(services, surface, book, watch, first=first)
    return WatchLoop(services, surface, book, watch, first=first)


class RegionalWatchLoop(WatchLoop):
    def __init__(
        self,
        services: Services,
        surface: Surface,
        book: WatchBook,
        watch: Watch,
        *,
        first: Slot | None = None,
    ) -> None:
        super().__init__(services, surface, book, watch, first=first)
        self._answer: RegionalOutcome | None = None  # the first answer, re-rendered at the end

    async def _step(self) -> bool:
        # Its first answer is not kept in the record (``first_report``): a probe count of zero
        # says the first probe is still to come.
        if self.watch.probes == 0:
            return await self._first()
        return await self._round()

    async def _first(self) -> bool:
        w = self.watch
        assert w.first_ref is not None
        slot = await self._first_probe_slot()
        if slot is None:
            return False
        with slot:
            outcome = await self._interruptible(
                observe_regions(self.services, w.request, watch=self.info())
            )
        self._first_slot = None
        self._answer = outcome
        w.states, w.probes = dict(outcome.states), 1
        w.next_at = time.time() + w.interval
        await self._commit()
        if outcome.local is not None:
            await remember(self.services, w.user, outcome.local, w.channel, w.thread)
        await self.surface.update(w.channel, w.first_ref, outcome)
        _ = texts(w.language)
        if outcome.refused:
            await self._end("failed", detail=_("every region refuses to probe it"))
            return True
        if outcome.verdict.pattern == "all_ok" and outcome.unreachable is None:
            detail = _("it already answers normally in every region, so I stopped")
            await self._end("recovered", detail=detail)
            return True
        return False

    async def _round(self) -> bool:
        """One wait and one probe from every region; True when the watch is over."""
        w = self.watch
        result = await self._probe_round(
            lambda: observe_regions(
                self.services, w.request, previous=w.states or {}, watch=self.info()
            )
        )
        if isinstance(result, bool):
            return result
        if isinstance(result, Exception):
            return await self._failed(result)
        outcome = result
        w.errors = 0
        w.probes += 1
        w.states = dict(outcome.states)
        if outcome.local is not None:
            await remember(self.services, w.user, outcome.local, w.channel, w.thread)
        change = outcome.change
        if change is not None and change.all_recovered and outcome.unreachable is None:
            w.ended = True
            await self._commit()
            await self._news("recovered", outcome)
            return True
        await self._commit()
        if change is not None and change.any:
            await self._news("changed", outcome)
        return False

    async def _news(self, kind: Literal["changed", "recovered"], outcome: RegionalOutcome) -> None:
        w = self.watch
        news = RegionalNews(
            kind=kind,
            watch_id=w.id,
            url=w.request.url,
            verdict=outcome.verdict,
            change=outcome.change,
            probes=w.probes,
            until=w.until,
            language=w.language,
        )
        await self.surface.post(w.channel, news, thread=w.thread)

    async def _retire(self) -> None:
        """Take the Cancel button off the first answer once the watch has ended."""
        w = self.watch
        if self._answer is None or w.first_ref is None:
            await super()._retire()
            return
        ended = replace(self._answer, watch=self.info(active=False))
        await _quietly(self.surface.update(w.channel, w.first_ref, ended))
