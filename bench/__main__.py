"""Run the benchmarks: ``python -m bench`` runs them all, ``python -m bench ask`` runs one.

Each benchmark is a module of this package exposing ``main() -> None`` that measures and prints;
add it to ``BENCHES`` below. Benchmarks print figures, they never fail on timing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench import alerts, ask, edgeone, probe, regions, slack, startup

BENCHES: dict[str, Callable[[], None]] = {
    "ask": ask.main,
    "startup": startup.main,
    "probe": probe.main,
    "slack": slack.main,
    "alerts": alerts.main,
    "edgeone": edgeone.main,
    "regions": regions.main,
}


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    if any(n in ("-h", "--help") for n in names):
        print(f"usage: python -m bench [{' | '.join(BENCHES)}] ...  (no name: run them all)")
        return 0
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHES)}",
            file=sys.stderr,
        )
        return 2
    for i, name in enumerate(names or BENCHES):
        if i:
            print()
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
