"""Real servers on loopback (127.0.0.1 / ::1 only) that reproduce each failure the probe classifies.

Each server runs in a background daemon thread, is a context manager, binds an ephemeral port by
default and exposes ``host``, ``port`` and ``hits``. See each module for details.
"""

from ._http1 import RecordedRequest, Response, redirect_to
from ._loop import wait_until
from .certs import EVIL_MENTION, HostileCertKind, HostileCerts
from .dns import DNSQuery, DNSServer, LongChain, Records, SilentUDPServer, ZoneValue, cname
from .edge import LOOP_LIMIT, EdgeOutcome, FakeEdge, OriginSpec
from .http import HTTPServer, RouteSpec
from .tcp import (
    CanaryServer,
    CloseAfterRequestServer,
    FullBacklogServer,
    RawResponseServer,
    ResetAfterRequestServer,
    SilentServer,
    closed_port,
)
from .tls import DEFAULT_NAMES, PlainOnTLSPortServer, ServerCertKind, TLSCloseServer, TLSFixtures

__all__ = [
    "DEFAULT_NAMES",
    "EVIL_MENTION",
    "LOOP_LIMIT",
    "CanaryServer",
    "CloseAfterRequestServer",
    "DNSQuery",
    "DNSServer",
    "EdgeOutcome",
    "FakeEdge",
    "FullBacklogServer",
    "HTTPServer",
    "HostileCertKind",
    "HostileCerts",
    "LongChain",
    "OriginSpec",
    "PlainOnTLSPortServer",
    "RawResponseServer",
    "RecordedRequest",
    "Records",
    "ResetAfterRequestServer",
    "Response",
    "RouteSpec",
    "ServerCertKind",
    "SilentServer",
    "SilentUDPServer",
    "TLSCloseServer",
    "TLSFixtures",
    "ZoneValue",
    "closed_port",
    "cname",
    "redirect_to",
    "wait_until",
]
