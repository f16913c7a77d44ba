"""The regional words of a message: ``from <regions>`` on a probe or a watch, and ``regions``.

- ``probe <url> from fra,sin``, ``watch <url> for 30m from all``, ``@eo <url> from all``;
  in Chinese ``从 fra,sin`` / ``来自 all`` / ``从所有区域``. Names are separated by commas (``,``,
  ``，``, ``、``); at the end of the message spaces do too (``from fra sin``).
- ``regions`` (``区域``, ``节点列表``): list the live probe agents.

In a message that only holds a URL (a mention, no ``probe`` keyword) the clause must follow the URL
directly, so an ordinary sentence ("it fails from my laptop too") is not read as regions; after
``probe`` or ``watch`` it may come anywhere after the command word. A list that is not made of
region names (``from all,fra``, ``from local``) is a worded problem, in the language asked for.

Standard library only (``bot.agents.names``): the intent parser stays light.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.agents.names import Regions, parse_regions
from bot.i18n.catalogue import texts
from bot.i18n.language import Language

_NAME = r"[A-Za-z][A-Za-z0-9-]*"
_SEP = r"\s*[,、]\s*"
_ALL_ZH = r"(?:所有|全部)(?:的)?(?:区域|地区|节点)?"
# "from" is a word of its own; the Chinese words may touch what is before them.
_CLAUSE = re.compile(
    rf"(?:(?<![\w-])from\s+|(?:从|来自)\s*)"
    rf"(?P<list>{_ALL_ZH}|{_NAME}(?:{_SEP}{_NAME})*)"
    r"(?![A-Za-z0-9_:/@-]|\.\w)",  # not the start of a host name, a URL or an address
    re.IGNORECASE,
)
# More names separated by spaces, up to the end of the message ("from fra sin").
_TAIL = re.compile(rf"^(?:\s+{_NAME}(?![A-Za-z0-9_:/@=-]|\.\w))+\s*[.!。！]?\s*$")
# As bot.intent reads URLs: one ends at whitespace or at the first Chinese character.
_URL = re.compile(
    r"\bhttps?://[^\s<>\"'\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+", re.IGNORECASE
)

REGIONS_WORDS = frozenset(
    {"regions", "agents", "list regions", "区域", "区域列表", "节点", "节点列表", "探测节点"}
)


@dataclass(frozen=True, slots=True)
class RegionsClause:
    regions: Regions | None  # None when the list could not be read (see ``problem``)
    start: int
    end: int
    problem: str | None = None


def is_regions_request(text: str) -> bool:
    """`regions`, `list regions`, `区域`, `节点列表`: the whole message asks for the agents."""
    words = " ".join(text.lower().strip(" .?!。？！").split())
    return words in REGIONS_WORDS


def find_regions(
    text: str, *, after: int = 0, right_after: int | None = None, language: Language = "en"
) -> RegionsClause | None:
    """The ``from <regions>`` clause of ``text`` past index ``after`` (outside URLs), or None.

    With ``right_after`` the clause must start there (only spaces between): the end of the URL
    of a message that holds nothing but the URL and its words.
    """
    masked = _URL.sub(lambda m: " " * len(m.group(0)), text)
    for match in _CLAUSE.finditer(masked, after):
        if right_after is not None and masked[right_after : match.start()].strip():
            return None
        end = match.end()
        listed = match.group("list")
        tail = _TAIL.match(masked[end:])
        if tail is not None:
            listed += masked[end : end + tail.end()].rstrip(" .!。！")
            end += tail.end()
        return _clause(listed, match.start(), end, language)
    return None


def _clause(listed: str, start: int, end: int, language: Language) -> RegionsClause:
    if re.fullmatch(_ALL_ZH, listed.strip()):
        return RegionsClause("all", start, end)
    try:
        regions = parse_regions(re.sub(_SEP, ",", listed.strip()))
    except ValueError:
        _ = texts(language)
        problem = _(
            "I could not read “{regions}” as regions. Region names are letters, digits and "
            "“-”, starting with a letter: `from fra,sin`, or `from all` for every region "
            "(`regions` lists them)."
        ).format(regions=listed.strip()[:60])
        return RegionsClause(None, start, end, problem)
    return RegionsClause(regions, start, end)
