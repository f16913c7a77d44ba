"""Recognising EdgeOne from DNS names and response headers (suffixes kept as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_DATA = Path(__file__).with_name("edgeone.yaml")


@dataclass(frozen=True, slots=True)
class EdgeOneMarkers:
    cname_suffixes: tuple[str, ...]
    server_headers: tuple[str, ...]

    def suffix_of(self, name: str) -> str | None:
        """The EdgeOne suffix ``name`` ends with, if any (label-aligned, case-insensitive)."""
        name = name.lower().rstrip(".")
        for suffix in self.cname_suffixes:
            if name == suffix or name.endswith("." + suffix):
                return suffix
        return None


@cache
def markers() -> EdgeOneMarkers:
    raw = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return EdgeOneMarkers(
        cname_suffixes=tuple(s.lower() for s in raw["cname_suffixes"]),
        server_headers=tuple(s.lower() for s in raw["server_headers"]),
    )
