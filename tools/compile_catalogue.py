"""Compile the Chinese catalogue (``.po`` → ``.mo``) for ``make messages``.

``pybabel compile`` also runs printf checks, and refuses sentences that only look printf-like
("4.1 % of requests" reads as ``% o``). The catalogue's sentences take their values with
``str.format`` only, and tests/test_catalogue.py checks those placeholders; so this writes the
``.mo`` with Babel's own writer and reports what ``compile --statistics`` would.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def main(po: str) -> int:
    path = Path(po)
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    done = sum(1 for m in messages if m.string and not m.fuzzy)
    with path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)
    print(
        f"{done} of {len(messages)} messages translated in {path}; wrote {path.with_suffix('.mo')}"
    )
    return 0 if done == len(messages) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
