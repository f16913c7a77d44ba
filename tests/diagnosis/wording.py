"""Checks on the wording of diagnoses: no English sentence in a Chinese one, no EdgeOne claim in
an answer EdgeOne did not mark."""

from __future__ import annotations

import re

from bot.diagnosis import Diagnosis
from bot.knowledge import KnowledgeBase

# What may stay in Latin letters in a Chinese sentence: commands, URLs, options, host names and
# addresses, header lines, codes and error names (upper case), and the names of products.
_VERBATIM = re.compile(
    r"`[^`]*`"  # a command
    r'|"[^"]*"|「[^」]*」'  # a name the user chose, quoted (a rule's name)
    r"|https?://\S+"  # a URL
    r"|(?<![\w-])--?[A-Za-z][\w-]*(?:[ =][A-Z_]+\b)?"  # an option (--origin IP)
    r"|\b\w+=[^\s，。；、（）)]+"  # key=value (origin=IP, loops=16)
    r"|\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]+\]?(?::\d+)?"  # IPv6 (with a port)
    r"|\b[\w-]+(?:\.[\w-]+)+(?::\d+)?"  # host names, addresses, file names
    r"|\b[A-Za-z][\w-]*: [^，。；、（）]+"  # a header and its value (Server: nginx (Debian))
)
PRODUCTS = frozenset(
    {
        "EdgeOne",
        "Pages",
        "Functions",
        "Node",
        "Cloudflare",
        "CloudFront",
        "Amazon",
        "Akamai",
        "Fastly",
        "Varnish",
        "Vercel",
        "Netlify",
        "Azure",
        "Front",
        "Door",
        "Alibaba",
        "Tencent",
        "Cloud",
        "Slack",
        "Envoy",
        "Apache",
        "OpenResty",
        "Tomcat",
        "Tengine",
        "Microsoft",
        "Web",
        "Bot",
        "Range",
        "Host",
        "Makers",
        "JavaScript",
        "nginx",
    }
)
# Header names said in a sentence ("the Server header").
HEADERS = frozenset({"Server", "Host", "Location", "Via"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
# An identifier, not a word: an inner capital (EdgeOne, CheckCnameStatus) or capitalised parts
# joined by dashes (CDN-Loop, Retry-After).
_IDENTIFIER = re.compile(r"[A-Za-z]+[A-Z][A-Za-z]*|[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)+")


def english_left(text: str) -> list[str]:
    """Latin words in ``text`` that are neither verbatim values, codes, identifiers nor names."""
    rest = _VERBATIM.sub(" ", text)
    return [
        word
        for word in _WORD.findall(rest)
        if not (
            word.replace("-", "").isupper()
            or _IDENTIFIER.fullmatch(word)
            or word in PRODUCTS
            or word in HEADERS
        )
    ]


def diagnosis_texts(d: Diagnosis) -> list[str]:
    return [d.summary, *d.evidence, *d.next_steps, *(w.reason for w in d.weighed)]


def kb_chinese(kb: KnowledgeBase) -> list[str]:
    """The knowledge base's own Chinese text, longest first. It is written in the knowledge files
    (and checked there), with the code names engineers use (``try/catch``, ``ttfb``)."""
    texts = {
        text
        for e in kb.entries
        if e.zh is not None
        for text in (e.zh.title, e.zh.summary, *e.zh.checks, *e.zh.fixes)
    }
    texts |= {text.rstrip("。").rstrip() for text in texts}
    return sorted(texts, key=len, reverse=True)


def assert_chinese(d: Diagnosis, kb: KnowledgeBase) -> None:
    """Every sentence the diagnosis wrote is Chinese: no English words besides values, codes,
    identifiers and names."""
    assert d.language == "zh"
    assert re.search(r"[\u4e00-\u9fff]", d.summary), d.summary
    known = kb_chinese(kb)
    for text in diagnosis_texts(d):
        own = text
        for quoted in known:
            own = own.replace(quoted, " ")
        assert not english_left(own), (english_left(own), text)


# The only way a diagnosis may name EdgeOne about an answer EdgeOne did not mark: to say so.
_NO_MARKERS = re.compile(r"shows no EdgeOne markers|no EdgeOne markers|没有 EdgeOne 标记")


def names_edgeone(text: str) -> bool:
    """``text`` names EdgeOne other than to say the answer carries no EdgeOne marker."""
    return "EdgeOne" in _NO_MARKERS.sub("", text)
