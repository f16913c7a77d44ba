"""Every side at fault the diagnosis can name has words wherever faults are enumerated, and
survives the compact copy the buttons carry."""

from __future__ import annotations

from typing import get_args

import pytest

from bot.chat.snapshot import _FAULT_WORDS, FAULTS, Snapshot, compare
from bot.chat.words import SIDE, verdict
from bot.diagnosis import Fault, diagnose
from bot.diagnosis.say import SIDE_WORDS, say_in
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport
from tests.test_diagnosis import edge

ALL = get_args(Fault)


def test_the_new_sides_are_faults() -> None:
    assert {"account", "provider"} <= set(ALL)
    assert set(ALL) == FAULTS


@pytest.mark.parametrize("fault", ALL)
def test_every_fault_has_words_everywhere(fault: str) -> None:
    assert fault in SIDE
    assert fault in _FAULT_WORDS
    assert fault in SIDE_WORDS
    assert say_in("zh").side(fault) != say_in("en").side(fault)
    said = verdict(429, fault, 429)
    assert fault == "none" or SIDE[fault] in said


@pytest.mark.parametrize("fault", ["account", "provider"])
def test_a_new_fault_survives_the_button_value(kb: KnowledgeBase, fault: str) -> None:
    status = 511 if fault == "account" else 403
    headers = {"server": "edgeone-pages"} if fault == "account" else {"server": "AkamaiGHost"}
    probe = edge(status, headers=headers, uuid=None if fault == "provider" else "1")
    report = ProbeReport(edge=probe)
    d = diagnose(report, kb)
    assert d.fault == fault
    snap = Snapshot.of(report, d)
    back = Snapshot.from_value(snap.to_value())
    assert back == snap
    change = compare(
        Snapshot.of(ProbeReport(edge=edge(200)), diagnose(ProbeReport(edge=edge(200)), kb)), back
    )
    assert _FAULT_WORDS[fault] in "\n".join(change.lines)
