"""The message catalogue stays in step with the code: every marked sentence is translated, the
compiled catalogue says what the source catalogue says, and placeholders survive translation."""

from __future__ import annotations

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
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def test_every_marked_sentence_is_translated() -> None:
    catalog = _catalog()
    missing = sorted(m for m in _extracted() if not catalog.get(m) or not catalog.get(m).string)
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
        want = set(_FIELD.findall(ids[0]))
        for text in strings:
            assert set(_FIELD.findall(text)) == want, (message.id, text)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_unknown_sentences_fall_back_to_english(language: str) -> None:
    assert texts(language)("no such sentence 4f2a") == "no such sentence 4f2a"  # type: ignore[arg-type]


def test_n_marks_without_translating() -> None:
    assert N_("Probe again") == "Probe again"
