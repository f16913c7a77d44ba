"""How fast is one answer: ``Matcher.ask`` in-process.

Every figure is printed next to a reference measured in the same run, because the absolute
numbers on a shared, noisy machine mean little on their own: ``Matcher.ask`` runs against a naive
matcher, ``rapidfuzz.process.extractOne`` with ``WRatio`` over every alias, title and error name
of the knowledge base (what a one-line matcher would scan). The command line end to end
(``eo-bot ask 524`` against ``python -c pass``) is ``bench/startup.py``.

The measuring functions return dataclasses and :func:`format_report` turns them into text, so
``tests/test_bench_smoke.py`` can run them with tiny sizes and check the figures are sane. Nothing
here asserts on speed: the target (p99 under 1 ms) is printed, not enforced.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bench._stats import nearest_rank
from bot.knowledge import KnowledgeBase, Matcher, load
from bot.knowledge.text import stem

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = (
    ROOT / "tests" / "knowledge" / "questions.yaml",
    ROOT / "tests" / "knowledge" / "questions_heldout.yaml",
    # Chinese and mixed questions: character pairs, filler cut, Traditional read as Simplified.
    ROOT / "tests" / "knowledge" / "questions_zh_blind.yaml",
    ROOT / "tests" / "knowledge" / "questions_real.yaml",
)
TARGET_P99_NS = 1_000_000  # Matcher.ask, warm: p99 under 1 ms

_NS_PER_US = 1_000
_NS_PER_MS = 1_000_000


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Nearest-rank percentiles of a set of durations, in nanoseconds."""

    n: int
    p50: int
    p95: int
    p99: int
    max: int

    @classmethod
    def of(cls, samples: Sequence[int]) -> Percentiles:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)

        return cls(
            len(ordered),
            nearest_rank(ordered, 0.50),
            nearest_rank(ordered, 0.95),
            nearest_rank(ordered, 0.99),
            ordered[-1],
        )


@dataclass(frozen=True, slots=True)
class AskFigures:
    entries: int  # knowledge base entries
    questions: int  # distinct questions asked
    choices: int  # strings the naive matcher scans
    rounds: int  # warm passes over the questions
    cold_rounds: int  # passes, each with a fresh Matcher and empty caches
    load_ns: int  # median of load(with_env=False)
    build_ns: int  # median of Matcher(kb)
    cold: Percentiles  # Matcher.ask, first time each question is seen
    warm: Percentiles  # Matcher.ask, after a warm-up pass
    naive: Percentiles  # process.extractOne(question, choices, scorer=fuzz.WRatio)

    @property
    def ratio_p50(self) -> float:
        """Warm ask over extractOne at p50 (below 1: ask is faster)."""
        return self.warm.p50 / self.naive.p50

    @property
    def ratio_p99(self) -> float:
        return self.warm.p99 / self.naive.p99


@dataclass(frozen=True, slots=True)
class Machine:
    cpus: int
    usable_cpus: int
    python: str
    platform: str

    @classmethod
    def current(cls) -> Machine:
        cpus = os.cpu_count() or 1
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
        python = f"{platform.python_implementation()} {platform.python_version()}"
        return cls(cpus, usable, python, f"{platform.system()} {platform.machine()}")


# -- measuring -------------------------------------------------------------------------------


def load_questions(files: Sequence[Path] = QUESTION_FILES) -> list[str]:
    """The distinct questions of the question sets, in file order."""
    seen: dict[str, None] = {}
    for path in files:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for item in items:
            seen.setdefault(str(item["q"]), None)
    return list(seen)


def naive_choices(kb: KnowledgeBase) -> list[str]:
    """What a naive matcher would scan: every alias, title and error name."""
    return [
        text
        for e in kb.entries
        for text in (*e.aliases, e.title, *e.names, *(e.zh.aliases if e.zh else ()))
    ]


