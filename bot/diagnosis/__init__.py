"""Read a probe report as an EdgeOne status code, the side at fault and who produced the answer.

Evidence sources, each testable alone with typed inputs:

- ``probe``     what the probe saw of one target: EdgeOne markers, the first failed phase
- ``producer``  who produced the response (EdgeOne, Pages, the origin's server, another CDN)
- ``origin``    the origin hit directly, beside what the edge reported
- ``edgeone``   what EdgeOne's API says (typed facts; ``bot.edgeone`` fetches them)

``verdict`` (a package: ``no_answer``, ``answer``, ``producers``, ``pull``, ``stated``, ``api``)
is the one place that weighs them, names the code and the side at fault, and records which
evidence confirmed, refuted or sharpened it. ``knowledge`` reads the knowledge base (the
meaning of a code and its fixes live there, never here), ``support`` builds what support asks
for, ``say`` words everything in the language asked for.
"""

from bot.diagnosis.edgeone import (
    DomainState,
    EdgeOneFact,
    NodeAddress,
    OriginConfig,
    OriginProtection,
    PullTimeout,
    RequestRecord,
)
from bot.diagnosis.knowledge import MAX_KB_STEPS
from bot.diagnosis.model import (
    Diagnosis,
    Effect,
    Fault,
    Mark,
    Producer,
    ProducerKind,
    SupportBundle,
    Weighed,
)
from bot.diagnosis.origin import ORIGIN_TIMEOUT_MS
from bot.diagnosis.probe import has_edge_markers
from bot.diagnosis.producer import identify
from bot.diagnosis.say import MAX_QUOTED
from bot.diagnosis.support import iso_utc
from bot.diagnosis.verdict import diagnose

__all__ = [
    "MAX_KB_STEPS",
    "MAX_QUOTED",
    "ORIGIN_TIMEOUT_MS",
    "Diagnosis",
    "DomainState",
    "EdgeOneFact",
    "Effect",
    "Fault",
    "Mark",
    "NodeAddress",
    "OriginConfig",
    "OriginProtection",
    "Producer",
    "ProducerKind",
    "PullTimeout",
    "RequestRecord",
    "SupportBundle",
    "Weighed",
    "diagnose",
    "has_edge_markers",
    "identify",
    "iso_utc",
]
