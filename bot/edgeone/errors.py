"""What can go wrong when asking the EdgeOne API, each worded for the person reading the thread.

Every failure of a call becomes one of these, never an SDK or httpx exception::

    EdgeOneError                 the API did not answer the question; str(exc) says why
    ├── CredentialsRejected      AuthFailure.*: unknown key, bad signature, clock skew, old token
    ├── NotAuthorized            UnauthorizedOperation.*: the CAM policy lacks ``teo:<Action>``
    ├── NotInZones               ResourceNotFound.*, or the host is in none of the zones
    ├── RateLimited              RequestLimitExceeded*: the client backs off before calling again
    ├── ApiTimeout               no answer within the per-call timeout or the overall budget
    ├── Unreachable              no HTTP answer at all: connection, TLS, HTTP error status
    ├── MalformedAnswer          an answer that is not the API's JSON or not the expected shape
    └── ApiError                 any other error code the API returned (InvalidParameter, …)

Messages are phrases (``bot.i18n.phrase.Phrase``), worded in the reader's language when shown;
``str(exc)`` is the English, for logs. Messages never hold a secret: the SecretId shows as its
last four characters, and text the API sent back (``detail``) is cleaned of the credentials before
it is kept. ``problem()`` turns an error into plain data (:class:`Problem`) that results and
caches can hold without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n.phrase import Phrase

ProblemKind = Literal[
    "credentials",
    "not_authorized",
    "not_in_zones",
    "rate_limited",
    "timeout",
    "unreachable",
    "malformed",
    "api_error",
    "skipped",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one question got no answer; ``message`` is our own wording, said in the reader's
    language (``message.say(language)``)."""

    kind: ProblemKind
    message: Phrase
    action: str | None = None
    code: str | None = None  # the API's error code, when it sent one
    request_id: str | None = None  # quote it to Tencent Cloud support


class EdgeOneError(Exception):
    """The API did not answer. ``message`` is the worded reason (``str(exc)`` in English);
    ``detail`` is the API's own text (network text: escape it before showing), ``code`` its error
    code."""

    kind: ProblemKind = "api_error"

    def __init__(
        self,
        message: Phrase,
        *,
        action: str | None = None,
        code: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.action = action
        self.code = code
        self.detail = detail
        self.request_id = request_id

    def problem(self) -> Problem:
        return Problem(self.kind, self.message, self.action, self.code, self.request_id)


class CredentialsRejected(EdgeOneError):
    kind: ProblemKind = "credentials"


class NotAuthorized(EdgeOneError):
    kind: ProblemKind = "not_authorized"

    @property
    def cam_action(self) -> str:
        """The CAM action the policy must allow, e.g. ``teo:DescribeOriginACL``."""
        return f"teo:{self.action}" if self.action else "teo:*"


class NotInZones(EdgeOneError):
    kind: ProblemKind = "not_in_zones"


class RateLimited(EdgeOneError):
    kind: ProblemKind = "rate_limited"


class ApiTimeout(EdgeOneError):
    kind: ProblemKind = "timeout"


class Unreachable(EdgeOneError):
    kind: ProblemKind = "unreachable"


class MalformedAnswer(EdgeOneError):
    kind: ProblemKind = "malformed"


class ApiError(EdgeOneError):
    kind: ProblemKind = "api_error"


def not_asked(reason: Phrase) -> Problem:
    """A question that could not be put because an earlier answer was missing (no zone, …)."""
    return Problem("skipped", reason)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced: API messages are kept, never a credential in them."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
