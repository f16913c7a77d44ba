"""What a diagnosis button carries: the probe request and the result it showed.

Any replica may receive the press, so the value holds everything needed to repeat the probe and
say what changed: ``{"u": url, "o": origin, "c": code, "s": snapshot}`` in compact JSON, at most
2,000 characters (Slack's limit for a button value). The value comes back from the client and is
read as hostile input: ``decode`` checks every field and raises ``ValueError`` with a short reason.
"""

from __future__ import annotations

import json
from typing import Any

from bot.chat.replies import ProbeRequest
from bot.chat.snapshot import Snapshot

MAX_VALUE = 2000
MAX_ORIGIN = 300
_MAX_INPUT = 4 * MAX_VALUE  # what we even try to parse
_NOT_IN_URLS = frozenset('<>"` ')


def encode(request: ProbeRequest, snapshot: Snapshot | None) -> str | None:
    """The button value, or None when even the bare request does not fit (or would not read
    back: ``decode`` must accept whatever this writes)."""
    try:
        _check(request.url, request.origin or None, request.code)
    except ValueError:
        return None
    data: dict[str, Any] = {"u": request.url}
    if request.origin:
        data["o"] = request.origin
    if request.code is not None:
        data["c"] = request.code
    bare = _dumps(data)
    if snapshot is not None:
        full = _dumps({**data, "s": snapshot.to_value()})
        if len(full) <= MAX_VALUE:
            return full
    # Without the snapshot the button still repeats the probe, only without the comparison.
    return bare if len(bare) <= MAX_VALUE else None


def decode(value: str) -> tuple[ProbeRequest, Snapshot | None]:
    """Read a button value back; raises ValueError when it is not one of ours."""
    if not isinstance(value, str) or not value or len(value) > _MAX_INPUT:
        raise ValueError("empty or oversized button value")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError("the button value is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the button value is not an object")
    url, origin, code = _check(data.get("u"), data.get("o"), data.get("c"))
    snapshot = Snapshot.from_value(data["s"]) if "s" in data else None
    return ProbeRequest(url=url, origin=origin, code=code), snapshot


def _check(url: object, origin: object, code: object) -> tuple[str, str | None, int | None]:
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ValueError("no http(s) URL in the button value")
    if len(url) > MAX_VALUE:
        raise ValueError("URL too long")
    if any(c in _NOT_IN_URLS or not c.isprintable() for c in url):
        # Nothing typed in Slack yields these (markup and whitespace end a URL there).
        raise ValueError("the URL holds characters a URL cannot")
    if origin is not None and (
        not isinstance(origin, str) or not origin or len(origin) > MAX_ORIGIN
    ):
        raise ValueError("malformed origin")
    if code is not None and (
        isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 999
    ):
        raise ValueError("malformed status code")
    return url, origin, code


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
