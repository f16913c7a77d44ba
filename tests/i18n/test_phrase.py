"""Phrases: sentences kept as a catalogue message and its values, worded when shown, in the
reader's language; clauses inside them worded alike; reasons of refusals in any language."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, PhraseError, counted, phrase, reason_of, said


def test_a_phrase_is_worded_in_the_language_asked_for() -> None:
    text = phrase(N_("EdgeOne said nothing about {ip}"), ip="203.0.113.9")
    assert text.say("en") == "EdgeOne said nothing about 203.0.113.9"
    assert text.say("zh") == "EdgeOne 没有返回 203.0.113.9 的信息"
    assert str(text) == "EdgeOne said nothing about 203.0.113.9"  # for logs and exceptions


def test_clauses_are_worded_in_the_same_language() -> None:
    inner = phrase(N_("the zone of {host}"), host="shop.example.com")
    outer = phrase(N_("not asked: {reason}"), reason=inner)
    assert outer.say("en") == "not asked: the zone of shop.example.com"
    assert outer.say("zh") == "未查询：shop.example.com 所属的站点"


def test_values_keep_their_format_specs() -> None:
    when = datetime(2025, 3, 18, 2, 0, tzinfo=UTC)
    text = phrase(
        N_("EdgeOne changes its origin-pull ranges on {when:%Y-%m-%d %H:%M} UTC"), when=when
    )
    assert text.say("zh") == "EdgeOne 将于 2025-03-18 02:00 UTC 变更回源 IP 网段"


def test_counts_pick_the_english_form_and_one_chinese_form() -> None:
    one = counted(1, N_("{count} range"), N_("{count} ranges"))
    many = counted(3, N_("{count} range"), N_("{count} ranges"))
    assert (one.say("en"), many.say("en")) == ("1 range", "3 ranges")
    assert (one.say("zh"), many.say("zh")) == ("1 个网段", "3 个网段")


def test_network_text_in_values_is_never_read_as_a_template() -> None:
    hostile = "{0.__class__} {ip} }{"
    text = phrase(N_("EdgeOne said nothing about {ip}"), ip=hostile)
    assert text.say("zh") == f"EdgeOne 没有返回 {hostile} 的信息"
    assert Phrase(hostile).say("zh") == hostile  # no values: nothing formatted


def test_reasons_of_refusals() -> None:
    error = PhraseError(phrase(N_("only http and https URLs can be purged")))
    assert isinstance(error, ValueError)
    assert str(error) == "only http and https URLs can be purged"
    assert reason_of(error, "zh") == "只能刷新 http 和 https 的 URL"
    assert reason_of(ValueError("plain"), "zh") == "plain"
    assert said(42, "zh") == 42
