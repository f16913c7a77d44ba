"""bot.ops.heap.settle: what start-up built is left out of later collections."""

from __future__ import annotations

import subprocess
import sys


def test_settle_moves_what_exists_to_the_permanent_generation() -> None:
    # In a child: freezing the test process itself would keep its garbage cycles for good.
    code = (
        "import gc; from bot.ops.heap import settle; kept = [[i] for i in range(10000)]; "
        "before = gc.get_freeze_count(); settle(); "
        "print(before, gc.get_freeze_count(), gc.get_count()[2])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, gen2 = map(int, out)
    assert before == 0
    assert after >= 10_000  # the lists (and everything else alive) are frozen
    assert gen2 == 0  # nothing left for a full collection to walk
