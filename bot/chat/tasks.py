"""Background work that outlives the 3-second acknowledgement.

asyncio keeps only weak references to tasks and drops their exceptions silently; ``Tasks`` keeps
each task referenced until it ends, logs any exception with its traceback, and calls the task's
``on_error`` so the user hears about it (in the thread the work was for).

A task can own a probe slot and a clean-up: both run when the task ends, however it ends,
including a cancel before its first step (when none of its own ``finally`` blocks runs). If the
task cannot be created, the slot stays with the caller (whose ``with slot:`` gives it back) and
the clean-up is not run.

The set of tasks needs no bound of its own: every task holds a probe slot (at most the cap's
limit) or is a watch (at most ``WatchSettings.total``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.state.base import Slot

log = logging.getLogger(__name__)

ErrorReporter = Callable[[BaseException], Awaitable[None]]


class Tasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(
        self,
        work: Coroutine[Any, Any, None],
        *,
        name: str,
        on_error: ErrorReporter | None = None,
        slot: Slot | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> asyncio.Task[None]:
        """Run ``work`` in the background; the task owns ``slot``, runs ``cleanup`` at its end."""
        try:
            task = asyncio.get_running_loop().create_task(
                self._run(work, name, on_error), name=name
            )
        except BaseException:
            work.close()  # never started: no "coroutine was never awaited"
            raise
        if slot is not None:
            slot.hand_over()
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            work.close()  # a no-op once it ran; closes it when the task was cancelled first
            if slot is not None:
                slot.release()
            if cleanup is not None:
                try:
                    cleanup()
                except Exception:
                    log.exception("clean-up after %s failed", name)

        task.add_done_callback(done)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    def running(self) -> set[asyncio.Task[None]]:
        return set(self._tasks)

    async def drain(self, limit: float | None = None) -> None:
        """Wait for every running task (tests, shutdown); cancel what is left at the timeout."""
        if not self._tasks:
            return
        pending = set(self._tasks)
        _, still = await asyncio.wait(pending, timeout=limit)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still)

    @staticmethod
    async def _run(
        work: Coroutine[Any, Any, None], name: str, on_error: ErrorReporter | None
    ) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("background task %s failed", name)
            if on_error is None:
                return
            try:
                await on_error(exc)
            except Exception:
                log.exception("could not report the failure of %s", name)
