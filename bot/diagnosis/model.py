"""The diagnosis as the rest of the bot reads it: typed results, no reasoning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n.language import Language
from bot.knowledge.models import Product

# The side at fault, the thing to act on:
#   origin    the origin server (or the customer's function code, which plays its part)
#   edge      EdgeOne's configuration or platform (a rule, a block, a missing domain, a loop)
#   network   the path between EdgeOne and the origin (firewalls, allow-lists, routing)
#   dns       the origin's (or the site's) DNS
#   client    the request itself (its method, size, range, credentials)
#   account   the account or plan: a quota or rate limit of the plan (Pages 511/512, Pages 429s),
#             to raise, wait out or pay for; not the client's doing
#   provider  another CDN or hosting platform answered itself (Cloudflare, CloudFront, Vercel...):
#             its own rules or state are what to check, not EdgeOne's
#   none      nothing: the answer is healthy
Fault = Literal["origin", "edge", "network", "dns", "client", "account", "provider", "none"]

ProducerKind = Literal["edgeone", "pages", "origin", "provider", "unknown"]
MarkKind = Literal["header", "body", "status", "dns"]
Effect = Literal["confirms", "refutes", "sharpens"]
Source = Literal["probe", "producer", "origin", "edgeone"]


@dataclass(frozen=True, slots=True)
class SupportBundle:
    """What EdgeOne support asks for when escalating a failing request."""

    eo_log_uuid: str | None  # EdgeOne's numeric request id; never another value of that header
    edge_ip: str | None  # only an address that answered as EdgeOne
    time_utc: str
    url: str
    status_code: int | None
    address: str | None = None  # the address probed, whoever answered there


@dataclass(frozen=True, slots=True)
class Mark:
    """One sign of who produced a response, as the server sent it.

    ``header``: ``name`` is the header (lower case), ``value`` its value. ``body``: ``name`` is the
    body mark the probe found (``bot.probe.marks``). ``status``: the status code, in ``value``.
    ``dns``: ``value`` is the EdgeOne CNAME target.
    """

    kind: MarkKind
    name: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Producer:
    """Who produced the response, and the marks that decided it.

    ``kind``: ``edgeone`` (an EdgeOne node's own answer), ``pages`` (the EdgeOne Pages platform),
    ``origin`` (the origin's server, whoever relayed it), ``provider`` (another CDN or platform's
    own answer) or ``unknown`` (no mark says). ``vendor`` is a stable id ("cloudflare", "nginx",
    "s3", ...; empty when unknown), ``name`` the name people know it by. ``via`` names the
    platforms the response passed through besides its producer (``EdgeOne`` when it carries
    EdgeOne's markers).
    """

    kind: ProducerKind
    vendor: str
    name: str
    marks: tuple[Mark, ...] = ()
    via: tuple[str, ...] = ()
    edgeone_marked: bool = False  # the response itself carries an EdgeOne marker


@dataclass(frozen=True, slots=True)
class Weighed:
    """What one piece of evidence did to the verdict, and why, in the diagnosis language."""

    source: Source
    effect: Effect
    reason: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: int | None  # the EdgeOne code this observation corresponds to
    product: Product | None
    kb_id: str | None  # knowledge entry id
    fault: Fault
    summary: str  # one or two sentences
    evidence: tuple[str, ...]
    next_steps: tuple[str, ...]
    support: SupportBundle
    stated_code: int | None = None  # the code the user said they saw
    reproduced: bool | None = None  # whether this probe saw it (None without a stated code)
    producer: Producer | None = None  # who produced the response (None: no response came back)
    weighed: tuple[Weighed, ...] = ()  # evidence that confirmed, refuted or sharpened the verdict
    language: Language = "en"  # the language of summary, evidence, next steps and reasons
