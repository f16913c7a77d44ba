"""The messages between the bot and its regional agents: jobs, results, heartbeats.

Every message is JSON, versioned (``v``) and validated by a strict pydantic model that forbids
unknown keys, caps every string and the message's total size, so a malformed or oversized message
is refused with a reason instead of half-read. What the messages carry:

* **Job** (caller -> agents of one region): a job id, the URL, the origin to compare with, the
  HTTP method and when it expires. Nothing else: no address allowances, ports, resolvers or
  timeouts. An agent probes with its own safety policy from its own environment, so a job cannot
  relax it; a job with any other key is refused as malformed.
* **Result** (agent -> caller): the job id, the agent's facts (region, agent id, version, host) and
  either the :class:`~bot.probe.models.ProbeReport` (``kind="report"``), the agent's refusal
  (``"refused"``, its policy said no) or a failure (``"failed"``).
* **Heartbeat** (agent -> the heartbeat bucket): the agent's facts, its state and interval.

Results and heartbeats travel signed (:class:`Signed`): ``body`` is the model's JSON text and
``sig`` the Ed25519 signature of ``kind`` + newline + ``body`` by ``key``, the agent's public key;
the kind in the signed bytes keeps a heartbeat from being replayed as a result. Which keys may
speak for which region is the caller's business (see :mod:`bot.agents.keys`).

The ProbeReport dataclasses travel as themselves: pydantic validates them field by field
(``Literal`` statuses, numbers, ISO 8601 datetimes with their offset), so what the caller gets back
compares equal to what the agent measured, up to the string caps an agent applies before sending
(:func:`fit_report`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import platform
import socket
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot import __version__
from bot.agents.keys import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SigningKey, verify
from bot.probe.models import ProbeReport

PROTOCOL_VERSION: Literal[1] = 1
MAX_JOB_BYTES = 4 * 1024
MAX_RESULT_BYTES = 64 * 1024
MAX_HEARTBEAT_BYTES = 4 * 1024
MAX_TEXT = 2048  # any single string inside a message
MAX_REASON = 1000
MAX_ITEMS = 100  # any list or mapping inside a report, as an agent sends it
CUT_MARK = "… (cut)"

Method = Literal["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
SignedKind = Literal["result", "heartbeat"]
ResultKind = Literal["report", "refused", "failed"]

JobId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")]
AgentId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Short = Annotated[str, StringConstraints(max_length=255)]

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, str_max_length=MAX_TEXT)


class ProtocolError(ValueError):
    """A message that is not what the protocol allows; ``str(exc)`` says what was wrong."""


class Job(BaseModel):
    """One probe for the agents of one region. No policy fields, by design."""

    model_config = _STRICT

    v: Literal[1] = PROTOCOL_VERSION
    id: JobId
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    origin: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    method: Method = "GET"
    issued_at: AwareDatetime
    expires_at: AwareDatetime


class AgentFacts(BaseModel):
    """Who answered: region, agent id, version and a few facts about its host."""

    model_config = _STRICT

    region: Region
    agent_id: AgentId
    version: Annotated[str, StringConstraints(max_length=40)]
    hostname: Short
    system: Short  # "Linux 6.1.0"
    python: Annotated[str, StringConstraints(max_length=40)]
    pid: Annotated[int, Field(ge=0)]
    concurrency: Annotated[int, Field(ge=1, le=1024)]

    @classmethod
    def here(cls, *, region: str, agent_id: str, concurrency: int, pid: int) -> AgentFacts:
        return cls(
            region=region,
            agent_id=agent_id,
            version=__version__,
            hostname=socket.gethostname()[:255],
            system=f"{platform.system()} {platform.release()}".strip()[:255],
            python=platform.python_version(),
            pid=pid,
            concurrency=concurrency,
        )


class Result(BaseModel):
    """What an agent found for one job."""

    model_config = _STRICT

    v: Literal[1] = PROTOCOL_VERSION
    job_id: JobId
    agent: AgentFacts
    kind: ResultKind
    report: ProbeReport | None = None
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] | None = None
    finished_at: AwareDatetime

    @model_validator(mode="after")
    def _report_or_reason(self) -> Result:
        if (self.kind == "report") != (self.report is not None):
            raise ValueError("a report comes with kind 'report' and only then")
        if (self.kind != "report") != bool(self.reason):
            raise ValueError("a refusal or failure comes with a reason, a report without one")
        return self


class Heartbeat(BaseModel):
    """An agent announcing itself in the heartbeat bucket."""

    model_config = _STRICT

    v: Literal[1] = PROTOCOL_VERSION
    agent: AgentFacts
    state: Literal["ready", "draining"]
    interval_s: Annotated[float, Field(gt=0, le=60)]
    sent_at: AwareDatetime


class Signed(BaseModel):
    """The envelope of a result or heartbeat: ``body`` signed by ``key``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: Literal[1] = PROTOCOL_VERSION
    kind: SignedKind
    key: Annotated[str, StringConstraints(min_length=44, max_length=44)]
    sig: Annotated[str, StringConstraints(min_length=88, max_length=88)]
    body: Annotated[str, StringConstraints(max_length=MAX_RESULT_BYTES)]

    @property
    def public_key(self) -> bytes:
        return _b64(self.key, PUBLIC_KEY_BYTES, "key")

    def signed_by(self, public: bytes) -> bool:
        """True when ``public`` is the key named in the envelope and its signature holds."""
        if self.public_key != public:
            return False
        return verify(public, _b64(self.sig, SIGNATURE_BYTES, "sig"), _signed_bytes(self))


