"""What is being asked: text as typed in Slack (or a terminal) → one intent.

``parse`` reads plain words after Slack markup is removed (``bot.markup``) and decides between:

- ``Help``: ``help``, ``?``, ``usage`` (``帮助``, ``用法``);
- ``Empty``: nothing to go on;
- ``Probe``: ``probe <url> [origin=host[:port]]`` (``探测 <url>``, ``诊断 <url>``), or any text
  holding an http(s) URL (a status code next to the URL is kept as the code the user saw);
- ``Watch``: ``watch <url> [for 30m] [origin=...]`` (``监控 <url> 30分钟``): re-probe until it
  recovers;
- ``Unwatch``: ``unwatch``, ``stop watching``, ``cancel watch`` (``取消监控``, ``停止监控``): stop
  the watches of a thread;
- ``Zone``, ``Logs``, ``Purge``: ``zone <host>``, ``logs <EO-LOG-UUID> [host]`` and
  ``purge <url|host>`` (``站点``, ``日志``, ``刷新缓存`` or ``清除缓存``), EdgeOne's own view (the
  API); the keyword alone gets its usage, and words after it that are not a host, an ID or a URL
  leave the text a question (``zone not active``, ``日志在哪里看``);
- a probe or a watch ending in ``from fra,sin`` or ``from all`` (``从 fra,sin``) runs in those
  regions too (``regions`` on ``Probe``/``Watch``); ``ListRegions``: ``regions`` (``区域``),
  the live probe agents (``bot.intent_regions``);
- ``Invalid``: ``probe``/``watch`` without a URL, a malformed ``origin=`` or duration: carries a
  user-facing message, in the language asked for;
- ``Ask``: everything else, a question for the knowledge base.

This module knows nothing about Slack's API; it only understands the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot.agents.names import Regions
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.intent_regions import find_regions, is_regions_request
from bot.markup import to_plain

_HELP_WORDS = frozenset(
    {"help", "?", "usage", "-h", "--help", "h", "？", "帮助", "用法", "使用说明"}
)
# Chinese commands: the word, then a space, a colon or straight away the URL or host.
_ZH_PROBE = re.compile(r"^(?:探测|诊断)(?:\s*[:：]\s*|\s+|$|(?=[A-Za-z0-9\[]))")
_ZH_WATCH = re.compile(r"^(?:监控|观察)(?:\s*[:：]\s*|\s+|$|(?=[A-Za-z0-9\[]))")
_ZH_UNWATCH = re.compile(r"^(?:取消|停止|结束|别再?)(?:监控|观察)|^(?:取消|停止)[。.!！]*$")
# A URL ends at the first Chinese character: Chinese is written without a space after a link
# ("https://shop.example.com/cart，一直报502" once NFKC turned the comma into ","). A path in
# Chinese characters is read up to there; Slack sends such links percent-encoded anyway.
_URL = re.compile(
    r"\bhttps?://[^\s<>\"'\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+", re.I
)
_TRAILING = ".,;:!?)]}>'\"…"
_ORIGIN = re.compile(r"(?<![\w-])origin\s*[=:]\s*(\S*)", re.IGNORECASE)
_ORIGIN_VALUE = re.compile(
    r"(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|[0-9a-f:]+)(?::\d{1,5})?", re.IGNORECASE
)
# Chinese writes the code right against its words ("一直报522错误"), so only Latin letters and
# digits next to it make it part of something else; a Chinese counter after it makes it a count.
_CODE = re.compile(
    r"(?<![A-Za-z0-9_.:/%-])(?<!第)([1-5]\d\d)(?:s|'s)?"
    r"(?![A-Za-z0-9_.:/%-]|\s?(?:ms|s|sec|secs|seconds?|kb|mb|gb|%)\b"
    r"|\s?[个次人条秒元台位件分毫天周行号])",
    re.IGNORECASE,
)
# A bare host given to `probe` (no scheme): example.com, example.com/cart, 203.0.113.9:8080.
_BARE_HOST = re.compile(r"^(?:[\w-]+\.)+[\w-]+(?::\d{1,5})?(?:/\S*)?$|^\[[0-9a-f:]+\](?::\d+)?")

_NOT_A_CODE_AFTER = frozenset({"port", "in", "after", "took", "last", "every", "x", "top"})

USAGE = "probe <url> [origin=<host|ip>[:port]]"
# EdgeOne's commands: (usage, example), translated with the Chinese command words.
EDGEONE_USAGE = {
    "zone": (N_("zone <host>"), N_("zone shop.example.com")),
    "logs": (N_("logs <EO-LOG-UUID> [host]"), N_("logs 4105283880544427145 shop.example.com")),
    "purge": (N_("purge <url|host>"), N_("purge https://shop.example.com/app.js")),
}
# The Chinese words for them, then a space, a colon or straight away the host, ID or URL.
_ZH_EDGEONE = re.compile(
    r"^(站点|日志|刷新缓存|清除缓存)(?:\s*[:：]\s*|\s+|$|(?=[A-Za-z0-9\[`'\"]))"
)
_ZH_EDGEONE_WORDS = {"站点": "zone", "日志": "logs", "刷新缓存": "purge", "清除缓存": "purge"}
# An EO-LOG-UUID as people paste it (the view checks it again): letters, digits, dashes, a digit.
_LOG_ID = re.compile(r"[`'\"]?(?=[\w-]*\d)[0-9A-Za-z][0-9A-Za-z-]{5,63}[`'\"]?")
_HOSTISH = re.compile(r"^(?:[\w-]+\.)+[\w-]+\.?$")
WATCH_USAGE = "watch <url> [for 30m] [origin=<host|ip>[:port]]"

# "for 30m", "for 2 hours", "for 90s", "for 1h30m": how long a watch may run.
_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)"
# "for 30m", "for 2 hours", "for 1h 30m": every number-and-unit part after "for"; when what
# follows "for" is not a duration, the next word is taken so the answer can quote it.
_FOR = re.compile(
    rf"(?<![\w-])for\s+(\d+(?:\.\d+)?\s*{_UNIT}?(?![\w.])"
    rf"(?:\s*\d+(?:\.\d+)?\s*{_UNIT}(?![\w.]))*|\S+)",
    re.IGNORECASE,
)
_DURATION_PART = re.compile(rf"(\d+(?:\.\d+)?)\s*({_UNIT})?", re.IGNORECASE)
# "30分钟", "1小时30分钟", "持续 2 小时", "90秒": a watch's length written in Chinese.
_ZH_UNIT = r"(?:秒钟?|分钟?|个?小时|钟头|天)"
# The number must not continue a URL, a host or another number ("/a30分钟" is a path).
_ZH_FOR = re.compile(
    rf"(?:持续|共)?\s*(?<![A-Za-z0-9_/.%=:?&#\-])((?:\d+(?:\.\d+)?\s*{_ZH_UNIT}\s*)+)(?![\d.])"
)
_ZH_PART = re.compile(rf"(\d+(?:\.\d+)?)\s*({_ZH_UNIT})")
_ZH_SECONDS = {"秒": 1, "分": 60, "小": 3600, "个": 3600, "钟": 3600, "天": 86400}
_UNWATCH = re.compile(
    r"^(?:unwatch|stop\s+watch(?:ing)?|cancel\s+(?:the\s+)?watch(?:es|ing)?)\b"
    r"|^(?:stop|cancel)(?:\s+(?:it|that|this|please))?[.!]*$",
    re.IGNORECASE,
)
MAX_ORIGIN = 261  # a DNS name (253) with a port


@dataclass(frozen=True, slots=True)
class Ask:
    text: str  # the question, markup removed


@dataclass(frozen=True, slots=True)
class Probe:
    url: str
    origin: str | None = None  # host[:port] to probe directly as the origin
    code: int | None = None  # a status code the user mentioned next to the URL
    text: str = ""  # the whole message, markup removed
    explicit: bool = False  # asked with the `probe` keyword
    regions: Regions | None = None  # `from fra,sin` / `from all`: probe there too


@dataclass(frozen=True, slots=True)
class Watch:
    url: str
    origin: str | None = None
    code: int | None = None
    duration: float | None = None  # seconds asked for with "for 30m"; None: the default
    regions: Regions | None = None  # `from fra,sin` / `from all`: probe there too


@dataclass(frozen=True, slots=True)
class Unwatch:
    pass


@dataclass(frozen=True, slots=True)
class Zone:
    host: str  # as typed: a host or a URL (the handler validates it)


@dataclass(frozen=True, slots=True)
class Logs:
    request_id: str
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Purge:
    target: str  # a URL (that object) or a host (everything cached for it)


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class ListRegions:
    """`regions`: which probe agents are running, region by region."""


@dataclass(frozen=True, slots=True)
class Empty:
    pass


@dataclass(frozen=True, slots=True)
class Invalid:
    problem: str  # a user-facing message saying what was wrong and how to ask
    about: Literal["url", "origin", "duration", "regions"] = "url"  # the part that was wrong


Intent = Ask | Probe | Watch | Unwatch | Zone | Logs | Purge | Help | Empty | Invalid | ListRegions


def parse(raw: str, *, language: Language = "en") -> Intent:
    """Read one message (Slack markup allowed) into an intent; an ``Invalid`` one says what was
    wrong in ``language``."""
    intent = _parse(raw, language)
    if isinstance(intent, Ask) and is_regions_request(intent.text):
        return ListRegions()
    if not isinstance(intent, Probe | Watch):
        return intent
    text = to_plain(raw).text.strip()
    right_after = None
    if isinstance(intent, Probe) and not intent.explicit:
        right_after = text.find(intent.url) + len(intent.url)
    clause = find_regions(text, right_after=right_after, language=language)
    if clause is None:
        return intent
    if clause.regions is None:
        return Invalid(clause.problem or "", about="regions")
    return replace(intent, regions=clause.regions)


def _parse(raw: str, language: Language) -> Intent:
    plain = to_plain(raw)
    text = plain.text.strip()
    words = text.split()
    if not words or not text.strip(" .,;:!?-'\"()[]{}。，；：！？、"):
        return Empty()
    first = words[0].lower().rstrip(":,：，")
    if len(words) == 1 and first in _HELP_WORDS:
        return Help()
    if first == "help" and len(words) <= 3:
        return Help()
    if first == "probe":
        return _explicit_probe(text[len(words[0]) :].strip(), text, language)
    if first == "watch":
        return _watch(text[len(words[0]) :].strip(), language)
    if zh := _ZH_PROBE.match(text):
        return _explicit_probe(text[zh.end() :].strip(), text, language)
    if zh := _ZH_WATCH.match(text):
        return _watch(text[zh.end() :].strip(), language)
    if _UNWATCH.match(text) or _ZH_UNWATCH.match(text):
        return Unwatch()
    if first in EDGEONE_USAGE:
        command = _edgeone(first, words[1:], language)
        if command is not None:
            return command
    if zh := _ZH_EDGEONE.match(text):
        command = _edgeone(_ZH_EDGEONE_WORDS[zh.group(1)], text[zh.end() :].split(), language)
        if command is not None:
            return command
    url = _first_url(text)
    if url is not None:
        return _implicit_probe(url, text, language)
    return Ask(text=text)


def _explicit_probe(rest: str, text: str, language: Language) -> Probe | Invalid:
    _ = texts(language)
    origin, rest, problem = _take_origin(rest, language)
    if problem:
        return Invalid(problem, about="origin")
    url = _first_url(rest)
    if url is None:
        candidate = rest.split()[0].rstrip(_TRAILING) if rest.split() else ""
        if candidate and _BARE_HOST.match(candidate):
            url = candidate
    if url is None:
        if rest:
            problem = _(
                "I need a URL in “{text}” to probe. Usage: `{usage}`, e.g. "
                "`probe https://example.com/`"
            ).format(text=_short(rest), usage=USAGE)
        else:
            problem = _(
                "I need a URL to probe. Usage: `{usage}`, e.g. `probe https://example.com/`"
            ).format(usage=USAGE)
        return Invalid(problem)
    code = _code_outside(rest, url)
    return Probe(url=url, origin=origin, code=code, text=text, explicit=True)


def _watch(rest: str, language: Language) -> Watch | Invalid:
    _ = texts(language)
    duration: float | None = None
    match = _FOR.search(rest)
    if match is not None:
        duration = parse_duration(match.group(1).strip())
        if duration is None:
            problem = _(
                "I could not read “{text}” as a duration. Usage: `{usage}`, e.g. "
                "`watch https://example.com/ for 30m` (s, m or h)."
            ).format(text=_short(match.group(1)), usage=WATCH_USAGE)
            return Invalid(problem, about="duration")
    else:
        match = _ZH_FOR.search(rest)
        if match is not None:
            duration = _zh_duration(match.group(1))
    if match is not None:
        rest = (rest[: match.start()] + " " + rest[match.end() :]).strip()
    probe = _explicit_probe(rest, rest, language)
    if isinstance(probe, Invalid):
        if probe.about == "origin":
            return probe
        return Invalid(
            _(
                "I need a URL to watch. Usage: `{usage}`, e.g. `watch https://example.com/ for 30m`"
            ).format(usage=WATCH_USAGE)
        )
    return Watch(url=probe.url, origin=probe.origin, code=probe.code, duration=duration)


def _edgeone(
    keyword: str, args: list[str], language: Language
) -> Zone | Logs | Purge | Invalid | None:
    """An EdgeOne command, its usage when the keyword comes alone, None when the words after it
    do not fit it (the text is then a question)."""
    if not args:
        _ = texts(language)
        usage, example = EDGEONE_USAGE[keyword]
        return Invalid(
            _("Usage: `{usage}`, e.g. `{example}`.").format(usage=_(usage), example=_(example))
        )
    first = args[0].rstrip(_TRAILING)
    if keyword == "zone" and len(args) == 1 and _hostish(first):
        return Zone(host=first)
    if keyword == "logs" and len(args) <= 2 and _LOG_ID.fullmatch(first):
        host = args[1].rstrip(_TRAILING) if len(args) == 2 else None
        if host is None or _hostish(host):
            return Logs(request_id=first.strip("`'\""), host=host)
    if keyword == "purge" and len(args) == 1 and _hostish(first):
        return Purge(target=first)
    return None


def _hostish(word: str) -> bool:
    """A URL, or a dotted name (the handler checks it properly)."""
    return _URL.fullmatch(word) is not None or _HOSTISH.match(word) is not None


def _zh_duration(raw: str) -> float | None:
    """Seconds in "30分钟", "1小时30分钟", "90秒", "2天" (the Chinese duration pattern matched)."""
    total = sum(float(number) * _ZH_SECONDS[unit[0]] for number, unit in _ZH_PART.findall(raw))
    return total if 0 < total <= 7 * 86400 else None


def parse_duration(raw: str) -> float | None:
    """Seconds in "30m", "2 hours", "90s", "1h30m" or bare minutes; None when unreadable."""
    text = raw.strip().lower().replace(" ", "")
    if not text:
        return None
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        number, unit = float(match.group(1)), (match.group(2) or "m")
        total += number * {"s": 1, "m": 60, "h": 3600}[unit[0]]
        position = match.end()
    if position != len(text) or total <= 0 or total > 7 * 86400:
        return None
    return total


def _implicit_probe(url: str, text: str, language: Language) -> Probe | Invalid:
    origin, rest, problem = _take_origin(text, language)
    if problem:
        return Invalid(problem, about="origin")
    return Probe(url=url, origin=origin, code=_code_outside(rest, url), text=text)


def _take_origin(text: str, language: Language = "en") -> tuple[str | None, str, str | None]:
    """(origin, text without the origin option, problem)."""
    match = _ORIGIN.search(text)
    if match is None:
        return None, text, None
    value = match.group(1).rstrip(_TRAILING.replace("]", ""))
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    if value.lower().startswith(("http://", "https://")):
        value = value.split("://", 1)[1].split("/", 1)[0]
    if (
        not value
        or len(value) > MAX_ORIGIN
        or not _ORIGIN_VALUE.fullmatch(value)
        or _bad_port(value)
    ):
        _ = texts(language)
        if value:
            problem = _(
                "`origin=` takes a host or IP with an optional port, e.g. "
                "`origin=203.0.113.9:8080` (got “{value}”)."
            ).format(value=_short(value))
        else:
            problem = _(
                "`origin=` takes a host or IP with an optional port, e.g. "
                "`origin=203.0.113.9:8080`."
            )
        return None, rest, problem
    return value, rest, None


def _bad_port(value: str) -> bool:
    host, colon, port = value.rpartition(":")
    if not colon or (":" in host and not host.endswith("]")):
        return False  # no port, or a bare IPv6 address
    return not port.isdigit() or not 1 <= int(port) <= 65535


def parse_origin(raw: str, language: Language = "en") -> tuple[str | None, str]:
    """An origin typed on its own (the "Compare with origin" modal): (origin, problem)."""
    _ = texts(language)
    value = raw.strip()
    if not value:
        return (
            None,
            _("Type the origin's IP or host name, e.g. 203.0.113.10 or origin.example.com:8443."),
        )
    origin, _rest, problem = _take_origin(f"origin={value.split()[0]}", language)
    if origin is None or len(value.split()) > 1:
        return None, problem or _("Type one address only, e.g. 203.0.113.10:8080.")
    return origin, ""


def _first_url(text: str) -> str | None:
    match = _URL.search(text)
    if match is None:
        return None
    url = match.group(0).rstrip(_TRAILING)
    # Keep a closing bracket that belongs to the URL (IPv6 literal or balanced parentheses).
    return url or None


def _code_outside(text: str, url: str) -> int | None:
    """A status code the user typed next to the URL (not part of it)."""
    without = _URL.sub(" ", text.replace(url, " "))
    for match in _CODE.finditer(without):
        before = without[: match.start()].split()
        if before and before[-1].lower() in _NOT_A_CODE_AFTER:
            continue
        return int(match.group(1))
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
