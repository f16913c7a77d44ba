"""Logging for `eo-bot serve`: one format, secrets redacted, quiet libraries, throttled lines.

``configure_logging`` sends everything to stderr with the tokens and signing secret replaced by
``[redacted]``, and sets the libraries' loggers to WARNING: at INFO, slack_bolt logs the whole body
of every request whose signature fails, and slack_sdk and aiohttp narrate each connection.

``Throttled`` is for lines that the outside world can trigger at will (refused requests, closed
connections): the first of a kind is logged, the next ones within ``interval`` are only counted,
and the count rides along with the next line that is logged.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable

# Libraries whose INFO and DEBUG lines are noise in a service log (or worse: request bodies).
QUIET_LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "asyncio", "bot.slack.bolt")


class SecretFilter(logging.Filter):
    """Replace any configured token or secret in a log record with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def configure_logging(secrets: Iterable[str], *, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


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
