"""Region names: what they may look like, and the reserved ones."""

from __future__ import annotations

import re

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
