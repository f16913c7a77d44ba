"""Sentences the surfaces share: verdicts, durations and watch news, as plain text in the reply's
language (each surface marks up).

Kept in one place so Slack and the console say the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.replies import WatchEvent, WatchInfo
from bot.chat.snapshot import Snapshot
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language

# Where a fault lies, for people: diagnosis faults and the knowledge base's cause sides.
SIDE = {
    "origin": N_("the origin"),
    "edge": N_("EdgeOne"),
    "network": N_("the network path"),
    "dns": N_("DNS"),
    "client": N_("the client"),
    "account": N_("the account or plan (a quota)"),
    "provider": N_("another CDN or platform"),
    "code": N_("your code"),
    "none": N_("nothing"),
}
# The phases of a probe, as a progress message or a failure names them.
PHASE = {
    "dns": N_("DNS"),
    "connect": N_("connect"),
    "tls": N_("TLS"),
    "http": N_("HTTP"),
    "origin": N_("origin"),
}


def side(fault: str, language: Language) -> str:
    """ "the network path" (``fault`` is a diagnosis fault or a cause side)."""
    return texts(language)(SIDE[fault]) if fault in SIDE else fault


def phase(name: str, language: Language) -> str:
    return texts(language)(PHASE[name]) if name in PHASE else name


def verdict(
    code: int | None, fault: str, status: int | None = None, language: Language = "en"
) -> str:
    """ "522: fault at the network path", "200: no fault found".

    A healthy result shows the status it got: the code may be the one the user reported, which
    this probe did not reproduce.
    """
    _ = texts(language)
    shown = str(code) if code is not None else _("no EdgeOne error code")
    if fault == "none":
        return _("{status}: no fault found").format(status=status if status is not None else shown)
    return _("{code}: fault at {side}").format(code=shown, side=side(fault, language))


def state(snapshot: Snapshot, language: Language = "en") -> str:
    """ "HTTP 522, 522: fault at the network path", "no response (connect failed), ..."."""
    _ = texts(language)
    if snapshot.status is not None:
        status = f"HTTP {snapshot.status}"
    elif snapshot.failed_phase:
        status = _("no response ({phase} failed)").format(
            phase=phase(snapshot.failed_phase, language)
        )
    else:
        status = _("no response")
    shown = verdict(snapshot.code, snapshot.fault, snapshot.status, language)
    return _("{status}, {verdict}").format(status=status, verdict=shown)


def span(seconds: float, language: Language = "en") -> str:
    """A duration for people: "45 s", "30 min", "90 min", "2 h", "2 h 30 min"."""
    _ = texts(language)
    seconds = max(round(seconds), 0)
    if seconds < 120:
        return _("{seconds} s").format(seconds=seconds)
    minutes = round(seconds / 60)
    if minutes < 120:
        return _("{minutes} min").format(minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    return _("{hours} h").format(hours=hours)


def probes(count: int, language: Language) -> str:
    """ "1 probe", "3 probes"."""
    ngettext = plural(language)
    return ngettext("{count} probe", "{count} probes", count).format(count=count)


def when(info: WatchInfo) -> str:
    return info.until.strftime("%H:%M UTC")


def watch_info_text(info: WatchInfo, language: Language = "en") -> str:
    _ = texts(language)
    if not info.active:
        return _("This watch has ended.")
    return _(
        "👀 Watching: I probe again every {interval} until it recovers, at the latest until "
        "{until}, and post here when the result changes."
    ).format(interval=span(info.interval, language), until=when(info))


@dataclass(frozen=True, slots=True)
class Text:
    headline: str
    lines: tuple[str, ...]


def watch_event_text(event: WatchEvent) -> Text:
    """The news of a watch: a headline and the detail lines, in the watch's language."""
    language = event.language
    _ = texts(language)
    url = event.url
    latest = state(event.snapshot, language) if event.snapshot is not None else None
    change_lines = event.change.lines if event.change is not None else ()
    done = probes(event.probes, language)
    if event.kind == "recovered":
        if event.change is not None:
            head = _("✅ Recovered: {change}").format(change=event.change.headline)
        else:
            head = _("✅ {url} is healthy").format(url=url)
        detail = event.detail or _("after {probes}; I stopped watching").format(probes=done)
        sentence = _("{head}. {detail}.").format(head=head, detail=detail[:1].upper() + detail[1:])
        return Text(sentence, change_lines)
    if event.kind == "changed":
        if event.change is not None:
            head = event.change.headline
        else:
            head = _("{url} changed").format(url=url)
        more: tuple[str, ...] = ()
        if event.until:
            until = event.until.strftime("%H:%M UTC")
            more = (_("Still watching until {until}.").format(until=until),)
        return Text(f"🔁 {head}", (*change_lines, *more))
    if event.kind == "expired":
        if latest:
            line = _(
                "⌛ Stopped watching {url}: time is up after {probes}. Last result: {latest}."
            ).format(url=url, probes=done, latest=latest)
        else:
            line = _("⌛ Stopped watching {url}: time is up after {probes}.").format(
                url=url, probes=done
            )
        return Text(line, ())
    if event.kind == "cancelled":
        if event.by:
            line = _("⏹ Watch of {url} cancelled by {who} after {probes}.").format(
                url=url, who=f"<@{event.by}>", probes=done
            )
        else:
            line = _("⏹ Watch of {url} cancelled after {probes}.").format(url=url, probes=done)
        return Text(line, ())
    if event.kind == "shutdown":
        line = _(
            "⏹ Watch of {url} stopped: eo-bot is shutting down. Start it again with "
            "`watch {url}` once I am back."
        ).format(url=url)
        return Text(line, ())
    line = _("⚠️ Watch of {url} stopped: {reason}.").format(
        url=url, reason=event.detail or _("probing kept failing")
    )
    return Text(line, ())


def quote(text: str, language: Language) -> str:
    """Words from elsewhere in the bot that are English only (the probe's reasons and errors),
    inside a sentence of ours: as they are in English, a `quoted` detail in another language."""
    if language == "en":
        return text
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"