def measure_ask(
    questions: Sequence[str], *, rounds: int = 20, cold_rounds: int = 5, seed: int = 0
) -> AskFigures:
    """Time ``Matcher.ask`` cold and warm, and the naive ``extractOne`` on the same strings."""
    if not questions or rounds < 1 or cold_rounds < 1:
        raise ValueError("need questions, rounds >= 1 and cold_rounds >= 1")
    rng = random.Random(seed)
    clock = time.perf_counter_ns
    order = list(questions)

    # Cold: as in a fresh process, the module-level stem cache is empty before the knowledge base
    # is indexed, and the new Matcher's own caches are empty; each question is asked once.
    load_times: list[int] = []
    build_times: list[int] = []
    cold: list[int] = []
    kb = load(with_env=False)  # the first load pays one-off costs (imports, pydantic); not timed
    for _ in range(cold_rounds):
        stem.cache_clear()
        gc.collect()
        t0 = clock()
        kb = load(with_env=False)
        t1 = clock()
        matcher = Matcher(kb)
        t2 = clock()
        load_times.append(t1 - t0)
        build_times.append(t2 - t1)
        rng.shuffle(order)
        ask = matcher.ask
        for q in order:
            t0 = clock()
            ask(q)
            cold.append(clock() - t0)

    # Warm: a warm-up pass, then shuffled rounds, ask and extractOne interleaved (and which goes
    # first alternated) so both see the same machine load.
    choices = naive_choices(kb)
    matcher = Matcher(kb)
    ask = matcher.ask
    extract_one = process.extractOne
    scorer = fuzz.WRatio
    for q in questions:
        ask(q)
        extract_one(q, choices, scorer=scorer)
    warm: list[int] = []
    naive: list[int] = []
    gc.collect()
    for r in range(rounds):
        rng.shuffle(order)
        for q in order:
            if r % 2:
                t0 = clock()
                extract_one(q, choices, scorer=scorer)
                t1 = clock()
                ask(q)
                t2 = clock()
                naive.append(t1 - t0)
                warm.append(t2 - t1)
            else:
                t0 = clock()
                ask(q)
                t1 = clock()
                extract_one(q, choices, scorer=scorer)
                t2 = clock()
                warm.append(t1 - t0)
                naive.append(t2 - t1)

    return AskFigures(
        entries=len(kb.entries),
        questions=len(questions),
        choices=len(choices),
        rounds=rounds,
        cold_rounds=cold_rounds,
        load_ns=int(statistics.median(load_times)),
        build_ns=int(statistics.median(build_times)),
        cold=Percentiles.of(cold),
        warm=Percentiles.of(warm),
        naive=Percentiles.of(naive),
    )


# -- reporting -------------------------------------------------------------------------------


def _us(ns: int) -> str:
    return f"{ns / _NS_PER_US:,.1f}"


def _ms(ns: int) -> str:
    return f"{ns / _NS_PER_MS:,.1f}"


def format_report(machine: Machine, ask: AskFigures) -> str:
    lines = [
        "== bench ask ==",
        f"machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"knowledge base: {ask.entries} entries; {ask.questions} distinct questions "
        "(English, Chinese and mixed question sets)",
        f"target: Matcher.ask p99 < {_us(TARGET_P99_NS)} µs (warm)",
        "",
        f"{'per call, µs':<42}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>10}",
    ]
    rows = (
        (f"Matcher.ask cold ({ask.cold_rounds} fresh matchers)", ask.cold),
        (f"Matcher.ask warm ({ask.rounds} shuffled rounds)", ask.warm),
        (f"extractOne WRatio, {ask.choices} choices", ask.naive),
    )
    for label, p in rows:
        lines.append(
            f"{label:<42}{p.n:>7}{_us(p.p50):>9}{_us(p.p95):>9}{_us(p.p99):>9}{_us(p.max):>10}"
        )
    verdict = "met" if ask.warm.p99 < TARGET_P99_NS else "NOT met"
    lines += [
        "",
        f"ask warm / extractOne: p50 {ask.ratio_p50:.2f}x, p99 {ask.ratio_p99:.2f}x"
        "  (below 1: ask is faster)",
        f"ask cold / warm:       p50 {ask.cold.p50 / ask.warm.p50:.2f}x, "
        f"p99 {ask.cold.p99 / ask.warm.p99:.2f}x",
        f"target p99 < {_us(TARGET_P99_NS)} µs: warm p99 {_us(ask.warm.p99)} µs, "
        f"cold p99 {_us(ask.cold.p99)} µs -> {verdict} (warm)",
        f"one-off, median: load() {_ms(ask.load_ns)} ms, Matcher(kb) {_ms(ask.build_ns)} ms",
    ]
    return "\n".join(lines)


def main() -> None:
    machine = Machine.current()
    ask = measure_ask(load_questions())
    print(format_report(machine, ask))


if __name__ == "__main__":
    main()
