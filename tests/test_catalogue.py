"""The message catalogue stays in step with the code: every marked sentence is translated, the
compiled catalogue says what the source catalogue says, and placeholders survive translation."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n.catalogue import N_, texts

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "bot" / "i18n" / "locale"
PO = LOCALE / "zh" / "LC_MESSAGES" / "eo-bot.po"
MO = PO.with_suffix(".mo")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def _catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as handle:
        return read_po(handle)


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None, "ngettext": (1, 2)},
    )
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in found:
        # A plural is catalogued under its singular.
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _translated(message) -> bool:  # type: ignore[no-untyped-def]
    if message is None:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_every_marked_sentence_is_translated() -> None:
    catalog = _catalog()
    missing = sorted(m for m in _extracted() if not _translated(catalog.get(m)))
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations to review: {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_source() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog():
        if not message.id or isinstance(message.id, tuple):
            continue
        assert compiled.gettext(str(message.id)) == message.string, (
            f"{message.id!r}: the .mo is stale; run `make messages`"
        )


def test_placeholders_survive_translation() -> None:
    for message in _catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # A plural's forms may differ ("the watch" / "the {count} watches"): a translated form
        # must use the placeholders of one of them, as the code passes the values of both.
        wanted = [set(_FIELD.findall(text)) for text in ids]
        for text in strings:
            assert set(_FIELD.findall(text)) in wanted, (message.id, text)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_unknown_sentences_fall_back_to_english(language: str) -> None:
    assert texts(language)("no such sentence 4f2a") == "no such sentence 4f2a"  # type: ignore[arg-type]


def test_n_marks_without_translating() -> None:
    assert N_("Probe again") == "Probe again"


def _unextracted_calls(source: str) -> list[int]:
    """Lines calling ``texts(...)("literal")``: Babel only extracts ``_("...")`` and ``N_``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Call)
            and isinstance(node.func.func, ast.Name)
            and node.func.func.id in ("texts", "plural")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append(node.lineno)
    return found


def test_sentences_are_marked_where_babel_finds_them() -> None:
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if (lines := _unextracted_calls(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f'write `_ = texts(language)` then `_("...")`: {offenders}'


def test_the_unextracted_call_check_can_fail() -> None:
    assert _unextracted_calls('texts("zh")("Probe again")\n_ = texts("zh")\n_("x")\n') == [1]
