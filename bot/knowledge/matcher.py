"""Find the knowledge entries a question is about.

A question can carry three kinds of evidence, read in this order of trust:

1. an error name (``NODE_FUNCTION_INVOCATION_TIMEOUT``, misspelt or not): names are unique;
2. a status code (``524``, ``HTTP 524s``) or a family (``5xx``, ``52x``): a code may mean different
   things in different products, so the words around it order the candidates;
3. the words themselves, fuzzy matched against each entry's aliases, title, names and summary,
   weighted by how rare each word is across the knowledge base.

When the evidence is weak the answer says so and offers suggestions instead of a confident guess.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.knowledge.notes import empty_question, truncated_note, unknown_codes_note
from bot.knowledge.text import is_han, normalise, raw_words, stem, tokens
from bot.markup import to_plain

MAX_QUERY_CHARS = 500  # enough for any real question; keeps the cost of one ask bounded
MAX_QUERY_WORDS = 60  # Chinese runs count one per character pair
CONFIDENT = 50.0  # scores are 0-100; below this an entry is only a suggestion
SUGGEST = 25.0
ALSO_SHOWN = 35.0  # runners-up shown after a confident answer

# A status code stands alone: not inside a number, a version, an address or a path, and not
# followed by a unit. Letters around it are ASCII ones: Chinese glues words to numbers
# ("521错误", "返回545"), and Python counts Chinese characters as word characters.
_CODE = re.compile(
    r"(?:(?<=http)|(?<=error)|(?<=err)|(?<=status)|(?<=code)|(?<=e)|(?<![A-Za-z0-9_.:/\\-]))"
    r"([1-5]\d\d)(?:s|'s)?"
    r"(?![A-Za-z0-9_./]|:\S|\s?(?:ms|kb|mb|gb|%|seconds?|secs?|bytes?)\b"
    r"|\s?(?:毫秒|秒|分钟|小时|天|个|次|条|字节|兆|台|人|元|行|ms))",
    re.IGNORECASE,
)
# "状态码:418", "status=524": a label and a colon before the code (not "host:522", a port).
_LABEL_COLON = re.compile(
    r"(?:(?<=[\u3400-\u9fff])|(?<=status)|(?<=code)|(?<=error)|(?<=http))\s*[:=]\s*(?=[1-5]\d\d)",
    re.IGNORECASE,
)
_HAN_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FAMILY = re.compile(r"(?<![\w.])([1-5])([0-9]|x)x(?:s|'s)?\b", re.IGNORECASE)
_PORT_BEFORE = re.compile(r"\bport\s*$", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_UPPER_WORD = re.compile(r"\b[A-Z]{4,}\b")
_URL = re.compile(r"https?://\S+|\b[\w-]+(?:\.[\w-]+)+/\S*", re.IGNORECASE)

# Words that point at a product. Small bonuses: they order candidates, they never decide alone.
_PRODUCT_WORDS: dict[Product, frozenset[str]] = {
    Product.PAGES: frozenset(
        {
            "pages",
            "makers",
            "preview",
            "deploy",
            "deploying",
            "deployment",
            "deployments",
            "build",
            "edgeone.app",
            "edgeone.run",
            "nextjs",
            "next.js",
            "nuxt",
            "astro",
            "vite",
        }
    ),
    Product.EDGE_FUNCTIONS: frozenset({"ef", "worker", "workers"}),
    Product.SITE_ACCELERATION: frozenset(
        {
            "cdn",
            "acceleration",
            "accelerated",
            "origin",
            "origins",
            "waf",
            "cache",
            "cached",
            "rule",
            "node",
            "nginx",
            "backend",
            "upstream",
            "site",
        }
    ),
}
_PRODUCT_BIGRAMS: dict[tuple[str, str], tuple[Product, ...]] = {
    ("edge", "function"): (Product.EDGE_FUNCTIONS,),
    ("edge", "functions"): (Product.EDGE_FUNCTIONS,),
    ("node", "function"): (Product.PAGES,),
    ("node", "functions"): (Product.PAGES,),
    ("cloud", "function"): (Product.PAGES,),
    ("cloud", "functions"): (Product.PAGES,),
    ("pages", "function"): (Product.PAGES,),
    ("pages", "functions"): (Product.PAGES,),
}
_FUNCTION_WORDS = frozenset({"function", "functions", "func", "fn"})
# The same hints in Chinese, found as substrings (Chinese has no spaces to split on).
_PRODUCT_WORDS_ZH: dict[Product, tuple[str, ...]] = {
    Product.PAGES: ("部署", "构建", "预览", "项目", "云函数", "pages函数"),
    Product.EDGE_FUNCTIONS: ("边缘函数",),
    Product.SITE_ACCELERATION: (
        "源站",
        "回源",
        "节点",
        "缓存",
        "站点加速",
        "加速域名",
        "防护",
        "拦截",
        "防火墙",
        "规则引擎",
    ),
}
# With no other evidence, most on-call questions are about site acceleration.
_PRIOR = {Product.SITE_ACCELERATION: 0.3, Product.PAGES: 0.2, Product.EDGE_FUNCTIONS: 0.1}


class Reason(StrEnum):
    NAME = "error name"
    CODE = "status code"
    FAMILY = "code family"
    WORDS = "description"


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    score: float  # 0-100
    reason: Reason


@dataclass(frozen=True, slots=True)
class Answer:
    query: str  # the question as understood (markup removed, cut to MAX_QUERY_CHARS)
    matches: tuple[Match, ...] = ()  # best first; empty when nothing matched well
    suggestions: tuple[Match, ...] = ()  # weaker candidates offered when nothing matched
    codes: tuple[int, ...] = ()  # status codes read from the question
    unknown_codes: tuple[int, ...] = ()  # codes read but not in the knowledge base
    family: str | None = None  # "5xx", "52x" when a range was asked
    notes: tuple[str, ...] = ()  # things the user should know about how the question was read
    problem: str | None = None  # set when the question could not be used at all
    truncated: bool = False  # only the first MAX_QUERY_CHARS characters were read
    # notes and problem are in English; bot.knowledge.notes words them in any language.

    @property
    def matched(self) -> bool:
        return bool(self.matches)


@dataclass(slots=True)
class _Phrase:
    entry: int
    weight: float
    mass: float  # sum of idf of its tokens
    tokens: tuple[str, ...]


@dataclass(slots=True)
class _Index:
    entries: tuple[Entry, ...]
    phrases: list[_Phrase] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    entry_tokens: list[frozenset[str]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)
    raw_forms: list[str] = field(default_factory=list)
    raw_to_stem: dict[str, str] = field(default_factory=dict)
    han_chars: frozenset[str] = frozenset()  # every Chinese character the entries use


class Matcher:
    """Built once per knowledge base; ``ask`` is cheap and safe to call concurrently."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._index = _build_index(kb.entries)
        self._names: dict[str, int] = {}
        for i, entry in enumerate(kb.entries):
            for name in entry.names:
                self._names.setdefault(name, i)
        self._name_list = list(self._names)
        self._codes: dict[int, list[int]] = defaultdict(list)
        for i, entry in enumerate(kb.entries):
            for code in entry.codes:
                self._codes[code].append(i)
        self._expand = lru_cache(maxsize=4096)(self._expand_word)

    # A Matcher is pickled whole by bot.knowledge.compiled; its word cache is rebuilt, not saved.
    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_expand"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._expand = lru_cache(maxsize=4096)(self._expand_word)

    # -- public -----------------------------------------------------------------------------

    def ask(self, raw: str, *, limit: int = 5) -> Answer:
        plain = to_plain(raw if isinstance(raw, str) else str(raw))
        notes: list[str] = []
        text = plain.text
        truncated = plain.truncated or len(text) > MAX_QUERY_CHARS
        if truncated:
            text = text[:MAX_QUERY_CHARS]
            notes.append(truncated_note(MAX_QUERY_CHARS, "en"))
        if not text.strip(" .,;:!?-'\"()[]{}"):
            return Answer(query=text, problem=empty_question("en"), truncated=truncated)
        without_urls = _URL.sub(" ", text)
        if not self._index.han_chars.issuperset(_HAN_CHAR.findall(without_urls)):
            without_urls = to_simplified(without_urls)
        names = self._find_names(without_urls)
        codes, unknown = self._find_codes(without_urls)
        family = _find_family(without_urls)
        hints = _product_hints(without_urls)
        words = self._word_scores(without_urls)

        scored: dict[int, Match] = {}

        def offer(i: int, score: float, reason: Reason) -> None:
            score = min(score, 100.0)
            if i not in scored or scored[i].score < score:
                scored[i] = Match(self.kb.entries[i], round(score, 1), reason)

        def bonus(i: int) -> float:
            product = self.kb.entries[i].product
            return hints.get(product, 0.0) + _PRIOR[product]

        for i, similarity in names.items():
            offer(i, 90 + 10 * similarity + bonus(i) * 0.1, Reason.NAME)
        for code in codes:
            for i in self._codes[code]:
                offer(i, 80 + 12 * words.get(i, 0.0) + bonus(i), Reason.CODE)
        if codes or names:
            family = None  # "5xx ratio high: 521" asks about 521; the family is context
        if family is not None:
            prefix = family
            for i, entry in enumerate(self.kb.entries):
                if any(str(c).startswith(prefix) for c in entry.codes):
                    offer(i, 60 + 10 * words.get(i, 0.0) + bonus(i), Reason.FAMILY)
        evidence = bool(names or codes or family)
        for i, conf in words.items():
            # Words alone can name the entry outright; next to a code or name they only order.
            ceiling = 70.0 if evidence else 95.0
            offer(i, ceiling * conf + bonus(i), Reason.WORDS)

        ranked = sorted(scored.items(), key=lambda kv: (-kv[1].score, kv[0]))
        if family is not None:
            # A range lists its family in code order, as a reference would.
            fam = [m for _, m in ranked if m.reason is Reason.FAMILY]
            rest = [m for _, m in ranked if m.reason is not Reason.FAMILY]
            fam.sort(key=lambda m: (m.entry.code, -_PRIOR[m.entry.product]))
            ordered = fam + [m for m in rest if m.score >= CONFIDENT]
            return Answer(
                query=text,
                matches=tuple(ordered[: max(limit, len(fam))]),
                codes=tuple(codes),
                family=family.ljust(3, "x"),
                notes=tuple(notes),
                truncated=truncated,
            )
        confident = [m for _, m in ranked if m.score >= CONFIDENT]
        if confident:
            best = confident[0].score
            shown = [m for _, m in ranked if m.score >= ALSO_SHOWN and m.score >= best - 45]
            matches = tuple(shown[:limit])
            suggestions: tuple[Match, ...] = ()
        else:
            matches = ()
            suggestions = tuple(m for _, m in ranked if m.score >= SUGGEST)[:3]
        if unknown:
            notes.append(unknown_codes_note(unknown, "en"))
        return Answer(
            query=text,
            matches=matches,
            suggestions=suggestions,
            codes=tuple(codes),
            unknown_codes=tuple(unknown),
            notes=tuple(notes),
            truncated=truncated,
        )

    # -- evidence -----------------------------------------------------------------------------

    def _find_names(self, text: str) -> dict[int, float]:
        """Entries whose error name appears in the text, with similarity 0-1."""
        found: dict[int, float] = {}
        candidates = [m.group(0).upper() for m in _NAME_TOKEN.finditer(text)]
        candidates += [m.group(0) for m in _UPPER_WORD.finditer(text)]
        stripped = text.strip()
        if re.fullmatch(r"[A-Za-z]+", stripped):
            candidates.append(stripped.upper())  # a lone word may be a status name: "deploying"
        for candidate in candidates[:20]:
            if candidate in self._names:
                found[self._names[candidate]] = 1.0
                continue
            if "_" not in candidate:
                continue  # plain capitalised words are only names when spelt exactly
            from rapidfuzz import fuzz, process  # see _expand_word

            best = process.extractOne(
                candidate, self._name_list, scorer=fuzz.ratio, score_cutoff=85
            )
            if best is not None:
                i = self._names[best[0]]
                found[i] = max(found.get(i, 0.0), (best[1] - 85) / 15 * 0.6)
        return found

    def _find_codes(self, text: str) -> tuple[list[int], list[int]]:
        known: list[int] = []
        unknown: list[int] = []
        text = _LABEL_COLON.sub(" ", text)
        for m in _CODE.finditer(text):
            if _PORT_BEFORE.search(text[: m.start()]):
                continue
            code = int(m.group(1))
            target = known if code in self._codes else unknown
            if code not in target:
                target.append(code)
        return known[:5], unknown[:5]

    def _word_scores(self, text: str) -> dict[int, float]:
        """Confidence 0-1 per entry from the words of the question."""
        index = self._index
        words = raw_words(text)[:MAX_QUERY_WORDS]
        if not words:
            return {}
        # best similarity per (phrase, vocab token), and per (entry, vocab token)
        phrase_hits: dict[int, dict[str, float]] = defaultdict(dict)
        entry_hits: dict[int, dict[str, float]] = defaultdict(dict)
        query_mass = 0.0
        query_tokens: list[tuple[str, ...]] = []
        for word in dict.fromkeys(words):
            expansions = self._expand(word)
            query_tokens.append(tuple(t for t, _ in expansions))
            # A character pair the knowledge base never uses is mostly a pair straddling two
            # words (Chinese has no spaces): it weighs less than an unknown English word.
            unknown = 0.3 if is_han(word) else 1.0
            query_mass += max((index.idf[t] for t, _ in expansions), default=unknown)
            for tok, sim in expansions:
                for p in index.postings.get(tok, ()):
                    hits = phrase_hits[p]
                    if hits.get(tok, 0.0) < sim:
                        hits[tok] = sim
                    ehits = entry_hits[index.phrases[p].entry]
                    if ehits.get(tok, 0.0) < sim:
                        ehits[tok] = sim
        best: dict[int, float] = {}
        best_cover: dict[int, float] = {}
        for p, hits in phrase_hits.items():
            phrase = index.phrases[p]
            mass = sum(index.idf[t] * s for t, s in hits.items())
            coverage = mass / phrase.mass
            query_cover = min(1.0, mass / query_mass) if query_mass else 0.0
            score = phrase.weight * coverage * _specific(mass) * (0.6 + 0.4 * query_cover)
            if score > best.get(phrase.entry, 0.0):
                best[phrase.entry] = score
            if coverage > best_cover.get(phrase.entry, 0.0):
                best_cover[phrase.entry] = coverage
        for e, hits in entry_hits.items():
            # The question's words found anywhere in the entry: lets a question that mixes two
            # aliases match, but only as far as some alias is really present (words scattered
            # over a long entry prove little).
            mass = sum(index.idf[t] * s for t, s in hits.items())
            concentration = math.sqrt(best_cover.get(e, 0.0))
            bag = 0.7 * min(1.0, mass / query_mass) * _specific(mass) * concentration
            if bag > best.get(e, 0.0):
                best[e] = bag
        return best

    def _expand_word(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary tokens a query word may stand for, with similarity (typos tolerated)."""
        index = self._index
        stemmed = stem(word)
        if stemmed in index.idf:
            return ((stemmed, 1.0),)
        if len(word) < 4:
            return ()
        # Imported when first needed: a question that is only a code never gets here, and the
        # command line answers it without paying for rapidfuzz's start-up.
        from rapidfuzz import fuzz, process

        found: dict[str, float] = {}
        for choice, score, _ in process.extract(
            word, index.raw_forms, scorer=fuzz.ratio, score_cutoff=80, limit=3
        ):
            tok = index.raw_to_stem[choice]
            found[tok] = max(found.get(tok, 0.0), score / 100 * 0.9)
        if len(stemmed) >= 4:
            for choice, score, _ in process.extract(
                stemmed, index.vocab, scorer=fuzz.ratio, score_cutoff=84, limit=2
            ):
                found[choice] = max(found.get(choice, 0.0), score / 100 * 0.9)
        return tuple(sorted(found.items(), key=lambda kv: -kv[1]))


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc  # loaded on the first Traditional question only: it costs ~70 ms

    return opencc.OpenCC("tw2sp")


def to_simplified(text: str) -> str:
    """Traditional Chinese (Taiwan, Hong Kong) in Simplified, with regional words mapped
    (``記憶體`` → ``内存``): the knowledge base is written in Simplified Chinese."""
    return str(_converter().convert(text))


def _specific(mass: float) -> float:
    """Down-weight matches that rest on one common word."""
    return min(1.0, mass / 2.6)


def _find_family(text: str) -> str | None:
    """The code prefix of a range such as 5xx ("5") or 52x ("52")."""
    m = _FAMILY.search(text)
    if m is None:
        return None
    first, second = m.group(1), m.group(2).lower()
    return first if second == "x" else first + second


def _product_hints(text: str) -> dict[Product, float]:
    words = normalise(text).split()
    lowered = [w.strip(".,;:!?()[]'\"") for w in text.lower().split()]
    hints: dict[Product, float] = {}
    for product, vocabulary in _PRODUCT_WORDS.items():
        if any(w in vocabulary for w in lowered):
            hints[product] = hints.get(product, 0.0) + 3.0
    pairs = set(itertools.pairwise(words))
    for pair, products in _PRODUCT_BIGRAMS.items():
        if pair in pairs:
            for product in products:
                hints[product] = hints.get(product, 0.0) + 4.0
    for product, phrases in _PRODUCT_WORDS_ZH.items():
        if any(p in text for p in phrases):
            hints[product] = hints.get(product, 0.0) + 3.0
    if "函数" in text:
        words.append("function")
    if any(w in _FUNCTION_WORDS for w in words) and not (
        hints.get(Product.PAGES) or hints.get(Product.EDGE_FUNCTIONS)
    ):
        hints[Product.PAGES] = hints.get(Product.PAGES, 0.0) + 2.0
        hints[Product.EDGE_FUNCTIONS] = hints.get(Product.EDGE_FUNCTIONS, 0.0) + 2.0
    return hints


def _build_index(entries: tuple[Entry, ...]) -> _Index:
    index = _Index(entries=entries)
    raw_phrases: list[tuple[int, float, tuple[str, ...]]] = []
    raw_to_stem: dict[str, str] = {}
    for i, entry in enumerate(entries):
        texts: list[tuple[str, float]] = [(alias, 1.0) for alias in entry.aliases]
        texts.append((re.sub(r"\([^)]*\)", " ", entry.title), 0.95))
        texts += [(name.replace("_", " "), 1.0) for name in entry.names]
        texts.append((entry.summary, 0.7))
        if entry.zh is not None:
            texts += [(alias, 1.0) for alias in entry.zh.aliases]
            texts.append((re.sub(r"[(（][^)）]*[)）]", " ", entry.zh.title), 0.95))
            texts.append((entry.zh.summary, 0.7))
        seen: dict[tuple[str, ...], float] = {}
        for text, weight in texts:
            for word in raw_words(text):
                raw_to_stem.setdefault(word, stem(word))
            toks = tuple(tokens(text))
            if toks and seen.get(toks, 0.0) < weight:
                seen[toks] = weight
        raw_phrases += [(i, w, t) for t, w in seen.items()]
        index.entry_tokens.append(frozenset(t for toks in seen for t in toks))
    df: dict[str, int] = defaultdict(int)
    for entry_vocab in index.entry_tokens:
        for t in entry_vocab:
            df[t] += 1
    n = len(entries)
    index.idf = {t: math.log(1 + n / d) for t, d in df.items()}
    for i, weight, toks in raw_phrases:
        p = len(index.phrases)
        index.phrases.append(_Phrase(i, weight, sum(index.idf[t] for t in toks), toks))
        for t in toks:
            index.postings.setdefault(t, []).append(p)
    index.vocab = sorted(index.idf)
    index.han_chars = frozenset(c for t in index.idf if is_han(t) for c in t)
    index.raw_to_stem = raw_to_stem
    index.raw_forms = sorted(raw_to_stem)
    return index
