"""The shape of a knowledge entry, validated on load.

Entries are data (``knowledge/*.yaml``); this module only says what a valid entry looks like.
Unknown keys are refused so a typo in a runbook is caught instead of silently ignored.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Product(StrEnum):
    SITE_ACCELERATION = "site-acceleration"
    PAGES = "pages"
    EDGE_FUNCTIONS = "edge-functions"


class Responder(StrEnum):
    """Who produces the status the user sees."""

    EDGE = "edge"  # the EdgeOne node (or the Pages / functions platform) answered itself
    ORIGIN = "origin"  # the origin answered and EdgeOne passed it through
    EITHER = "either"  # both are possible: the check is to hit the origin directly
    NONE = "none"  # never sent to the client (log-only codes such as 499)


class FaultSide(StrEnum):
    """Where a cause lies; also used by the diagnosis."""

    ORIGIN = "origin"
    EDGE = "edge"  # EdgeOne configuration or platform
    NETWORK = "network"  # the path between EdgeOne and the origin (firewalls, routing, carrier)
    DNS = "dns"
    CLIENT = "client"
    CODE = "code"  # the customer's own function or build code


_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{2,79}$")

NonEmpty = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CauseGroup(_Strict):
    side: FaultSide
    items: list[NonEmpty] = Field(min_length=1)


class Check(_Strict):
    what: NonEmpty
    command: NonEmpty | None = None


class Chinese(_Strict):
    """The Simplified Chinese text of an entry: what users read, in the same order as the English.

    ``causes`` has one list per cause group and ``checks`` one line per check (its ``what``);
    commands are not translated. ``aliases`` are how Chinese-speaking engineers describe the
    problem; ``source`` adds the Chinese documentation pages the text was written from.
    """

    title: Annotated[str, Field(min_length=2, max_length=150)]
    summary: Annotated[str, Field(min_length=5, max_length=300)]
    causes: list[list[NonEmpty]] = Field(min_length=1)
    checks: list[NonEmpty] = Field(min_length=1)
    fixes: list[NonEmpty] = Field(min_length=1)
    support: list[NonEmpty] = Field(min_length=1)
    aliases: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(min_length=1)
    source: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = Field(default_factory=list)


class Entry(_Strict):
    id: str
    product: Product
    codes: list[int] = Field(min_length=1)
    names: list[str] = Field(default_factory=list)
    title: Annotated[str, Field(min_length=3, max_length=150)]
    summary: Annotated[str, Field(min_length=10, max_length=300)]
    answered_by: Responder
    causes: list[CauseGroup] = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)
    fixes: list[NonEmpty] = Field(min_length=1)
    support: list[NonEmpty] = Field(min_length=1)
    related: list[str] = Field(default_factory=list)
    source: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = Field(min_length=1)
    aliases: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(min_length=1)
    zh: Chinese | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID_RE.fullmatch(value):
            raise ValueError("must be lowercase letters, digits and dashes (2-64 chars)")
        return value

    @field_validator("codes")
    @classmethod
    def _codes_are_statuses(cls, value: list[int]) -> list[int]:
        for code in value:
            if not 100 <= code <= 599:
                raise ValueError(f"{code} is not an HTTP status code (100-599)")
        if len(set(value)) != len(value):
            raise ValueError("a code is listed twice")
        return value

    @field_validator("names")
    @classmethod
    def _names_shape(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _NAME_RE.fullmatch(name):
                raise ValueError(f"{name!r} is not an error name (UPPER_SNAKE_CASE)")
        return value

    @model_validator(mode="after")
    def _no_self_reference(self) -> Entry:
        if self.id in self.related:
            raise ValueError("an entry cannot list itself as related")
        return self

    @model_validator(mode="after")
    def _chinese_matches_english(self) -> Entry:
        zh = self.zh
        if zh is None:
            return self
        shape = [len(group.items) for group in self.causes]
        if [len(group) for group in zh.causes] != shape:
            raise ValueError(
                f"zh.causes must have {len(shape)} groups of {shape} items, like causes"
            )
        for name in ("checks", "fixes", "support"):
            want, got = len(getattr(self, name)), len(getattr(zh, name))
            if want != got:
                raise ValueError(f"zh.{name} has {got} items; {name} has {want}")
        return self

    @property
    def code(self) -> int:
        """The primary status (the first listed)."""
        return self.codes[0]

    @property
    def name(self) -> str | None:
        """The primary error name, or None when the code has no name."""
        return self.names[0] if self.names else None
