"""Words for the matcher: tokenising, stemming, synonyms and filler.

This is English-language plumbing only; what any status code means lives in ``knowledge/``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Multi-word spellings folded into one token before splitting, so "timed out", "time-out" and
# "timeout" meet, and "rate limited" / "ratelimit" do too.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"\btim(?:e|ed|es|ing)[\s-]*outs?\b", " timeout "),
        (r"\brate[\s-]*limit\w*", " ratelimit "),
        # "takes 30 seconds", "took forever": people describe slowness by its duration
        (
            r"\b(?:takes?|took|taking)\s+(?:forever|ages|too\s+long|so\s+long|"
            r"\d+\s*(?:s|secs?|seconds?|m|mins?|minutes?)\b)",
            " slow ",
        ),
        (r"\bthrottl\w*", " ratelimit "),
        (r"\bhand[\s-]+shake", " handshake"),
        (r"\bback[\s-]*to[\s-]*origin\b", " origin pull "),  # the usual rendering of 回源
        (
            r"\bcan'?t\b|\bcannot\b|\bwon'?t\b|\bdoesn'?t\b|\bisn'?t\b|\bdon'?t\b|\baren'?t\b",
            " not ",
        ),
        (r"\bno[\s-]+longer\b", " not "),
        (r"\bup[\s-]*load", " upload"),
        (r"\bweb[\s-]*socket", " websocket"),
        (r"\bhttps?://\S+", " "),  # URLs say where, not what: the intent layer reads them
        (r"\b[\w.-]+\.(?:com|net|org|io|app|run|site|dev|cn|test)\b", " "),
    )
)
_TOKEN = re.compile(r"[a-z0-9]+")

# Stems that mean the same thing here (applied after stemming).
_SYNONYMS = {
    "ssl": "tls",
    "cert": "certif",
    "tcp": "connect",
    "conn": "connect",
    "db": "databas",
    "func": "function",
    "fn": "function",
    "lambda": "function",
    "serverless": "function",
    "big": "larg",
    "huge": "larg",
    "oversiz": "larg",
    "hung": "timeout",
    "hang": "timeout",
    "stall": "timeout",
    "laps": "expir",
    "expiri": "expir",
    "expiratio": "expir",
    "dead": "down",
    "offlin": "down",
    "outag": "down",
    "5xxs": "5xx",
    "deni": "deni",
    "forbid": "forbidden",
    "nxdomain": "resolv",
    "lookup": "resolv",
    "resolut": "resolv",
    "unresolv": "resolv",
    "firewal": "firewal",
    "cooki": "cooki",
    "respons": "respons",
    "repli": "respons",
    "answer": "respons",
    "tooo": "too",
    "took": "take",
    "taken": "take",
    "taking": "take",
}

# Filler that says nothing about which entry is meant.
STOPWORDS = frozenset(
    """
    a an the and or but if so of to in on at by for from with about as into over after before
    since until while during per via then than
    i me my we us our you your he she it its they them their this that these those there here
    is are was were be been being am do does did done doing have has had having get gets got
    getting gotten can could would should will shall may might must
    hi hey hello yo folks team guys all anyone someone somebody please pls plz thanks thank
    what whats why how when where which who whom whose
    just really very lot lots some any many much more most few also still again even only now
    today yesterday tonight morning afternoon evening am pm utc gmt since ago
    seeing see seen saw shows show showing shown keep keeps kept
    error errors err code codes status http https return returns returned
    returning issue issues problem problems mean means meaning help explain tell
    eo edgeone tencent cloud
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    # Imported on first use: snowballstemmer loads every language it knows, and a question that
    # is only a status code (`eo-bot ask 524`) needs no stemming at all.
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    base = str(_stemmer().stemWord(word))
    return _SYNONYMS.get(base, base)


def normalise(text: str) -> str:
    """Lowercase and fold multi-word spellings; keeps every word."""
    lowered = text.lower().replace("_", " ")
    for pattern, repl in _PHRASES:
        lowered = pattern.sub(repl, lowered)
    return lowered


def raw_words(text: str) -> list[str]:
    """Lowercased words of ``text`` without filler, digits-only words or one-letter words."""
    return [
        w
        for w in _TOKEN.findall(normalise(text))
        if w not in STOPWORDS and len(w) > 1 and not w.isdigit() and not _is_time_or_size(w)
    ]


def tokens(text: str) -> list[str]:
    """Stemmed content tokens, order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for word in raw_words(text):
        seen.setdefault(stem(word), None)
    return list(seen)


_TIME_OR_SIZE = re.compile(r"^\d+(?:am|pm|ms|s|m|h|kb|mb|gb|k|x)$")


def _is_time_or_size(word: str) -> bool:
    return bool(_TIME_OR_SIZE.match(word))
