"""Logging for `eo-bot serve`: text or JSON lines, secrets redacted, a request id on every line.

``configure_logging`` sends everything to stderr, as ``time LEVEL logger: message`` lines (the
default) or, with ``EO_LOG_FORMAT=json``, one JSON object per line (``time``, ``level``,
``logger``, ``message``, ``request_id`` and ``error`` for a traceback). Tokens and secrets are
replaced by ``[redacted]`` in both. The libraries' loggers are set to WARNING: at INFO, slack_bolt
logs the whole body of every request whose signature fails, and slack_sdk and aiohttp narrate
each connection.

The request id is a context variable: set where a request arrives (``bind_request``), it follows
the request into the listener, the background probe and every Web API call they make, because
asyncio copies the context into each task it creates. A watch taken over by another replica
carries its watch id instead.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets as random
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

# Libraries whose INFO and DEBUG lines are noise in a service log (or worse: request bodies).
QUIET_LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "asyncio", "bot.slack.bolt", "redis")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "eo_request_id", default=None
)


def bind_request(hint: str | None = None) -> str:
    """Give the current context (a request's task) a request id: ``hint`` when it is a usable
    id (Slack's event or envelope id), else a fresh one."""
    value = hint if hint and hint.isascii() and hint.isprintable() and len(hint) <= 64 else None
    request_id = value or random.token_hex(6)
    REQUEST_ID.set(request_id)
    return request_id


class SecretFilter(logging.Filter):
    """Replace any configured token or secret in a log record with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        return True

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


class RequestId(logging.Filter):
    """Puts the current request id on each record (``record.request_id``, None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; tracebacks go in ``error`` (redacted like the message)."""

    def __init__(self, redact: SecretFilter) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["error"] = self._redact.redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(
    secrets: Iterable[str], *, fmt: LogFormat = "text", level: int = logging.INFO
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    redact = SecretFilter(secrets)
    handler.addFilter(redact)
    handler.addFilter(RequestId())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(redact))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
