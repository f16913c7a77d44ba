"""Purging EdgeOne's cache from the thread, guarded three ways.

1. Off unless the deployment turns it on (``EO_ALLOW_PURGE``).
2. Only for the Slack users and user groups it lists (``EO_PURGE_USERS`` / ``EO_PURGE_GROUPS``):
   :func:`may_purge`, pure, asked when the command comes in and again at confirmation.
3. Only after a confirmation: :func:`plan_purge` resolves the zone and returns a
   :class:`PurgePlan` whose ``value`` a confirmation button carries (and :meth:`PurgePlan.read`
   checks when it comes back); :func:`run_purge` then calls CreatePurgeTask and polls
   DescribePurgeTasks until the job is done, failed, or the wait is over.

Only a URL (``purge_url``) or a whole host (``purge_host``) can be purged; a zone-wide purge is not
offered from chat.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.edgeone.client import EdgeOneClient
from bot.edgeone.errors import EdgeOneError, Problem
from bot.edgeone.settings import PurgeSettings
from bot.edgeone.zones import ZoneMap, normalise_host
from bot.i18n.catalogue import N_
from bot.i18n.language import Language, language_of
from bot.i18n.phrase import Phrase, PhraseError, phrase

PurgeKind = Literal["purge_url", "purge_host"]
PurgeState = Literal["done", "failed", "running", "error"]
MAX_URL = 2048
PLAN_VERSION = 1
POLL_INTERVAL = 2.0
POLL_TIMEOUT = 120.0
_FINISHED_BAD = frozenset({"failed", "timeout", "canceled"})


@dataclass(frozen=True, slots=True)
class PurgeTarget:
    kind: PurgeKind
    target: str  # the URL, or the host name
    host: str


@dataclass(frozen=True, slots=True)
class PurgeDecision:
    allowed: bool
    reason: Phrase | None = None  # why not, said in the reader's language


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """A purge waiting for its confirmation; ``value`` is what the confirm button carries."""

    target: PurgeTarget
    zone_id: str
    zone_name: str
    requested_by: str
    language: Language = "en"  # of the conversation: the confirmation and result speak it

    @property
    def summary(self) -> Phrase:
        question = (
            N_("Purge every cached object of {target} from EdgeOne's cache (zone {zone})?")
            if self.target.kind == "purge_host"
            else N_("Purge the cached {target} from EdgeOne's cache (zone {zone})?")
        )
        return phrase(question, target=self.target.target, zone=self.zone_name or self.zone_id)

    @property
    def value(self) -> str:
        """The plan as a button carries it; the language only when it is not English, so
        buttons from before languages read back as English."""
        data: dict[str, object] = {
            "v": PLAN_VERSION,
            "k": self.target.kind,
            "t": self.target.target,
            "z": self.zone_id,
            "n": self.zone_name,
            "u": self.requested_by,
        }
        if self.language != "en":
            data["l"] = self.language
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def read(cls, value: str) -> PurgePlan:
        """The plan a button carried back; a ValueError (``PhraseError``) when it does not read
        back as one."""
        try:
            data = json.loads(value)
            if data["v"] != PLAN_VERSION:
                raise ValueError("an older bot made this button")
            target = parse_purge_target(str(data["t"]))
            if target.kind != data["k"]:
                raise ValueError("the target does not match its kind")
            language = language_of(data.get("l", "en"))
            if language is None:
                raise ValueError("unknown language")
            return cls(target, str(data["z"]), str(data["n"]), str(data["u"]), language)
        except (ValueError, KeyError, TypeError):
            raise PhraseError(
                phrase(N_("this purge button does not read back; ask for the purge again"))
            ) from None


@dataclass(frozen=True, slots=True)
class PurgeResult:
    plan: PurgePlan
    state: PurgeState
    job_id: str | None = None
    failed: tuple[tuple[str, str | Phrase], ...] = ()  # (target, the API's reason or ours)
    waited_s: float = 0.0
    problem: Problem | None = None  # when the API did not take or report the job


def parse_purge_target(raw: str) -> PurgeTarget:
    """``https://host/path`` purges that URL, ``host`` the whole host. A ValueError
    (``PhraseError``) says what is wrong with anything else."""
    text = raw.strip().strip("<>")
    if not text:
        raise _refused(N_("give a URL (https://shop.example.com/app.js) or a host to purge"))
    if len(text) > MAX_URL or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise _refused(N_("the URL is too long or holds spaces or invisible characters"))
    if text in ("*", "all") or text.startswith("*"):
        raise _refused(N_("purging a whole zone or a wildcard is not offered from chat"))
    if "://" not in text:
        return PurgeTarget("purge_host", normalise_host(text), normalise_host(text))
    try:
        parts = urllib.parse.urlsplit(text)
        hostname = parts.hostname
    except ValueError:  # a malformed IPv6 literal, a bad port
        raise _refused(N_("that URL cannot be read; check its host and port")) from None
    if parts.scheme not in ("http", "https"):
        raise _refused(N_("only http and https URLs can be purged"))
    if parts.username is not None or parts.password is not None:
        raise _refused(N_("remove the user name and password from the URL"))
    host = normalise_host(hostname or "")
    return PurgeTarget("purge_url", text, host)


def may_purge(settings: PurgeSettings, *, user: str, groups: Iterable[str] = ()) -> PurgeDecision:
    """Whether ``user`` (a Slack user ID, member of ``groups``) may purge."""
    if not settings.allowed:
        return PurgeDecision(
            False,
            phrase(
                N_("purging is turned off here (the deployment sets EO_ALLOW_PURGE to allow it)")
            ),
        )
    if user in settings.users or settings.groups & set(groups):
        return PurgeDecision(True)
    return PurgeDecision(
        False,
        phrase(
            N_("you are not among the people this deployment lets purge (EO_PURGE_USERS/GROUPS)")
        ),
    )


async def plan_purge(
    zones: ZoneMap, target: PurgeTarget, *, user: str, language: Language = "en"
) -> PurgePlan:
    """The plan to confirm: the zone that serves the target's host. Raises EdgeOneError."""
    match = await zones.lookup(target.host)
    return PurgePlan(target, match.zone.zone_id, match.zone.name, user, language)


