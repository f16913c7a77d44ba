"""Words for the matcher: tokenising, stemming, synonyms and filler, in English and Chinese.

English words are stemmed and folded onto synonyms. Chinese has no spaces between words, and a
segmentation library with a dictionary costs hundreds of milliseconds to load (the CLI answers in
far less), so Chinese runs become overlapping character pairs (bigrams): ``回源超时`` gives
``回源 源超 超时``. Filler (``怎么``, ``一直``, ``了``) is cut out first so it does not make
pairs with the words around it. What any status code means lives in ``knowledge/``.
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
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN_START = "\u3400"

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

# Chinese pairs that mean the same thing here (applied to character pairs).
_ZH_SYNONYMS = {
    "证书": "证书",
    "超時": "超时",
    "連接": "连接",
    "鏈接": "链接",
    "網站": "网站",
    "錯誤": "错误",
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


# Chinese filler: question words, pronouns, particles, "error"/"status code" (like the English
# list, they say nothing about which entry is meant). Cut out before pairing. Single characters
# are only the pure particles: most others also build content words (过 in 过大, 有 in 没有).
_ZH_FILLER = """
    请问 请教 求助 求教 大佬 大神 各位 大家 你好 您好 谢谢 感谢 麻烦 帮忙 帮我 看看 看下 一下
    怎么办 怎么回事 怎么解决 如何解决 怎么处理 怎么 如何 为什么 为啥 什么 是什么 什么意思 啥意思
    意思 原因 是不是 是否 有没有 能不能 可以 可能 应该 需要 知道
    我们 你们 他们 我的 你的 自己 这个 那个 这种 这样 那样 这边 那边 这里 那里 现在 今天 昨天
    刚才 刚刚 突然 一直 总是 经常 偶尔 有时候 有时 老是 还是 已经 然后 但是 不过 而且 所以
    出现 发生 遇到 碰到 显示 提示 返回 报了 报错 错误码 错误 状态码 状态 问题 异常 情况
    网站 网页 页面 用户 访问 请求 使用 用了 之后 以后 后来 时候
    的 了 吗 呢 吧 啊 呀 哦 嘛 很 挺 非常 特别
    边缘函数 云函数 函数 腾讯云 腾讯
""".split()
# (Product names are filler too: every entry of a product carries them, so they would make any
# alias that is only "边缘函数 + filler" match every question about edge functions. The matcher
# reads them as product hints instead.)
# Content words that contain filler and must survive whole ("请求体" is not "请求" + "体").
_ZH_KEEP = "请求体 请求头 无法访问 拒绝访问 访问控制 禁止访问".split()
_ZH_CUT = re.compile(
    "("
    + "|".join(map(re.escape, sorted(_ZH_KEEP, key=len, reverse=True)))
    + ")|"
    + "|".join(map(re.escape, sorted(_ZH_FILLER, key=len, reverse=True)))
)


def _cut_filler(match: re.Match[str]) -> str:
    return match.group(1) or " "


def is_han(word: str) -> bool:
    """True for a word of Chinese characters (the tokeniser never mixes scripts in one word)."""
    return word[:1] >= _HAN_START and not word[:1].isascii()


def han_tokens(run: str) -> list[str]:
    """Character pairs of a run of Chinese text with the filler cut out.

    The words on both sides of a cut are paired too (``部署一直失败`` pairs like ``部署失败``):
    filler sits inside the phrases people type, not inside the aliases they should match. A run
    that is a single character stays as it is.
    """
    pieces = _ZH_CUT.sub(_cut_filler, run).split()
    if not pieces:
        return []
    joined = "".join(pieces)
    if len(joined) == 1:
        return [joined]
    return [joined[j : j + 2] for j in range(len(joined) - 1)]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    if is_han(word):
        return _ZH_SYNONYMS.get(word, word)
    base = str(_stemmer().stemWord(word))
    return _SYNONYMS.get(base, base)


def normalise(text: str) -> str:
    """Lowercase and fold multi-word spellings; keeps every word."""
    lowered = text.lower().replace("_", " ")
    for pattern, repl in _PHRASES:
        lowered = pattern.sub(repl, lowered)
    return lowered


def raw_words(text: str) -> list[str]:
    """Lowercased words of ``text`` without filler, digits-only words or one-letter words;
    Chinese runs as character pairs (``han_tokens``)."""
    out: list[str] = []
    for w in _TOKEN.findall(normalise(text)):
        if is_han(w):
            out += han_tokens(w)
        elif w not in STOPWORDS and len(w) > 1 and not w.isdigit() and not _is_time_or_size(w):
            out.append(w)
    return out


def tokens(text: str) -> list[str]:
    """Stemmed content tokens, order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for word in raw_words(text):
        seen.setdefault(stem(word), None)
    return list(seen)


_TIME_OR_SIZE = re.compile(r"^\d+(?:am|pm|ms|s|m|h|kb|mb|gb|k|x)$")


def _is_time_or_size(word: str) -> bool:
    return bool(_TIME_OR_SIZE.match(word))
