"""Recognise an alert about an EdgeOne error in a channel message.

In channels configured for it, the bot answers messages that name an EdgeOne status code or error
name *together with* the site that failed, whether a person typed them ("HTTP 524 on
https://api.example.com/v1") or an alerting integration posted them (Alertmanager, Grafana,
Datadog, PagerDuty, uptime checkers). Those channels are on-call channels: answering a message
that only looks alike ("ticket #522 closed", "took 524 ms on shop.example.com") is noise that
teaches people to mute the bot, so every rule here leans towards staying quiet. A number only
counts as a status code when the words around it say so, and a name only counts as a host when it
looks like a real DNS name.

The module is pure: text and a knowledge base in, an :class:`Alert` or ``None`` out. It knows
nothing about Slack's API; the Slack layer gathers the text (message, attachments) and decides
what to do with the answer.

Every regular expression here is linear (no nested unbounded repetition), and at most
``MAX_SCAN_CHARS`` characters of a message are read, so a hostile message costs a bounded time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.i18n.language import Language, detect
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.markup import to_plain

# Alert titles and the labels that matter come first; Slack's limit is 40k characters but nothing
# useful for this decision lives after the first screenful, and the cap bounds the cost.
MAX_SCAN_CHARS = 4000
# Beyond this many three-digit numbers a message is a table or a log dump, not an alert.
MAX_CODE_CANDIDATES = 64
# How much of the line around a number is read to judge it (the words right next to it matter).
_WINDOW = 48

_MASK = "\x00"  # replaces URLs and hosts in the scanned text; to_plain removes real control chars

# -- URLs and hosts ------------------------------------------------------------------------------

# Chinese text may follow a URL without a space ("…/orders，源站超时"): the URL ends there.
_URL = re.compile(
    r"https?://[^\s<>\"'`\x00\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+", re.I
)
_URL_TRAILING = ".,;:!?)]}>'\"…*_"

# A bare DNS name: 2-9 labels, a letters-only TLD, an optional port and path (kept in the span so
# a code inside the path or a port is never read as a status). The look-behind refuses the host
# part of an email address (``@``) and the middle of a longer token; label and repeat counts are
# bounded so the expression stays linear.
_HOST = re.compile(
    r"(?<![A-Za-z0-9_@.\-/\\%+\x00])"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24}))"
    r"\.?(?::[0-9]{1,5})?(?:/[^\s<>\"'`\x00]*)?"
    r"(?![A-Za-z0-9_@\-])"
)

# Endings of file names people paste ("see report.pdf", "config.yaml"). Some are real TLDs
# (.md, .sh, .py, .zip, .mov): in a chat message they are far more often files than sites.
_FILE_EXTENSIONS = frozenset(
    """
    pdf yaml yml json txt log png jpg jpeg gif svg webp ico bmp tif tiff zip gz tgz bz2 xz tar rar
    py pyc js mjs cjs ts tsx jsx sh bash zsh md mdx rst csv tsv html htm exe conf cfg ini xml toml
    lock env go java kt rb php css scss less sql db sqlite dll so dylib bin dat bak tmp swp pem crt
    cer csr key pid sock out err vue svelte ipynb doc docx xls xlsx ppt pptx odt rtf mov mp4 mp3
    wav avi mkv iso dmg img jar war class whl egg gradle properties tf tfvars hcl lua pyi
    """.split()
)

# Links into the alerting tools themselves ("View in Datadog", Grafana's "Source:" link, the
# EdgeOne console): they say where the alert came from, never which site failed.
_TOOL_DOMAINS = (
    "grafana.net",
    "grafana.com",
    "datadoghq.com",
    "datadoghq.eu",
    "ddog-gov.com",
    "pagerduty.com",
    "opsgenie.com",
    "atlassian.net",
    "statuspage.io",
    "uptimerobot.com",
    "pingdom.com",
    "statuscake.com",
    "betterstack.com",
    "betteruptime.com",
    "newrelic.com",
    "sentry.io",
    "slack.com",
    "console.cloud.tencent.com",
    "console.tencentcloud.com",
)
# Self-hosted consoles are only a guess from the first label, so they are a last resort rather
# than refused: "HTTP 524 on https://grafana.example.com" may really be about that site.
_CONSOLE_LABELS = frozenset({"grafana", "alertmanager", "prometheus", "kibana"})

# -- status codes --------------------------------------------------------------------------------

# A three-digit number that stands on its own: not part of a longer number, word, version, IP,
# decimal, range, path, ticket (#522), amount ($524) or percentage. An optional plural ("524s")
# is captured so the context rules can be stricter about it (it may be seconds). A colon right
# before the number is allowed here and judged in code (``status:524`` yes, ``host:524`` no).
_CODE = re.compile(
    r"(?<![A-Za-z0-9_.#$€£¥₹/\\+~@^%&\x00\-])"
    r"(?<![0-9],)"
    r"([1-5][0-9]{2})('s|s)?"
    r"(?![A-Za-z0-9_%$€£¥₹/\\\x00]|[.,:\-][A-Za-z0-9_])"
)

# Tokens of the text before a code: a masked URL/host run, a run of CJK characters, or a word
# (with the punctuation that belongs to labels and tags: status_code, http.status_code, FIRING:1).
_TOKEN = re.compile(r"\x00+|[\u3400-\u9fff]+|[A-Za-z0-9_./:@\-]+")
_NEXT_TOKEN = re.compile(r"[ \t]*([A-Za-z]+|[0-9]+|%|[$€£¥₹]|[\u3400-\u9fff])")

# Words that make the number right after them a status: the status itself...
_NOUN_WORDS = frozenset(
    """
    http https status statuses statuscode status_code http_status httpstatus http_code
    response_code responsecode code codes error errors err response responses firing alerting
    triggered rate ratio spike spikes reason edgeone eo cdn
    """.split()
)
# ...or a verb whose object is the status ("returned 524", "getting 524s").
_VERB_WORDS = frozenset(
    """
    returned returns returning return got gets getting get gave gives giving give responded
    responds responding answered answers answering serving serves served throwing throws threw
    seeing sees saw see failing failed fails hitting hit receiving received
    """.split()
)
# CJK phrasings (EdgeOne's users often write Chinese): 状态码 524, 返回 524, 报 524.
_CJK_NOUNS = ("状态码", "错误码", "响应码", "报错", "错误")
_CJK_VERBS = ("返回", "出现", "遇到", "报")
# Words that may sit between the status word and the number: "returned a 524", "status of 524",
# "responded with an HTTP 524".
_FILLERS = frozenset(
    """
    a an the with of is was are were be been as by back still now again some occasional
    intermittent random constant
    """.split()
)
# Words that, right before a number, make it something else: an identifier (build 524, PR 524,
# port 524), a measurement (took 524, p99 524, latency 524), a bound (over 524, within 524) or the
# value that was *expected* rather than seen ("expected 404, got 200").
_NOT_A_CODE_AFTER = frozenset(
    """
    build builds version ver v release rel ticket issue pr mr job run id incident inc case
    order invoice port page line row room step item no nr num number batch attempt rev
    revision commit pipeline sprint story bug task pid uid gid took takes after in last every
    top within over under above below than about around approx approximately nearly almost
    roughly total count sum avg average mean median max min p50 p90 p95 p99 latency value
    expected expecting expect want wanted wants should not vs versus except excluding ignore
    ignoring flight gate floor suite apt ext tel phone zip year since until x usd eur gbp cny
    rmb jpy hkd inr
    """.split()
)
# Words that, right after a number, make it a count, amount or measurement.
_COUNT_WORDS = frozenset(
    """
    ms msec msecs millisecond milliseconds s sec secs second seconds m min mins minute minutes
    h hr hrs hour hours d day days wk week weeks k kb kib mb mib gb gib tb b bytes byte px pt pts
    points x times usd eur gbp cny rmb jpy dollars euros yuan bucks users user visitors visitor
    visits requests request reqs req orders items hits rows records events messages msgs files
    tickets issues people persons customers sessions new more less fewer total per out of
    signups downloads installs commits tests builds jobs nodes servers instances pods hosts domains
    sites urls alerts incidents attempts retries tries connections conns threads workers cores
    rps qps tps ops mbps kbps gbps likes views clicks words lines pages
    """.split()
)
_CJK_COUNTERS = frozenset("个次人条秒元台位件分毫天周")
# Plural nouns that still name the status ("HTTP 524 errors", "seeing 524 responses").
_STATUS_PLURALS = frozenset({"errors", "responses", "codes", "statuses"})
# Words that end in "s" without being plural nouns.
_NOT_PLURAL = frozenset(
    {"is", "was", "has", "does", "this", "its", "as", "us", "plus", "thus", "across", "always"}
)
# Words after a code that start a new phrase rather than describe what was counted.
_LINKING_WORDS = frozenset(
    """
    on at for from in to since again when while and but or with via after before across every
    today now still yet
    """.split()
)
# Words after which a lone "524 on <host>" still reads as a status.
_LEAD_WORDS = frozenset(
    """
    origin timeout timeouts time-out alert alarm critical crit warning warn unreachable
    failure outage problem down p1 p2 p3 sev1 sev2 sev3
    """.split()
)
_STATUS_LABELS = frozenset(
    {"status", "code", "status_code", "statuscode", "http_status", "http_code", "response_code"}
)
_FAMILY_WORD = re.compile(r"[1-5](?:[0-9]|x)x")

# Reason phrases that follow a code in HTTP status lines and uptime checkers ("524 Origin
# Time-out", "522 Connection Timed Out"), plus "524 error" (singular: a count would be plural).
_REASON_AFTER = re.compile(
    r"[ \t]*[(\[:|–—\-]?[ \t]*"
    r"(?:error|err|rate|ratio|spike|bad gateway|service unavailable|gateway time-?out|"
    r"not found|forbidden|internal server error|unauthori[sz]ed|too many requests|"
    r"payload too large|request entity too large|origin time-?out|a timeout occurred|"
    r"origin (?:is )?unreachable|web server is down|connection timed out|ssl handshake failed|"
    r"unknown error|bad request|failed dependency|range not satisfiable|"
    r"network authentication required|unavailable for legal reasons|client closed request|"
    r"time-?out|timed out|错误|报错|超时)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
# "524 on https://…", "522 for shop.example.com", "525 - https://…": the code names the site.
_SITE_AFTER = re.compile(
    r"[ \t)\]\"']*(?:(?:on|at|for|from)\b|[:|@→–—\-]|->)[ \t]*[\"'(\[<]?\x00", re.IGNORECASE
)
# "shop.example.com: 524", "https://x -> 522", `instance="https://x"} = 524`, "shop (524)".
_SITE_BEFORE = re.compile(r"[ \t\"'\])}]*(?:[:|=(→–—\-]|->|=>)[ \t]*[\"'(\[]?")
_SITE_BEFORE_LOOSE = re.compile(r"[ \t\"'\])}(]*")
_SITE_AFTER_LOOSE = re.compile(r"[ \t]+[\"'(\[<]?\x00")

# An alert title line: "[FIRING:1] …", "[Triggered] …", "ALERT: …". Inside such a line a code
# right next to the host ("(shop.example.com 524 critical)") is a label value, not a count.
_ALERT_LINE = re.compile(
    r"\[(?:firing|triggered|alert|alarm|critical|crit|warning|warn|down|p[1-5]|sev[1-5])\b"
    r"|^\W{0,4}(?:firing|triggered|alert|alarm)\b",
    re.IGNORECASE,
)
# A notification that the problem is over: answering it would explain something already fixed.
_RESOLVED = re.compile(
    r"^\W{0,8}(?:\[\s*(?:resolved|recovered|ok)\b|(?:resolved|recovered)\b\s*(?:[:\-—–!\]]|$))",
    re.IGNORECASE,
)

# -- names and products --------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9_]+")
_PAGES_HINT = re.compile(
    r"\b(?:edgeone[ -]?)?pages\b|\b(?:node|cloud|pages)[ -]?functions?\b", re.IGNORECASE
)
_EF_HINT = re.compile(r"\bedge[ -]?functions?\b", re.IGNORECASE)
_PAGES_HOST_SUFFIXES = (".edgeone.app", ".edgeone.run")
# With no hint, on-call alerts are most often about site acceleration (as in the matcher).
_PRODUCT_RANK = {Product.SITE_ACCELERATION: 0, Product.PAGES: 1, Product.EDGE_FUNCTIONS: 2}


@dataclass(frozen=True, slots=True)
class Alert:
    code: int | None  # the EdgeOne status code named (None when only a name was given)
    name: str | None  # the EdgeOne error name named, upper-case as in the KB
    url: str | None  # the first http(s) URL in the message (markup removed), if any
    host: str | None  # the host of that URL, or a bare host name found in the text
    entry_ids: tuple[str, ...]  # knowledge entry ids for the code/name, best first (non-empty)
    language: Language = "en"  # the language the alert is written in (the answer's, by default)


def find_alert(text: str, kb: KnowledgeBase) -> Alert | None:
    """The EdgeOne error and site a message reports, or None when it does not clearly report one.

    ``text`` may hold Slack markup and several lines (alert bodies); only the first
    ``MAX_SCAN_CHARS`` characters are read.
    """
    # Line by line so that words on one line never lend context to a number on the next
    # ("Labels:" / "- build = 524").
    lines = [to_plain(line).text for line in text[:MAX_SCAN_CHARS].splitlines()]
    plain = "\n".join(lines)
    if not plain.strip() or _is_resolved(lines):
        return None

    scan, urls = _mask_urls(plain)
    scan, hosts = _mask_hosts(scan)
    url, host = _pick_site(urls, hosts)
    if host is None:
        return None  # a code with no site is a question, not an alert

    names_by_upper = {n: e for e in kb.entries for n in e.names}
    name = _find_name(scan, names_by_upper)
    # Only error statuses: a 3xx in a message (the redirect-loop entry lists them) is a normal
    # answer far more often than an outage report.
    errors = {c for e in kb.entries for c in e.codes if c >= 400}
    code = _find_code(scan, errors, names_by_upper)
    if code is None and name is None:
        return None

    entries: list[Entry] = []
    if name is not None:
        entries = [e for e in kb.entries if name in e.names]
    if code is not None:
        ranked = _rank_for_code(code, kb, scan, host)
        if name is None:
            # A one-word name ("423 DEPLOYING", "410 DELETED") is ordinary English, so it is
            # only read in capitals and in a message whose code it belongs to; it then only
            # picks among that code's entries, never adds one.
            word_name = _word_name(scan, ranked)
            if word_name is not None:
                name = word_name
                ranked.sort(key=lambda e: word_name not in e.names)
        entries += [e for e in ranked if e not in entries]
    return Alert(
        code=code,
        name=name,
        url=url,
        host=host,
        entry_ids=tuple(e.id for e in entries),
        language=detect(plain),
    )


# -- sites ---------------------------------------------------------------------------------------


def _mask_urls(text: str) -> tuple[str, list[tuple[str, str | None]]]:
    """The text with URLs blanked out, and each URL with its host (None when unparseable)."""
    pieces: list[str] = []
    found: list[tuple[str, str | None]] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        end = match.start() + len(url)
        if "://" not in url or url.endswith("://"):
            continue
        pieces += [text[last : match.start()], _MASK * len(url)]
        last = end
        found.append((url, _url_host(url)))
    pieces.append(text[last:])
    return "".join(pieces), found


def _url_host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return host.rstrip(".") or None if host else None


def _mask_hosts(text: str) -> tuple[str, list[str]]:
    """The text with bare host names (and their port and path) blanked out, and those hosts."""
    pieces: list[str] = []
    found: list[str] = []
    last = 0
    for match in _HOST.finditer(text):
        host, tld = match.group(1), match.group(2)
        if not _plausible_host(host, tld):
            continue
        pieces += [text[last : match.start()], _MASK * (match.end() - match.start())]
        last = match.end()
        found.append(host.lower())
    pieces.append(text[last:])
    return "".join(pieces), found


def _plausible_host(host: str, tld: str) -> bool:
    if len(host) > 253 or tld.lower() in _FILE_EXTENSIONS:
        return False
    # "timeout.Please" (a missing space after a full stop) is not a host; real hosts are written
    # in one case.
    return tld.islower() or tld.isupper()


def _tool_kind(host: str) -> int:
    """0 for a site, 1 for a self-hosted monitoring console, 2 for an alerting SaaS."""
    if any(host == d or host.endswith("." + d) for d in _TOOL_DOMAINS):
        return 2
    return 1 if host.split(".", 1)[0] in _CONSOLE_LABELS else 0


def _pick_site(
    urls: list[tuple[str, str | None]], hosts: list[str]
) -> tuple[str | None, str | None]:
    """(url, host): the first URL naming a site, else the first bare host, else a console."""
    for kind in (0, 1):
        for url, host in urls:
            if host is not None and _tool_kind(host) == kind:
                return url, host
        for host in hosts:
            if _tool_kind(host) == kind:
                return None, host
    return None, None


# -- names ---------------------------------------------------------------------------------------


def _find_name(scan: str, names: dict[str, Entry]) -> str | None:
    """The first multi-word error name (NODE_FUNCTION_INVOCATION_TIMEOUT), any case, exact."""
    for match in _WORD.finditer(scan):
        token = match.group(0)
        if "_" in token and token.upper() in names:
            return token.upper()
    return None


def _word_name(scan: str, entries: list[Entry]) -> str | None:
    """A one-word name of these entries written in capitals as a whole word, if any."""
    words = {n for e in entries for n in e.names if "_" not in n}
    if not words:
        return None
    for match in _WORD.finditer(scan):
        if match.group(0) in words:
            return match.group(0)
    return None


# -- codes ---------------------------------------------------------------------------------------


def _find_code(scan: str, known: set[int], names: dict[str, Entry]) -> int | None:
    """The first known status code that the text around it marks as a status."""
    alert_lines: dict[int, bool] = {}
    for count, match in enumerate(_CODE.finditer(scan)):
        if count >= MAX_CODE_CANDIDATES:
            break
        code = int(match.group(1))
        if code not in known:
            continue
        start, end = match.span()
        line_start = scan.rfind("\n", 0, start) + 1
        line_end = scan.find("\n", end)
        line_end = len(scan) if line_end < 0 else line_end
        if line_start not in alert_lines:
            alert_lines[line_start] = bool(_ALERT_LINE.search(scan, line_start, line_end))
        before = scan[max(line_start, start - _WINDOW) : start]
        if _reads_as_status(
            before,
            scan,
            match,
            line_end,
            names=names,
            alert_line=alert_lines[line_start],
        ):
            return code
    return None


def _reads_as_status(
    before: str,
    scan: str,
    match: re.Match[str],
    line_end: int,
    *,
    names: dict[str, Entry],
    alert_line: bool,
) -> bool:
    plural = bool(match.group(2))
    end = match.end()
    # Punctuation alone ("-", ":") is a separator, not a word.
    spans = [m for m in _TOKEN.finditer(before) if any(c.isalnum() or c == _MASK for c in m[0])]
    tokens = [m[0] for m in spans]
    prev = _norm(tokens[-1]) if tokens else ""

    # "host:524" and "10.0.0.1:524" are ports; only "status:524" (Datadog tags) is a status.
    if (
        before.endswith(":")
        and len(before) >= 2
        and before[-2].isascii()
        and before[-2].isalnum()
        and prev not in _STATUS_LABELS
        and not prev.endswith(("_status", "status_code"))
    ):
        return False
    if prev in _NOT_A_CODE_AFTER or prev.isdigit():
        return False

    next_match = _NEXT_TOKEN.match(scan, end, line_end)
    following = next_match.group(1).lower() if next_match else ""
    if following.isdigit() or following in ("%", "$", "€", "£", "¥", "₹"):
        return False  # phone numbers, "524 555 0100", "524 %", "524 $"
    if following in _COUNT_WORDS or following in _CJK_COUNTERS:
        return False
    plural_after = (
        len(following) >= 3
        and following.endswith("s")
        and following not in _NOT_PLURAL
        and following not in _STATUS_PLURALS
    )

    tier = _context(spans, names)
    if tier == "noun":
        return True
    if tier == "verb":
        # "got 524 likes", "hit 524 concurrent users": the verb's object is what was counted.
        return not plural_after and not _counted_phrase(scan, next_match, line_end, following)
    if plural or plural_after or following in _STATUS_PLURALS:
        # "524s" may be seconds and "524 errors" may be a count: both need a status word before.
        return False
    if _name_after(scan, end, line_end, names):
        return True
    if _REASON_AFTER.match(scan, end, line_end):
        return not _counted_phrase(scan, next_match, line_end, following)  # "524 error fixes"
    if tokens and tokens[-1].startswith(_MASK):
        # Right after a URL or host: "shop.example.com: 524", "https://x -> 522".
        tail = before[before.rfind(_MASK) + 1 :]
        return bool(
            _SITE_BEFORE.fullmatch(tail) or (alert_line and _SITE_BEFORE_LOOSE.fullmatch(tail))
        )
    # A code standing alone before "on/at/for/from <site>": at the start of the line, after
    # punctuation, after a word that may lead a status ("Origin timeout 524 for x") or inside an
    # alert title. After any other word it is too often a count ("shipped 524 from x").
    lone = not tokens or prev in _LEAD_WORDS or alert_line
    if lone and _SITE_AFTER.match(scan, end, line_end):
        return True
    return alert_line and bool(_SITE_AFTER_LOOSE.match(scan, end, line_end))


def _counted_phrase(
    scan: str, next_match: re.Match[str] | None, line_end: int, following: str
) -> bool:
    """Whether the second word after the number is a counted noun ("524 concurrent users")."""
    if next_match is None or not following.isalpha() or following in _LINKING_WORDS:
        return False
    second_match = _NEXT_TOKEN.match(scan, next_match.end(), line_end)
    if second_match is None:
        return False
    second = second_match.group(1).lower()
    if second in _COUNT_WORDS:
        return True
    return (
        len(second) >= 3
        and second.endswith("s")
        and second not in _NOT_PLURAL
        and second not in _STATUS_PLURALS
    )


def _context(spans: list[re.Match[str]], names: dict[str, Entry]) -> str | None:
    """'noun' or 'verb' when the words before the number mark it as a status, else None."""
    for index in range(len(spans) - 1, max(-1, len(spans) - 6), -1):
        token = spans[index][0]
        if token.startswith(_MASK):
            return None
        if "\u3400" <= token[0] <= "\u9fff":
            if token.endswith(_CJK_NOUNS):
                return "noun"
            return "verb" if token.endswith(_CJK_VERBS) else None
        word = _norm(token)
        if word in _FILLERS:
            continue
        if word in ("code", "codes"):
            # "status code 524", "Code: 524" but not "promo code 524" or "area code 524" (a
            # word joined to "code" by a space; "labels={code=524}" has no qualifier).
            joined = (
                index > 0
                and spans[index - 1].end() < spans[index].start()
                and not (
                    spans[index - 1].string[spans[index - 1].end() : spans[index].start()].strip()
                )
            )
            qualifier = _norm(spans[index - 1][0]) if joined else ""
            ok = not qualifier or qualifier in _FILLERS or qualifier in _NOUN_WORDS
            return "noun" if ok or qualifier in _VERB_WORDS else None
        if (
            word in _NOUN_WORDS
            or _FAMILY_WORD.fullmatch(word)
            or word.endswith(("status_code", "_status"))
            or word.upper() in names
        ):
            return "noun"
        return "verb" if word in _VERB_WORDS else None
    return None


def _norm(token: str) -> str:
    """One comparable word from a token: FIRING:1 → firing, http.status_code → status_code."""
    word = token.lower().strip(".:-@/")
    if word.startswith("http/"):
        return "http"  # HTTP/1.1, HTTP/2
    word = word.split(":", 1)[0]
    return word.rsplit(".", 1)[-1] if "." in word else word


def _name_after(scan: str, end: int, line_end: int, names: dict[str, Entry]) -> bool:
    """Whether an error name follows the code, as in "504 NODE_FUNCTION_INVOCATION_TIMEOUT"."""
    rest = scan[end : min(line_end, end + 100)].lstrip(" \t([:|-–—")
    match = _WORD.match(rest)
    return bool(match and "_" in match.group(0) and match.group(0).upper() in names)


# -- ranking -------------------------------------------------------------------------------------


def _rank_for_code(code: int, kb: KnowledgeBase, scan: str, host: str) -> list[Entry]:
    """The code's entries: hinted product first, then primary-code entries, then the usual order."""
    hinted: set[Product] = set()
    if _PAGES_HINT.search(scan) or host.endswith(_PAGES_HOST_SUFFIXES):
        hinted.add(Product.PAGES)
    if _EF_HINT.search(scan):
        hinted.add(Product.EDGE_FUNCTIONS)
    order = {e.id: i for i, e in enumerate(kb.entries)}
    return sorted(
        kb.by_code(code),
        key=lambda e: (
            e.product not in hinted,
            e.code != code,
            _PRODUCT_RANK.get(e.product, len(_PRODUCT_RANK)),
            order[e.id],
        ),
    )


def _is_resolved(lines: Iterable[str]) -> bool:
    """Whether the message is a "resolved"/"recovered" notification (judged on its first line)."""
    for line in lines:
        if line.strip():
            return bool(_RESOLVED.search(line)) and "firing" not in line.lower()
    return False
