from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge import Matcher, Product, Reason
from bot.knowledge.matcher import MAX_QUERY_CHARS


def ids(matcher: Matcher, query: str) -> list[str]:
    return [m.entry.id for m in matcher.ask(query).matches]


@pytest.mark.parametrize("code", [423, 413, 400, 500, 502, 503, 504, 404])
def test_shared_codes_return_every_products_entry(matcher: Matcher, code: int) -> None:
    answer = matcher.ask(str(code), limit=10)
    products = {m.entry.product for m in answer.matches if code in m.entry.codes}
    assert len(products) >= 2, [m.entry.id for m in answer.matches]
    assert all(m.reason is Reason.CODE for m in answer.matches if code in m.entry.codes)


@pytest.mark.parametrize(
    ("query", "product"),
    [
        ("423 on my cdn site", Product.SITE_ACCELERATION),
        ("423 on pages", Product.PAGES),
        ("502 from the pages function", Product.PAGES),
        ("502 from origin nginx", Product.SITE_ACCELERATION),
        ("413 cookies too big", Product.SITE_ACCELERATION),
        ("413 node function payload", Product.PAGES),
    ],
)
def test_words_around_a_shared_code_pick_the_product(
    matcher: Matcher, query: str, product: Product
) -> None:
    first = matcher.ask(query).matches[0].entry
    assert first.product is product


def test_pair_codes_find_the_same_entry(matcher: Matcher) -> None:
    for primary, pair in [(520, 550), (521, 551), (522, 552), (523, 553), (524, 554), (525, 555)]:
        assert ids(matcher, str(primary))[0] == ids(matcher, str(pair))[0]


def test_family_lists_codes_in_order(matcher: Matcher) -> None:
    answer = matcher.ask("5xx")
    assert answer.family == "5xx"
    codes = [m.entry.code for m in answer.matches]
    assert codes == sorted(codes)
    assert {520, 521, 522, 523, 524, 525, 545} <= set(codes)
    assert all(500 <= c <= 599 for c in codes)
    narrow = matcher.ask("any 52x errors")
    assert {m.entry.code for m in narrow.matches if m.reason is Reason.FAMILY} == {
        520,
        521,
        522,
        523,
        524,
        525,
    }


def test_unknown_code_is_said_not_guessed(matcher: Matcher) -> None:
    answer = matcher.ask("431")
    assert not answer.matched
    assert answer.unknown_codes == (431,)
    assert any("431" in note for note in answer.notes)
    reserved = matcher.ask("530")
    assert any("EO-LOG-UUID" in note for note in reserved.notes)


def test_gibberish_gets_no_confident_answer(matcher: Matcher) -> None:
    for query in ["banana smoothie recipe", "qwertyuiop", "the weather in paris"]:
        assert not matcher.ask(query).matched, query


def test_weak_match_offers_suggestions(matcher: Matcher) -> None:
    answer = matcher.ask("timeouts")
    assert not answer.matched or answer.matches[0].score < 90
    if not answer.matched:
        assert answer.suggestions


def test_ports_times_and_sizes_are_not_codes(matcher: Matcher) -> None:
    answer = matcher.ask("origin on port 443 slow since 10:30, 500ms ttfb, 200 MB upload")
    assert 443 not in answer.codes + answer.unknown_codes
    assert 500 not in answer.codes
    assert 200 not in answer.codes + answer.unknown_codes


@pytest.mark.parametrize(
    "query",
    ["", "   ", "\x00\x01\x02", "🔥🔥🔥", "<@U123> <!here>", "?!", "\u200b\u200b"],
    ids=["empty", "spaces", "controls", "emoji", "only-mentions", "punct", "zero-width"],
)
def test_empty_questions_get_a_plain_problem(matcher: Matcher, query: str) -> None:
    answer = matcher.ask(query)
    assert answer.problem is not None
    assert "empty" in answer.problem
    assert not answer.matches


def test_huge_question_is_cut_and_said(matcher: Matcher) -> None:
    answer = matcher.ask("524 " + "x" * 10_000)
    assert len(answer.query) <= MAX_QUERY_CHARS
    assert any("first" in note for note in answer.notes)
    assert answer.matches[0].entry.code == 524


def test_slack_markup_and_emoji_are_read_through(matcher: Matcher) -> None:
    query = "<@U0LAN0Z89> :rotating_light: *524* on <https://shop.example.com/cart|the cart> 🔥"
    assert ids(matcher, query)[0] == "sa-524"


def test_control_characters_inside_a_name(matcher: Matcher) -> None:
    assert ids(matcher, "NODE_FUNCTION_INVOCATION_TIMEOUT\x07\x1b[31m")[0] == "pages-504"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text_gets_an_answer_not_an_exception(matcher: Matcher, text: str) -> None:
    answer = matcher.ask(text)
    if answer.problem is not None:
        assert not answer.matches
        assert not answer.suggestions
    assert {m.entry.id for m in answer.matches} <= {e.id for e in matcher.kb.entries}
    assert not (answer.matches and answer.suggestions)
    scores = [m.score for m in answer.matches]
    assert all(0 <= s <= 100 for s in scores)
    if answer.family is None:
        assert scores == sorted(scores, reverse=True)
    assert len(answer.query) <= MAX_QUERY_CHARS


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["524", "origin", "slow", "<@U1>", "🔥", "pages", "\x00", "5xx", "deploy"])
        | st.text(alphabet="abcxyz_<>|@!:*~ ", max_size=12),
        max_size=30,
    )
)
def test_mixed_fragments_never_crash(matcher: Matcher, parts: list[str]) -> None:
    answer = matcher.ask(" ".join(parts))
    assert answer.problem is not None or answer.query.strip()
    for match in answer.matches:
        assert 0 <= match.score <= 100


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("521错误", 521),
        ("返回545", 545),
        ("返回 401：", 401),
        ("（524）", 524),
        ("HTTP/2 567", 567),
        ("< HTTP/1.1 502 Bad Gateway", 502),
        ("网站一直报522", 522),
        ("状态码:418", 418),
        ("错误码：423 部署中", 423),
        ("status=524", 524),
    ],
)
def test_codes_are_found_glued_to_chinese_and_punctuation(
    matcher: Matcher, query: str, code: int
) -> None:
    assert code in matcher.ask(query).codes


@pytest.mark.parametrize("query", ["耗时524毫秒", "出现了500个请求", "example.com:522", "port 521"])
def test_numbers_that_are_not_codes(matcher: Matcher, query: str) -> None:
    assert not matcher.ask(query).codes
