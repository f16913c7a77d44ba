"""The shape of a knowledge entry, validated on load.

Entries are data (``knowledge/*.yaml``); this module only says what a valid entry looks like.
Unknown keys are refused so a typo in a runbook is caught instead of silently ignored.

The entries are plain frozen dataclasses. Pydantic validates them (``bot.knowledge.loader``) from
the constraints written in their annotations (:class:`Rule`, :class:`After`), and is imported only
when something is validated: the command line answers from a compiled copy of the knowledge base
(``bot.knowledge.compiled``) without loading it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


class Rule:
    """Constraints for one field, as ``pydantic.Field`` arguments (``min_length=1``, ...)."""

    __slots__ = ("constraints",)

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic import Field

        return handler(Annotated[source, Field(**self.constraints)])


class After:
    """A check run on a field's value once it has the right type; raises ValueError."""

    __slots__ = ("check",)

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


# How pydantic validates every model below: unknown keys are errors, text is stripped.
_STRICT: dict[str, Any] = {"extra": "forbid", "str_strip_whitespace": True}


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


def _id_shape(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError("must be lowercase letters, digits and dashes (2-64 chars)")
    return value


def _codes_are_statuses(value: list[int]) -> list[int]:
    for code in value:
        if not 100 <= code <= 599:
            raise ValueError(f"{code} is not an HTTP status code (100-599)")
    if len(set(value)) != len(value):
        raise ValueError("a code is listed twice")
    return value


def _names_shape(value: list[str]) -> list[str]:
    for name in value:
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not an error name (UPPER_SNAKE_CASE)")
    return value


NonEmpty = Annotated[str, Rule(min_length=1, max_length=2000)]
Url = Annotated[str, Rule(pattern=r"^https://\S+$")]
Alias = Annotated[str, Rule(min_length=2, max_length=120)]


@dataclass(frozen=True, slots=True, kw_only=True)
class CauseGroup:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    side: FaultSide
    items: Annotated[list[NonEmpty], Rule(min_length=1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    what: NonEmpty
    command: NonEmpty | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chinese:
    """The Simplified Chinese text of an entry: what users read, in the same order as the English.

    ``causes`` has one list per cause group and ``checks`` one line per check (its ``what``);
    commands are not translated. ``aliases`` are how Chinese-speaking engineers describe the
    problem; ``source`` adds the Chinese documentation pages the text was written from.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    title: Annotated[str, Rule(min_length=2, max_length=150)]
    summary: Annotated[str, Rule(min_length=5, max_length=300)]
    causes: Annotated[list[list[NonEmpty]], Rule(min_length=1)]
    checks: Annotated[list[NonEmpty], Rule(min_length=1)]
    fixes: Annotated[list[NonEmpty], Rule(min_length=1)]
    support: Annotated[list[NonEmpty], Rule(min_length=1)]
    aliases: Annotated[list[Alias], Rule(min_length=1)]
    source: Annotated[list[Url], Rule(min_length=1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    id: Annotated[str, After(_id_shape)]
    product: Product
    codes: Annotated[list[int], Rule(min_length=1), After(_codes_are_statuses)]
    names: Annotated[list[str], After(_names_shape)] = field(default_factory=list)
    title: Annotated[str, Rule(min_length=3, max_length=150)]
    summary: Annotated[str, Rule(min_length=10, max_length=300)]
    answered_by: Responder
    causes: Annotated[list[CauseGroup], Rule(min_length=1)]
    checks: Annotated[list[Check], Rule(min_length=1)]
    fixes: Annotated[list[NonEmpty], Rule(min_length=1)]
    support: Annotated[list[NonEmpty], Rule(min_length=1)]
    related: list[str] = field(default_factory=list)
    source: Annotated[list[Url], Rule(min_length=1)]
    aliases: Annotated[list[Alias], Rule(min_length=1)]
    zh: Chinese | None = None

    def __post_init__(self) -> None:
        # Checks across fields; pydantic reports a ValueError raised here for the whole entry.
        if self.id in self.related:
            raise ValueError("an entry cannot list itself as related")
        zh = self.zh
        if zh is None:
            return
        shape = [len(group.items) for group in self.causes]
        if [len(group) for group in zh.causes] != shape:
            raise ValueError(
                f"zh.causes must have {len(shape)} groups of {shape} items, like causes"
            )
        for name in ("checks", "fixes", "support"):
            want, got = len(getattr(self, name)), len(getattr(zh, name))
            if want != got:
                raise ValueError(f"zh.{name} has {got} items; {name} has {want}")

    @property
    def code(self) -> int:
        """The primary status (the first listed)."""
        return self.codes[0]

    @property
    def name(self) -> str | None:
        """The primary error name, or None when the code has no name."""
        return self.names[0] if self.names else None
