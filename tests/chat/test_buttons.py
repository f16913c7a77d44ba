"""Button values: what a diagnosis button carries round-trips, stays within 2,000 characters, and
anything a client sends back that we did not write is refused with ValueError and nothing else."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.buttons import (
    MAX_ORIGIN,
    MAX_VALUE,
    cancel_value,
    decode,
    encode,
    read_cancel_value,
)
from bot.chat.replies import ProbeRequest
from bot.chat.snapshot import Snapshot

AT = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)
URL = "https://shop.example.com/cart"

# A failing probe with the origin probed too: every field set, as a button would carry it.
FULL = Snapshot(
    at=AT,
    status=None,
    code=522,
    fault="network",
    failed_phase="connect",
    failure="timeout",
    dns_ms=12.0,
    connect_ms=5000.0,
    tls_ms=None,
    server_ms=None,
    total_ms=5012.0,
    error_name=None,
    origin_status=200,
    origin_failed_phase=None,
    origin_ms=40.0,
    probed_origin=True,
    origin_failure=None,
)
HEALTHY = Snapshot(
    at=AT,
    status=200,
    code=None,
    fault="none",
    dns_ms=12.0,
    connect_ms=20.0,
    tls_ms=30.0,
    server_ms=84.0,
    total_ms=146.0,
    error_name="NODE_FUNCTION_INVOCATION_TIMEOUT",
)


def value(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


def bare_length(url: str) -> int:
    """The length of a value holding only ``url`` (ASCII URLs need no escaping)."""
    return len(value(u=url))


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    ("request_", "snapshot"),
    [
        pytest.param(ProbeRequest(URL), None, id="url-only"),
        pytest.param(ProbeRequest(URL, origin="203.0.113.9:8080"), None, id="origin"),
        pytest.param(ProbeRequest(URL, code=524), None, id="code"),
        pytest.param(ProbeRequest(URL), HEALTHY, id="snapshot"),
        pytest.param(
            ProbeRequest(URL, origin="[2001:db8::1]:8443", code=522), FULL, id="everything"
        ),
        pytest.param(
            ProbeRequest("https://bücher.example/straße?q=日本", code=502),
            HEALTHY,
            id="non-ascii-url",
        ),
        pytest.param(
            ProbeRequest("https://x.example/a'b\\c\u00e9%22?q=1&r=2"),
            FULL,
            id="characters-json-escapes",
        ),
    ],
)
def test_round_trip(request_: ProbeRequest, snapshot: Snapshot | None) -> None:
    encoded = encode(request_, snapshot)
    assert encoded is not None
    assert len(encoded) <= MAX_VALUE
    assert decode(encoded) == (request_, snapshot)


def test_value_is_compact_json_with_short_keys() -> None:
    encoded = encode(ProbeRequest(URL, origin="o.example.com", code=524), HEALTHY)
    assert encoded is not None
    data = json.loads(encoded)
    assert set(data) == {"u", "o", "c", "s"}
    assert (data["u"], data["o"], data["c"]) == (URL, "o.example.com", 524)
    assert ", " not in encoded
    assert ": " not in encoded


def test_absent_origin_and_code_are_left_out() -> None:
    encoded = encode(ProbeRequest(URL), None)
    assert encoded is not None
    assert json.loads(encoded) == {"u": URL}


def test_empty_origin_is_left_out_and_comes_back_as_none() -> None:
    encoded = encode(ProbeRequest(URL, origin=""), None)
    assert encoded is not None
    assert "o" not in json.loads(encoded)
    assert decode(encoded)[0].origin is None


# ---------------------------------------------------------------- size


def test_snapshot_is_dropped_when_it_does_not_fit_and_the_probe_still_repeats() -> None:
    url = "https://x.example/" + "a" * 1900
    assert bare_length(url) <= MAX_VALUE
    encoded = encode(ProbeRequest(url, origin="o.example.com", code=524), FULL)
    assert encoded is not None
    assert len(encoded) <= MAX_VALUE
    assert "s" not in json.loads(encoded)
    request, snapshot = decode(encoded)
    assert request == ProbeRequest(url, origin="o.example.com", code=524)
    assert snapshot is None


def test_url_that_fits_exactly_is_kept_and_one_more_character_is_not() -> None:
    url = "https://x.example/" + "a" * (MAX_VALUE - bare_length("https://x.example/"))
    assert bare_length(url) == MAX_VALUE
    encoded = encode(ProbeRequest(url), FULL)
    assert encoded is not None
    assert len(encoded) == MAX_VALUE
    assert decode(encoded) == (ProbeRequest(url), None)
    assert encode(ProbeRequest(url + "a"), None) is None


@pytest.mark.parametrize("snapshot", [None, FULL], ids=["no-snapshot", "snapshot"])
def test_url_longer_than_a_button_value_gives_none(snapshot: Snapshot | None) -> None:
    assert encode(ProbeRequest("https://x.example/" + "a" * MAX_VALUE), snapshot) is None


def test_escaping_counts_towards_the_limit() -> None:
    # 1,000 quotes are 1,000 characters of URL but 2,000 characters of JSON.
    url = "https://x.example/" + '"' * 1000
    assert encode(ProbeRequest(url), None) is None


urls = st.text(max_size=2100).map(lambda path: "https://x.example/" + path)
origins = st.none() | st.text(min_size=1, max_size=MAX_ORIGIN)
codes = st.none() | st.integers(100, 999)
snapshots = st.sampled_from([None, FULL, HEALTHY])


@settings(max_examples=300)
@given(url=urls, origin=origins, code=codes, snapshot=snapshots)
def test_encoded_value_never_exceeds_the_limit_and_decodes(
    url: str, origin: str | None, code: int | None, snapshot: Snapshot | None
) -> None:
    request = ProbeRequest(url, origin=origin, code=code)
    encoded = encode(request, snapshot)
    if encoded is None:
        return
    assert len(encoded) <= MAX_VALUE
    back, back_snapshot = decode(encoded)
    assert back == request
    assert back_snapshot in (snapshot, None)


printable_ascii = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\')


@given(origin=st.text(printable_ascii, min_size=1, max_size=MAX_ORIGIN))
def test_snapshot_rides_along_whenever_the_request_is_short(origin: str) -> None:
    request = ProbeRequest(URL, origin=origin, code=524)
    encoded = encode(request, FULL)
    assert encoded is not None
    assert decode(encoded) == (request, FULL)


def test_whatever_encode_writes_decode_reads() -> None:
    request = ProbeRequest(URL, origin="a" * (MAX_ORIGIN + 1))
    encoded = encode(request, None)
    assert encoded is None or decode(encoded) == (request, None)


# ---------------------------------------------------------------- hostile values


def _snapshot_value(**changes: Any) -> dict[str, Any]:
    return FULL.to_value() | changes


HOSTILE = [
    pytest.param("", id="empty"),
    pytest.param("not json", id="not-json"),
    pytest.param("{", id="truncated-json"),
    pytest.param("[1, 2]", id="json-list"),
    pytest.param('"https://x.example/"', id="json-string"),
    pytest.param("null", id="json-null"),
    pytest.param("[" * 5000 + "]" * 5000, id="nested-5000"),
    pytest.param("[" * 3999 + "]" * 3999, id="nested-within-size-limit"),
    pytest.param('{"u":' * 1300 + "1" + "}" * 1300, id="nested-objects"),
    pytest.param(value(o="o.example.com"), id="missing-u"),
    pytest.param(value(u=None), id="null-url"),
    pytest.param(value(u="javascript:alert(1)"), id="javascript-url"),
    pytest.param(value(u="ftp://x.example/"), id="ftp-url"),
    pytest.param(value(u="//x.example/"), id="scheme-relative-url"),
    pytest.param(value(u=42), id="non-string-url"),
    pytest.param(value(u=["https://x.example/"]), id="list-url"),
    pytest.param(value(u="https://x.example/" + "a" * MAX_VALUE), id="url-too-long"),
    pytest.param(value(u=URL, c=True), id="bool-code"),
    pytest.param(value(u=URL, c=42), id="code-42"),
    pytest.param(value(u=URL, c=1000), id="code-1000"),
    pytest.param(value(u=URL, c="524"), id="string-code"),
    pytest.param(value(u=URL, c=524.0), id="float-code"),
    pytest.param('{"u":"https://x.example/","c":NaN}', id="nan-code"),
    pytest.param('{"u":"https://x.example/","c":' + "9" * 4500 + "}", id="huge-int-code"),
    pytest.param(value(u=URL, o=""), id="empty-origin"),
    pytest.param(value(u=URL, o="a" * (MAX_ORIGIN + 1)), id="origin-too-long"),
    pytest.param(value(u=URL, o=8080), id="non-string-origin"),
    pytest.param(value(u=URL, o=False), id="bool-origin"),
    pytest.param(value(u=URL, s=None), id="null-snapshot"),
    pytest.param(value(u=URL, s="garbage"), id="string-snapshot"),
    pytest.param(value(u=URL, s={}), id="empty-snapshot"),
    pytest.param(value(u=URL, s=[1, 2, 3]), id="list-snapshot"),
    pytest.param(value(u=URL, s=_snapshot_value(v=2)), id="snapshot-other-version"),
    pytest.param(value(u=URL, s=_snapshot_value(e="<!channel>")), id="snapshot-markup"),
    pytest.param(value(u=URL, s=_snapshot_value(t=10**20)), id="snapshot-far-future"),
    pytest.param(value(u=URL, s=_snapshot_value(extra=1)), id="snapshot-extra-key"),
    pytest.param(value(u="https://x.example/", pad="a" * 10_000), id="10kb-object"),
    pytest.param("a" * 10_000, id="10kb-string"),
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_values_raise_value_error(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\S") as caught:
        decode(raw)
    # The reason is short and never echoes the input back.
    assert len(str(caught.value)) < 120
    assert "<!channel>" not in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("[" * 3999 + "]" * 3999, id="lists"),
        pytest.param('{"u":' * 1300 + "1" + "}" * 1300, id="objects"),
    ],
)
def test_nesting_within_the_size_limit_is_parsed_and_the_recursion_error_becomes_value_error(
    raw: str,
) -> None:
    assert len(raw) <= 4 * MAX_VALUE  # gets past the size check and into json.loads
    with pytest.raises(ValueError, match="not JSON"):
        decode(raw)


@pytest.mark.parametrize(
    "raw", [pytest.param(None, id="none"), pytest.param(b'{"u":"https://x"}', id="bytes")]
)
def test_non_string_input_raises_value_error(raw: Any) -> None:
    with pytest.raises(ValueError, match="button value"):
        decode(raw)


def test_a_valid_snapshot_inside_a_valid_value_is_accepted() -> None:
    # The control case for the snapshot rows above: only the hostile change makes them fail.
    raw = value(u=URL, s=_snapshot_value())
    assert decode(raw) == (ProbeRequest(URL), FULL)


def test_url_scheme_is_case_insensitive() -> None:
    assert decode(value(u="HTTPS://X.EXAMPLE/"))[0].url == "HTTPS://X.EXAMPLE/"


@settings(max_examples=500)
@given(st.text(max_size=300))
def test_decode_of_arbitrary_text_only_raises_value_error(raw: str) -> None:
    try:
        request, _ = decode(raw)
    except ValueError:
        return
    assert request.url.lower().startswith(("http://", "https://"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)
button_like = st.fixed_dictionaries(
    {"u": st.sampled_from([URL, "javascript:x", 7, None])},
    optional={"o": json_values, "c": json_values, "s": json_values},
)


@settings(max_examples=300)
@given(st.one_of(json_values, button_like))
def test_decode_of_arbitrary_json_only_raises_value_error(data: Any) -> None:
    try:
        request, _ = decode(json.dumps(data))
    except ValueError:
        return
    assert request.url == URL


@settings(max_examples=300)
@given(
    key=st.sampled_from(sorted(FULL.to_value())),
    bad=st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
)
def test_decode_of_a_snapshot_with_one_field_changed_only_raises_value_error(
    key: str, bad: Any
) -> None:
    raw = json.dumps({"u": URL, "s": _snapshot_value(**{key: bad})})
    try:
        _, snapshot = decode(raw)
    except ValueError:
        return
    assert isinstance(snapshot, Snapshot)


def test_snapshot_with_origin_results_but_no_origin_probe_is_refused() -> None:
    forged = replace(FULL, probed_origin=False).to_value()
    with pytest.raises(ValueError, match="origin"):
        decode(value(u=URL, s=forged))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param('https://x.example/a"b', id="quote"),
        pytest.param("https://x.example/<!channel>", id="markup"),
        pytest.param("https://x.example/a b", id="space"),
        pytest.param("https://x.example/\x07", id="control"),
    ],
)
def test_urls_that_decode_refuses_get_no_buttons(url: str) -> None:
    assert encode(ProbeRequest(url), None) is None


# ---------------------------------------------------------------- language


def test_chinese_rides_along_compactly_and_english_is_left_out() -> None:
    zh = encode(ProbeRequest(URL, code=522, language="zh"), FULL)
    en = encode(ProbeRequest(URL, code=522), FULL)
    assert zh is not None
    assert en is not None
    assert json.loads(zh)["l"] == "zh"
    assert "l" not in json.loads(en)
    assert len(zh) - len(en) == len(',"l":"zh"')
    assert decode(zh) == (ProbeRequest(URL, code=522, language="zh"), FULL)


def test_values_written_before_languages_read_as_english() -> None:
    request, snapshot = decode(value(u=URL, c=524, s=FULL.to_value()))
    assert request == ProbeRequest(URL, code=524, language="en")
    assert snapshot == FULL


def test_the_language_survives_when_the_snapshot_does_not_fit() -> None:
    url = "https://x.example/" + "a" * 1900
    encoded = encode(ProbeRequest(url, language="zh"), FULL)
    assert encoded is not None
    assert "s" not in json.loads(encoded)
    assert decode(encoded) == (ProbeRequest(url, language="zh"), None)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(value(u=URL, l="fr"), id="unknown-language"),
        pytest.param(value(u=URL, l="en"), id="english-is-never-written"),
        pytest.param(value(u=URL, l=["zh"]), id="list-language"),
        pytest.param(value(u=URL, l=None), id="null-language"),
        pytest.param(value(u=URL, x=1), id="unknown-key"),
    ],
)
def test_malformed_languages_and_unknown_keys_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"language|unexpected keys"):
        decode(raw)


@pytest.mark.parametrize(
    ("watch_id", "language", "shown"),
    [("a1b2c3d4e5f6", "en", "a1b2c3d4e5f6"), ("a1b2c3d4e5f6", "zh", "a1b2c3d4e5f6:zh")],
)
def test_cancel_values(watch_id: str, language: Any, shown: str) -> None:
    assert cancel_value(watch_id, language) == shown
    assert read_cancel_value(shown) == (watch_id, language)


@pytest.mark.parametrize("raw", ["a1b2c3d4e5f6:fr", "a1b2c3d4e5f6:", "a1b2c3d4e5f6:zh:x"])
def test_cancel_values_with_another_language_read_as_english(raw: str) -> None:
    assert read_cancel_value(raw) == ("a1b2c3d4e5f6", "en")
