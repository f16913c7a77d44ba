"""Keep the garbage collector off the objects a server builds once and keeps.

The knowledge base, the matcher's index, the catalogue and the libraries make up most of a
replica's heap and live as long as the process. CPython's full (generation 2) collection walks
every tracked object each time it runs, which on this heap pauses the event loop for tens of
milliseconds, and those pauses land in the acknowledgement's tail latency. ``settle`` collects
once and moves what survives to the permanent generation (``gc.freeze``): later collections only
walk what requests allocate.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once start-up has built everything long-lived, before requests arrive."""
    gc.collect()
    gc.freeze()
