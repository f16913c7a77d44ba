"""Sentences the surfaces share: verdicts and watch news, as plain text (each surface marks up).

Kept in one place so Slack and the console say the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.replies import WatchEvent, WatchInfo
from bot.chat.snapshot import Snapshot
from bot.chat.watches import span

# Where a fault lies, for people: diagnosis faults and the knowledge base's cause sides.
SIDE = {
    "origin": "the origin",
    "edge": "EdgeOne",
    "network": "the network path",
    "dns": "DNS",
    "client": "the client",
    "account": "the account or plan (a quota)",
    "provider": "another CDN or platform",
    "code": "your code",
    "none": "nothing",
}


def verdict(code: int | None, fault: str, status: int | None = None) -> str:
    """ "522: fault at the network path", "200: no fault found".

    A healthy result shows the status it got: the code may be the one the user reported, which
    this probe did not reproduce.
    """
    shown = str(code) if code is not None else "no EdgeOne error code"
    if fault == "none":
        return f"{status if status is not None else shown}: no fault found"
    return f"{shown}: fault at {SIDE.get(fault, fault)}"


def state(snapshot: Snapshot) -> str:
    """ "HTTP 522 (522: fault at the network path)", "no response (connect failed)"."""
    status = f"HTTP {snapshot.status}" if snapshot.status is not None else "no response"
    if snapshot.status is None and snapshot.failed_phase:
        status += f" ({snapshot.failed_phase} failed)"
    return f"{status}, {verdict(snapshot.code, snapshot.fault, snapshot.status)}"


def when(info: WatchInfo) -> str:
    return info.until.strftime("%H:%M UTC")


def watch_info_text(info: WatchInfo) -> str:
    if not info.active:
        return "This watch has ended."
    return (
        f"👀 Watching: I probe again every {span(info.interval)} until it recovers, "
        f"at the latest until {when(info)}, and post here when the result changes."
    )


@dataclass(frozen=True, slots=True)
class Text:
    headline: str
    lines: tuple[str, ...]


def watch_event_text(event: WatchEvent) -> Text:
    """The news of a watch: a headline and the detail lines."""
    url = event.url
    latest = state(event.snapshot) if event.snapshot is not None else None
    change_lines = event.change.lines if event.change is not None else ()
    probes = f"{event.probes} probe{'s' if event.probes != 1 else ''}"
    if event.kind == "recovered":
        if event.change is not None:
            head = f"✅ Recovered: {event.change.headline}"
        else:
            head = f"✅ {url} is healthy"
        detail = event.detail or f"after {probes}; I stopped watching"
        return Text(f"{head}. {detail[0].upper()}{detail[1:]}.", change_lines)
    if event.kind == "changed":
        head = event.change.headline if event.change is not None else f"{url} changed"
        more = (
            (f"Still watching until {event.until.strftime('%H:%M UTC')}.",) if event.until else ()
        )
        return Text(f"🔁 {head}", (*change_lines, *more))
    if event.kind == "expired":
        last = f" Last result: {latest}." if latest else ""
        return Text(f"⌛ Stopped watching {url}: time is up after {probes}.{last}", ())
    if event.kind == "cancelled":
        who = f" by <@{event.by}>" if event.by else ""
        return Text(f"⏹ Watch of {url} cancelled{who} after {probes}.", ())
    if event.kind == "shutdown":
        return Text(
            f"⏹ Watch of {url} stopped: eo-bot is shutting down. Start it again with "
            f"`watch {url}` once I am back.",
            (),
        )
    return Text(f"⚠️ Watch of {url} stopped: {event.detail or 'probing kept failing'}.", ())
