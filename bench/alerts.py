"""What reading a watched channel costs: ``find_alert`` per message, next to cheaper references.

Every message in an ``EO_WATCH_CHANNELS`` channel goes through the alert listener, so the cost per
message matters for busy channels. Messages: the alert test corpus (real alert phrasings,
look-alikes, hostile inputs) plus ordinary chatter. Printed next to two references measured in the
same run on the same messages: ``to_plain`` alone (the markup pass every message needs) and one
``re.search`` for a three-digit number (the cheapest possible prefilter, which cannot tell an alert
from a look-alike). Nothing here asserts on speed.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench._stats import nearest_rank
from bot.chat.alerts import find_alert
from bot.knowledge import KnowledgeBase, load
from bot.markup import to_plain

CHATTER = (
    "morning all, standup in 5",
    "can someone review https://github.example.com/org/repo/pull/812 ?",
    "lunch?",
    "the deploy of build 4411 finished, rolling to eu next",
    "<@U0ALICE> are you on call this week?",
    "reminder: incident review at 15:00 in the big room",
)
_DIGITS = re.compile(r"(?<!\d)[1-5]\d\d(?!\d)")


@dataclass(frozen=True, slots=True)
class Figures:
    messages: int
    found: int
    p50_us: float
    p99_us: float
    max_us: float
    plain_p50_us: float
    regex_p50_us: float


def corpus() -> list[str]:
    from tests.chat.test_alerts import HOSTILE, NEGATIVE, POSITIVE

    return [m[0] for m in POSITIVE] + list(NEGATIVE) + list(HOSTILE) + list(CHATTER)


def _per_message(
    work: Callable[[str], object], messages: Sequence[str], rounds: int
) -> list[float]:
    samples: list[float] = []
    gc.disable()
    try:
        for _ in range(rounds):
            for message in messages:
                started = time.perf_counter_ns()
                work(message)
                samples.append((time.perf_counter_ns() - started) / 1000)
    finally:
        gc.enable()
    return sorted(samples)


def measure(
    messages: Sequence[str], *, rounds: int = 20, kb: KnowledgeBase | None = None
) -> Figures:
    base = kb or load()
    for message in messages:  # warm caches and lazy imports before timing
        find_alert(message, base)
    found = sum(1 for m in messages if find_alert(m, base) is not None)
    alerts = _per_message(lambda m: find_alert(m, base), messages, rounds)
    plain = _per_message(to_plain, messages, rounds)
    regex = _per_message(_DIGITS.search, messages, rounds)
    return Figures(
        messages=len(messages),
        found=found,
        p50_us=nearest_rank(alerts, 0.5),
        p99_us=nearest_rank(alerts, 0.99),
        max_us=alerts[-1],
        plain_p50_us=nearest_rank(plain, 0.5),
        regex_p50_us=nearest_rank(regex, 0.5),
    )


def format_report(f: Figures) -> str:
    return "\n".join(
        [
            f"alerts: find_alert over {f.messages} messages ({f.found} read as alerts)",
            f"  find_alert        p50 {f.p50_us:8.1f} µs   p99 {f.p99_us:8.1f} µs"
            f"   max {f.max_us:8.1f} µs",
            f"  to_plain only     p50 {f.plain_p50_us:8.1f} µs"
            f"   (find_alert/to_plain p50 {f.p50_us / max(f.plain_p50_us, 0.001):.1f}x)",
            f"  one re.search     p50 {f.regex_p50_us:8.1f} µs"
            f"   (find_alert/re.search p50 {f.p50_us / max(f.regex_p50_us, 0.001):.0f}x)",
        ]
    )


def main() -> None:
    print(format_report(measure(corpus())))
