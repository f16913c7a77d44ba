"""The value of a regional diagnosis's buttons: what it carries, and what it refuses to read."""

from __future__ import annotations

import json

import pytest

from bot.chat import buttons, regional_buttons
from bot.chat.replies import ProbeRequest
from bot.chat.watches import Watch

URL = "https://shop.example.com/cart"
STATES = {"local": "ok", "fra": "slow", "sin": "fail:522", "iad": "fail:connect refused"}


def test_round_trip_with_regions_and_states() -> None:
    request = ProbeRequest(URL, "203.0.113.9:8080", 522, "zh", regions=("fra", "sin"))
    value = regional_buttons.encode(request, STATES)
    assert value is not None
    assert json.loads(value)["r"] == "fra,sin"
    assert regional_buttons.decode(value) == (request, STATES)
    every = ProbeRequest(URL, regions="all")
    back, states = regional_buttons.decode(regional_buttons.encode(every, None) or "")
    assert (back, states) == (every, None)


def test_a_request_without_regions_has_no_regional_value() -> None:
    assert regional_buttons.encode(ProbeRequest(URL), STATES) is None


def test_states_that_do_not_fit_are_left_out() -> None:
    many = {f"r{i:02d}-{'x' * 20}": "fail:connect refused" for i in range(60)}
    request = ProbeRequest(URL, regions=tuple(many))
    value = regional_buttons.encode(request, many)
    assert value is not None
    assert len(value) <= buttons.MAX_VALUE
    assert regional_buttons.decode(value)[1] is None  # probe again works, without the comparison


def _value(**changes: object) -> str:
    data: dict[str, object] = {"u": URL, "r": "fra,sin", "s": {"fra": "ok"}}
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(_value(r=None), id="no-regions"),
        pytest.param(_value(r="all,fra"), id="all-and-more"),
        pytest.param(_value(r="local"), id="reserved-region"),
        pytest.param(_value(r=["fra"]), id="regions-not-text"),
        pytest.param(_value(s={"fra": "<!channel>"}), id="hostile-state"),
        pytest.param(_value(s={"all": "ok"}), id="reserved-name-in-states"),
        pytest.param(_value(s={"Fra!": "ok"}), id="bad-region-in-states"),
        pytest.param(_value(s=["ok"]), id="states-not-an-object"),
        pytest.param(_value(s={f"r{i}": "ok" for i in range(80)}), id="too-many-states"),
        pytest.param(_value(u="javascript:alert(1)"), id="not-http"),
        pytest.param(_value(x=1), id="unknown-key"),
        pytest.param("[]", id="not-an-object"),
        pytest.param("x" * 9000, id="oversized"),
    ],
)
def test_hostile_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):  # a short reason, whatever it is
        regional_buttons.decode(value)


def test_a_watch_keeps_its_regions_and_states_in_its_record() -> None:
    request = ProbeRequest(URL, language="zh", regions=("fra", "sin"))
    watch = Watch("w1", request, "U1", "C1", "1.2", 600.0, 30.0, states=dict(STATES))
    record = watch.record()
    assert record.regions == "fra,sin"
    assert json.loads(record.region_states or "") == STATES
    back = Watch.of(record)
    assert back.request == request
    assert back.states == STATES
    record.region_states = json.dumps({"fra": "<@U1>"})  # not ours: read as nothing
    assert Watch.of(record).states is None
    record.regions = "all,fra"
    assert Watch.of(record).request.regions is None  # it watches from here only
