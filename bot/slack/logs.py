"""Throttled log lines (the log's set-up is ``bot.ops.logging``).

``Throttled`` is for lines that the outside world can trigger at will (refused requests, closed
connections): the first of a kind is logged, the next ones within ``interval`` are only counted,
and the count rides along with the next line that is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class Throttled:
    """At most one line per ``interval`` seconds for each kind; the rest are counted."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._next: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def log(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless a line of this ``kind`` went out less than ``interval``
        ago; returns whether it was logged."""
        now = self._clock()
        if now < self._next.get(kind, float("-inf")):
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return False
        self._next[kind] = now + self._interval
        skipped = self._skipped.pop(kind, 0)
        if skipped:
            message += " (%d more like it since the previous line)"
            args = (*args, skipped)
        self._logger.log(level, message, *args)
        return True

    def warning(self, kind: str, message: str, *args: object) -> bool:
        return self.log(logging.WARNING, kind, message, *args)

    def info(self, kind: str, message: str, *args: object) -> bool:
        return self.log(logging.INFO, kind, message, *args)
