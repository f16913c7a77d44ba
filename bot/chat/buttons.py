"""What a diagnosis button carries: the probe request and the result it showed.

Any replica may receive the press, so the value holds everything needed to repeat the probe and
say what changed, in the language of the message the button is on: ``{"u": url, "o": origin,
"c": code, "l": language, "s": snapshot}`` in compact JSON, at most 2,000 characters (Slack's
limit for a button value). English is left out (``l`` only appears for Chinese), so values written
before there was a language still read back, as English. The value comes back from the client and
is read as hostile input: ``decode`` checks every field, refuses keys it does not know, and raises
``ValueError`` with a short reason.
"""

from __future__ import annotations

import json
from typing import Any

from bot.chat.replies import ProbeRequest
from bot.chat.snapshot import Snapshot
from bot.i18n.language import Language, language_of

MAX_VALUE = 2000
MAX_ORIGIN = 300
_MAX_INPUT = 4 * MAX_VALUE  # what we even try to parse
_NOT_IN_URLS = frozenset('<>"` ')
_KEYS = frozenset("uocls")


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
    if request.language != "en":
        data["l"] = request.language
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
    if not _KEYS.issuperset(data):
        raise ValueError("unexpected keys in the button value")
    url, origin, code = _check(data.get("u"), data.get("o"), data.get("c"))
    language = _language(data)
    snapshot = Snapshot.from_value(data["s"]) if "s" in data else None
    return ProbeRequest(url=url, origin=origin, code=code, language=language), snapshot


def _language(data: dict[str, Any]) -> Language:
    if "l" not in data:
        return "en"  # English is never written, and values from before languages have none
    language = language_of(data["l"])
    if language is None or language == "en":
        raise ValueError("unknown language in the button value")
    return language


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


def cancel_value(watch_id: str, language: Language) -> str:
    """The value of a watch's Cancel button: the watch's id, and (unless English) the language
    to answer a press in when the watch has already ended."""
    return watch_id if language == "en" else f"{watch_id}:{language}"


def read_cancel_value(value: str) -> tuple[str, Language]:
    """(watch id, language) from a Cancel button's value; an unknown language reads as English
    (the id alone decides what is cancelled, and an unknown id cancels nothing)."""
    watch_id, _, code = value.partition(":")
    return watch_id, language_of(code) or "en"
