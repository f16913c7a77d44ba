"""Region names: what they may look like, the reserved ones, and lists of them as typed.

Light on purpose (the standard library only): the intent parser and the watch records use it.
"""

from __future__ import annotations

import re
from typing import Literal

Regions = tuple[str, ...] | Literal["all"]  # the regions a request names

REGION_RULE = "1-32 characters: lower-case letters, digits and '-', starting with a letter"
_REGION = re.compile(r"[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?")
# "all" names every region in a request; "local" is the bot's own probe in a regional table.
RESERVED_REGIONS = frozenset({"all", "local"})


def parse_region(text: str, *, what: str = "region") -> str:
    """A region name, checked against REGION_RULE (ValueError starts with ``what``)."""
    name = text.strip()
    if not _REGION.fullmatch(name):
        raise ValueError(f"{what}: {name[:40]!r} is not a region name ({REGION_RULE})")
    if name in RESERVED_REGIONS:
        raise ValueError(f"{what}: {name!r} is reserved; choose another region name")
    return name


def parse_regions(text: str) -> Regions:
    """``fra,sin`` / ``fra sin`` / ``all`` -> region names; ValueError with a plain reason."""
    items = [i for i in text.replace(",", " ").split() if i]
    if not items:
        raise ValueError("name at least one region, e.g. fra,sin, or all")
    if [i.lower() for i in items] == ["all"]:
        return "all"
    names = [parse_region(i.lower()) for i in items]
    return tuple(dict.fromkeys(names))


def regions_text(regions: Regions) -> str:
    """What ``parse_regions`` reads back: ``all`` or ``fra,sin``."""
    return regions if regions == "all" else ",".join(regions)
