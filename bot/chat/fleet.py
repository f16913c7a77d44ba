"""This replica's share of a fleet's watches, when the store is shared (``WatchStore.shared``).

Every ``period`` seconds (a third of a lease, at most two seconds) ``Fleet.tick``:

- renews the leases of the watches this replica runs; a watch whose lease another replica took
  (this one stalled, or lost Redis for a while) stops here without a word, and a watch asked to
  stop from another replica (its Cancel button, ``unwatch``) is woken to say so in its thread;
- takes over every watch whose lease ran out (its replica died) or was handed over (its replica
  stopped), and runs it from its last committed step (``bot.chat.watching``).

A watch therefore survives the replica that started it: after a SIGKILL another replica goes on
within a lease, and a SIGTERM hands the watches over at once. A restarted single replica takes
its own watches back the same way.
"""

from __future__ import annotations

import asyncio
import logging

from bot.chat.conversation import Conversation
from bot.ops.logging import bind_request

log = logging.getLogger(__name__)

MAX_PERIOD = 2.0


class Fleet:
    def __init__(self, conversation: Conversation, *, period: float | None = None) -> None:
        self.conversation = conversation
        lease = conversation.services.watch.lease
        self.period = period if period is not None else min(lease / 3, MAX_PERIOD)

    async def run(self) -> None:
        """Tick until cancelled; a failing tick is logged and the next one tries again."""
        bind_request("fleet")
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("could not renew or take over watches")
            await asyncio.sleep(self.period)

    async def tick(self) -> None:
        book = self.conversation.watches
        running = {w.id: w for w in book}
        renewal = await book.store.renew(list(running), owner=book.owner)
        for watch_id in renewal.lost:
            if (watch := running.get(watch_id)) is not None:
                log.info("watch %s is now held by another replica", watch_id)
                watch.stop("lost")
        for watch_id, (reason, by) in renewal.stopping.items():
            if (watch := running.get(watch_id)) is not None:
                watch.stop(reason, by)
        for record in await book.store.claim(owner=book.owner):
            log.info("taking over watch %s of %s", record.id, record.url)
            self.conversation.resume(record)
