"""What the buttons of a regional diagnosis carry: the request, its regions and each region's state.

The value is the one of ``bot.chat.buttons`` (url, origin, code, language; no snapshot) plus
``"r"``, the regions asked (``all`` or ``fra,sin``), and ``"s"``, each region's compact state
(``bot.agents.verdict.region_states``: ``ok``, ``slow``, ``none``, ``fail:522``,
``fail:connect refused``), so that "Probe again" on any replica can say which regions recovered.
At most 2,000 characters: when the states do not fit they are left out (the probe is repeated
without the comparison). Read back as hostile input: ``decode`` checks every field, refuses keys it
does not know, and raises ``ValueError`` with a short reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.agents.names import RESERVED_REGIONS, parse_region, parse_regions, regions_text
from bot.chat import buttons
from bot.chat.regional_replies import LOCAL
from bot.chat.replies import ProbeRequest

MAX_REGIONS = 64
_STATE = re.compile(r"ok|slow|none|fail:[A-Za-z0-9 ._:-]{1,48}")
_MAX_INPUT = 4 * buttons.MAX_VALUE


def encode(request: ProbeRequest, states: Mapping[str, str] | None) -> str | None:
    """The button value, or None when even the bare request does not fit."""
    if request.regions is None:
        return None
    bare = buttons.encode(replace(request, regions=None), None)
    if bare is None:
        return None
    data: dict[str, Any] = {**json.loads(bare), "r": regions_text(request.regions)}
    if states:
        try:
            checked = read_states(dict(states))
        except ValueError:
            checked = {}
        full = _dumps({**data, "s": checked}) if checked else ""
        if full and len(full) <= buttons.MAX_VALUE:
            return full
    value = _dumps(data)
    return value if len(value) <= buttons.MAX_VALUE else None


def decode(value: str) -> tuple[ProbeRequest, dict[str, str] | None]:
    """Read a button value back: (the request with its regions, the states or None)."""
    if not isinstance(value, str) or not value or len(value) > _MAX_INPUT:
        raise ValueError("empty or oversized button value")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError("the button value is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the button value is not an object")
    raw_regions = data.pop("r", None)
    if not isinstance(raw_regions, str) or len(raw_regions) > 2000:
        raise ValueError("no regions in the button value")
    regions = parse_regions(raw_regions)
    states = read_states(data.pop("s")) if "s" in data else None
    request, _ = buttons.decode(_dumps(data))  # the same checks as any diagnosis button
    return replace(request, regions=regions), states


def read_states(data: object) -> dict[str, str]:
    """Region -> state, as ``region_states`` writes it; ValueError for anything else."""
    if not isinstance(data, dict) or len(data) > MAX_REGIONS + 1:
        raise ValueError("malformed region states")
    states: dict[str, str] = {}
    for region, state in data.items():
        if not isinstance(region, str) or not isinstance(state, str):
            raise ValueError("malformed region states")
        if region != LOCAL:
            if region in RESERVED_REGIONS:
                raise ValueError("malformed region states")
            parse_region(region)
        if not _STATE.fullmatch(state):
            raise ValueError("malformed region state")
        states[region] = state
    return states


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