_M = TypeVar("_M", bound=BaseModel)


# -- encoding --------------------------------------------------------------------------------


def encode_job(job: Job) -> bytes:
    data = job.model_dump_json().encode()
    if len(data) > MAX_JOB_BYTES:  # the URL and origin caps keep a real job far below this
        raise ProtocolError(f"the job is {len(data)} bytes, more than {MAX_JOB_BYTES}")
    return data


def encode_signed(
    kind: SignedKind, model: BaseModel, key: SigningKey, *, limit: int = MAX_RESULT_BYTES
) -> bytes:
    """``model`` as a signed envelope; ProtocolError when it would be larger than ``limit``."""
    body = model.model_dump_json()
    if len(body) > limit:
        raise ProtocolError(f"the {kind} is {_size(len(body))}, more than {_size(limit)}")
    sig = key.sign(kind.encode() + b"\n" + body.encode())
    envelope = Signed(
        kind=kind, key=key.public_text, sig=base64.b64encode(sig).decode("ascii"), body=body
    )
    data = envelope.model_dump_json().encode()
    if len(data) > limit:  # JSON escaping of the body can grow it
        raise ProtocolError(f"the {kind} is {_size(len(data))}, more than {_size(limit)}")
    return data


# -- decoding --------------------------------------------------------------------------------


def decode_job(data: bytes) -> Job:
    return _decode(Job, data, MAX_JOB_BYTES, "job")


def open_envelope(data: bytes, kind: SignedKind, *, limit: int = MAX_RESULT_BYTES) -> Signed:
    """The envelope, size and shape checked, signature NOT checked yet (see Signed.signed_by)."""
    envelope = _decode(Signed, data, limit, kind)
    if envelope.kind != kind:
        raise ProtocolError(f"expected a {kind}, got a {envelope.kind}")
    return envelope


def decode_result(envelope: Signed) -> Result:
    return _decode(Result, envelope.body.encode(), MAX_RESULT_BYTES, "result")


def decode_heartbeat(envelope: Signed) -> Heartbeat:
    return _decode(Heartbeat, envelope.body.encode(), MAX_HEARTBEAT_BYTES, "heartbeat")


def _decode(model: type[_M], data: bytes, limit: int, what: str) -> _M:
    if len(data) > limit:
        raise ProtocolError(
            f"the {what} is {_size(len(data))}, more than the {_size(limit)} allowed"
        )
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise ProtocolError(f"the {what} is malformed: {_errors(exc)}") from None


def _errors(exc: ValidationError) -> str:
    """The first problems as 'where: what' (pydantic's messages, never the offending input)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "message"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} bytes"


def _b64(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"the envelope's {what} is not base64") from None
    if len(raw) != size:
        raise ProtocolError(f"the envelope's {what} is not {size} bytes")
    return raw


def _signed_bytes(envelope: Signed) -> bytes:
    return envelope.kind.encode() + b"\n" + envelope.body.encode()


# -- fitting a report into a result ------------------------------------------------------------


def fit_report(report: ProbeReport, *, text: int = MAX_TEXT, items: int = MAX_ITEMS) -> ProbeReport:
    """``report`` with every string cut to ``text`` characters and every list or mapping to
    ``items`` entries, visibly ("… (cut)", "… (N more)"), so an agent never sends what the caller
    would refuse. Values are otherwise untouched."""
    fitted: ProbeReport = _fit(report, text, items)
    return fitted


def _fit(value: Any, text: int, items: int) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _fit(getattr(value, f.name), text, items) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, str):
        return value if len(value) <= text else value[: text - len(CUT_MARK)] + CUT_MARK
    if isinstance(value, tuple):
        kept = tuple(_fit(v, text, items) for v in value[:items])
        if len(value) > items and all(isinstance(v, str) for v in value):
            kept = (*kept[:-1], f"… ({len(value) - items + 1} more)")
        return kept
    if isinstance(value, dict):
        return {_fit(k, text, items): _fit(v, text, items) for k, v in list(value.items())[:items]}
    return value