async def run_purge(
    client: EdgeOneClient,
    plan: PurgePlan,
    *,
    interval: float = POLL_INTERVAL,
    wait_at_most: float = POLL_TIMEOUT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> PurgeResult:
    """CreatePurgeTask, then DescribePurgeTasks every ``interval`` until the job ends or
    ``wait_at_most`` seconds pass. Never raises for an API problem: it is in ``result.problem``."""
    started = clock()
    try:
        created = await client.create_purge_task(
            plan.zone_id,
            kind=plan.target.kind,
            targets=[plan.target.target],
            method="invalidate" if plan.target.kind == "purge_host" else None,
        )
    except EdgeOneError as exc:
        return PurgeResult(plan, "error", problem=exc.problem())
    refused: tuple[tuple[str, str | Phrase], ...] = tuple(
        (target, reason.Reason or phrase(N_("refused")))
        for reason in created.FailedList
        for target in (reason.Targets or (plan.target.target,))
    )
    if refused or not created.JobId:
        failed = refused or ((plan.target.target, phrase(N_("EdgeOne created no job"))),)
        return PurgeResult(plan, "failed", created.JobId, failed)
    job = created.JobId
    while True:
        try:
            tasks = await client.describe_purge_tasks(plan.zone_id, job_id=job)
        except EdgeOneError as exc:
            waited = clock() - started
            return PurgeResult(plan, "error", job, problem=exc.problem(), waited_s=waited)
        statuses = [(t.Status or "").lower() for t in tasks]
        if tasks and all(s == "success" for s in statuses):
            return PurgeResult(plan, "done", job, waited_s=clock() - started)
        bad = [t for t in tasks if (t.Status or "").lower() in _FINISHED_BAD]
        if bad and all(s in _FINISHED_BAD | {"success"} for s in statuses):
            failed = tuple(
                (
                    t.Target or plan.target.target,
                    t.FailMessage or t.FailType or phrase(N_("failed")),
                )
                for t in bad
            )
            return PurgeResult(plan, "failed", job, failed, waited_s=clock() - started)
        if clock() - started + interval > wait_at_most:
            return PurgeResult(plan, "running", job, waited_s=clock() - started)
        await sleep(interval)


def _refused(message: str) -> PhraseError:
    return PhraseError(phrase(message))
