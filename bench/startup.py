"""How fast the command line starts: `eo-bot --help`, `--version` and `ask 524` vs `python -c pass`.

Each command runs as a subprocess, all of them taking turns so that drift on a shared machine hits
them alike, after warm-up rounds that write the bytecode and the compiled knowledge base. Figures
are medians of wall time and of CPU time (user + system of the child, which a busy machine
disturbs less), each also as a ratio to ``python -c pass`` measured in the same run. The target:
``eo-bot ask 524`` within 5x of ``python -c pass``.

One row runs ``ask 524`` as the first run after the knowledge changed: an empty cache directory
each time, so the YAML is read, validated (pydantic) and indexed again; every run paid that before
the knowledge base was compiled (``bot.knowledge.compiled``).

The children get their own XDG_CACHE_HOME, no EO_KNOWLEDGE_DIRS and no PYTHONDONTWRITEBYTECODE: an
installed package has its bytecode, and without it every run would compile the sources again.
Nothing here asserts on speed; ``tests/test_bench_smoke.py`` checks the figures are sane.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.ask import Machine

TARGET_RATIO = 5.0  # eo-bot ask 524 / python -c pass, median wall time
_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Command:
    label: str
    args: tuple[str, ...]  # after the program: the interpreter, or eo-bot
    eo_bot: bool = True  # run eo-bot (else the interpreter itself)
    fresh_cache: bool = False  # an empty cache directory on every run (no compiled knowledge)


PYTHON_PASS = Command("python -c pass", ("-c", "pass"), eo_bot=False)
HELP = Command("eo-bot --help", ("--help",))
VERSION = Command("eo-bot --version", ("--version",))
ASK = Command("eo-bot ask 524", ("ask", "524"))
ASK_FIRST = Command("eo-bot ask 524, first run after a change", ("ask", "524"), fresh_cache=True)
COMMANDS = (PYTHON_PASS, HELP, VERSION, ASK, ASK_FIRST)


@dataclass(frozen=True, slots=True)
class Timing:
    command: Command
    runs: int
    wall_median_ns: int
    wall_min_ns: int
    wall_max_ns: int
    cpu_median_ns: int


@dataclass(frozen=True, slots=True)
class StartupFigures:
    program: tuple[str, ...]  # how eo-bot was run
    timings: tuple[Timing, ...]

    def get(self, command: Command) -> Timing:
        for timing in self.timings:
            if timing.command == command:
                return timing
        raise KeyError(command.label)

    def ratio(self, command: Command, *, cpu: bool = False) -> float:
        """Median of ``command`` over that of ``python -c pass`` (wall time, or CPU time)."""
        mine, reference = self.get(command), self.get(PYTHON_PASS)
        if cpu:
            return mine.cpu_median_ns / reference.cpu_median_ns
        return mine.wall_median_ns / reference.wall_median_ns


def eo_bot_program() -> tuple[str, ...]:
    """The `eo-bot` console script of this environment, as people run it; else `python -m bot`."""
    script = Path(sys.executable).parent / "eo-bot"
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    return (sys.executable, "-m", "bot")


def _env(cache: Path) -> dict[str, str]:
    drop = ("EO_KNOWLEDGE_DIRS", "PYTHONDONTWRITEBYTECODE", "SLACK_BOT_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(NO_COLOR="1", XDG_CACHE_HOME=str(cache))
    return env


def _children_cpu_ns() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((usage.ru_utime + usage.ru_stime) * 1e9)


def _run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[int, int]:
    """Wall and CPU nanoseconds of one run; raises if the command fails."""
    cpu0 = _children_cpu_ns()
    t0 = time.perf_counter_ns()
    result = subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    wall = time.perf_counter_ns() - t0
    cpu = _children_cpu_ns() - cpu0
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {stderr}")
    return wall, cpu


def measure(
    *,
    runs: int = 15,
    warmup: int = 2,
    commands: Sequence[Command] = COMMANDS,
    program: tuple[str, ...] | None = None,
) -> StartupFigures:
    """Run every command ``runs`` times, taking turns, after ``warmup`` rounds."""
    if runs < 1 or PYTHON_PASS not in commands:
        raise ValueError("need runs >= 1 and python -c pass as the reference")
    eo_bot = program or eo_bot_program()
    wall: dict[Command, list[int]] = {c: [] for c in commands}
    cpu: dict[Command, list[int]] = {c: [] for c in commands}
    with tempfile.TemporaryDirectory(prefix="eo-bench-startup-") as tmp:
        shared = _env(Path(tmp) / "cache")
        for round_ in range(warmup + runs):
            for command in commands:
                env = shared
                if command.fresh_cache:
                    env = _env(Path(tempfile.mkdtemp(dir=tmp, prefix="fresh-")))
                program_ = eo_bot if command.eo_bot else (sys.executable,)
                elapsed, used = _run_once([*program_, *command.args], env)
                if round_ >= warmup:
                    wall[command].append(elapsed)
                    cpu[command].append(used)
    return StartupFigures(
        eo_bot,
        tuple(
            Timing(
                c,
                len(wall[c]),
                int(statistics.median(wall[c])),
                min(wall[c]),
                max(wall[c]),
                int(statistics.median(cpu[c])),
            )
            for c in commands
        ),
    )


def _ms(ns: int) -> str:
    return f"{ns / _NS_PER_MS:,.1f}"


def format_report(machine: Machine, figures: StartupFigures) -> str:
    runs = figures.timings[0].runs
    lines = [
        "== bench startup ==",
        f"machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"eo-bot: {' '.join(figures.program)}",
        f"{runs} runs of each command, taking turns, after warm-up rounds",
        f"target: eo-bot ask 524 within {TARGET_RATIO:g}x of python -c pass (median wall time)",
        "",
        f"{'':<42}{'wall, ms':^34}{'cpu, ms':^18}",
        f"{'command':<42}{'median':>8}{'min':>8}{'max':>8}{'x pass':>10}"
        f"{'median':>8}{'x pass':>10}",
    ]
    for t in figures.timings:
        lines.append(
            f"{t.command.label:<42}{_ms(t.wall_median_ns):>8}{_ms(t.wall_min_ns):>8}"
            f"{_ms(t.wall_max_ns):>8}{figures.ratio(t.command):>9.2f}x"
            f"{_ms(t.cpu_median_ns):>8}{figures.ratio(t.command, cpu=True):>9.2f}x"
        )
    if any(t.command == ASK for t in figures.timings):
        wall, cpu = figures.ratio(ASK), figures.ratio(ASK, cpu=True)
        verdict = "met" if wall <= TARGET_RATIO else "NOT met"
        lines += [
            "",
            f"eo-bot ask 524 / python -c pass: {wall:.2f}x wall, {cpu:.2f}x cpu "
            f"(target {TARGET_RATIO:g}x) -> {verdict}",
        ]
    return "\n".join(lines)


def main() -> None:
    print(format_report(Machine.current(), measure()))


if __name__ == "__main__":
    main()
