"""EdgeOne's own view in the conversation (optional: it needs Tencent Cloud API credentials).

Two jobs, both no-ops without credentials (``Services.edgeone`` is None):

- **After a probe.** Once a probe's diagnosis is posted (the first answer never waits for the
  API), :func:`add_view` asks EdgeOne about the host when it looks like EdgeOne's (its answer or
  DNS carries EdgeOne's marks) or a zone of the account holds it: the view, the configured origin
  compared and the diagnosis made again with EdgeOne's facts (``bot.edgeone.revise``). The
  revised diagnosis replaces the posted one with the view beneath it, or, when both would not fit
  in one message, the view follows in the thread.
- **Commands.** ``zone HOST``, ``logs EO-LOG-UUID [HOST]`` and ``purge URL|HOST``; the purge only
  for people the deployment lists, and only once they press the confirmation button
  (:func:`confirm_purge`), with the result told in the thread.

API problems are facts of the view, worded (``bot.edgeone.errors``); anything unexpected is logged
and told in the thread in a sentence, never raised at the person. Everything is said in the
language of the turn (a command) or of the probe (the view); a purge's buttons carry it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cachetools import TTLCache

from bot.chat.edgeone_replies import (
    EdgeOneAddendum,
    EdgeOneCommand,
    EdgeOneOff,
    LogsReply,
    PurgeConfirm,
    PurgeReport,
    ViewReply,
    ZoneCard,
)
from bot.chat.replies import Notice, ProbeOutcome, ProbeSummary, Reply
from bot.chat.surface import CannotPost, Surface, Turn
from bot.edgeone.compare import OriginProber, origin_prober
from bot.edgeone.errors import EdgeOneError
from bot.edgeone.purge import (
    POLL_INTERVAL,
    POLL_TIMEOUT,
    PurgePlan,
    may_purge,
    parse_purge_target,
    plan_purge,
    run_purge,
)
from bot.edgeone.revise import concerns, revise
from bot.edgeone.settings import EdgeOneSettings
from bot.edgeone.view import EdgeOne
from bot.edgeone.zones import host_of
from bot.i18n.catalogue import texts
from bot.i18n.language import Language, detect
from bot.i18n.phrase import Phrase, reason_of
from bot.intent import Logs, Purge, Zone
from bot.probe.runner import ProbeSettings
from bot.untrusted import visible

if TYPE_CHECKING:
    from bot.chat.services import Services
    from bot.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

# (user) → the user groups, among those allowed to purge, that the user belongs to (Slack).
GroupLookup = Callable[[str], Awaitable[frozenset[str]]]
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value


@dataclass(slots=True)
class EdgeOneChat:
    """What the conversation needs to ask EdgeOne: the view, a prober for the configured
    origin, and (on Slack) who is in which user group."""

    edge: EdgeOne
    probe_origin: OriginProber
    groups_of: GroupLookup | None = None
    purge_interval: float = POLL_INTERVAL
    purge_wait: float = POLL_TIMEOUT
    # Purge buttons already pressed (their plan's value): one confirmation, one purge.
    confirmed: TTLCache[str, str] = field(default_factory=lambda: TTLCache(256, 3600.0))

    @classmethod
    def build(
        cls,
        settings: EdgeOneSettings,
        probe_settings: ProbeSettings,
        *,
        groups_of: GroupLookup | None = None,
    ) -> EdgeOneChat:
        """The real thing: the API client, and the probe's own settings for the origin."""
        return cls(EdgeOne(settings), origin_prober(probe_settings), groups_of=groups_of)

    @property
    def settings(self) -> EdgeOneSettings:
        return self.edge.settings

    async def warm(self) -> None:
        """Read the zones now (start-up, in the background); a failure is one log line and the
        first view asks again."""
        try:
            await self.edge.warm()
        except EdgeOneError as exc:
            log.warning("EdgeOne API at start-up: %s", exc)  # worded; never holds a secret

    async def aclose(self) -> None:
        await self.edge.aclose()

    # -- the view of a probe ---------------------------------------------------------------------

    async def revise(self, kb: KnowledgeBase, outcome: ProbeOutcome) -> ProbeOutcome | None:
        """``outcome`` with EdgeOne's view and the diagnosis made again with its facts; None when
        the host is not EdgeOne's business. Never raises for an API problem."""
        if not await concerns(self.edge, outcome.report.edge):
            return None
        revision = await revise(
            self.edge,
            self.probe_origin,
            kb,
            outcome.report,
            stated_code=outcome.request.code,
            language=outcome.diagnosis.language,
        )
        diagnosis = revision.diagnosis
        entry = kb.get(diagnosis.kb_id) if diagnosis.kb_id else None
        return replace(
            outcome,
            report=revision.report,
            diagnosis=diagnosis,
            entry=entry or outcome.entry,
            edgeone=EdgeOneAddendum(view=revision.view, before=outcome.diagnosis),
        )

    # -- purge guard -----------------------------------------------------------------------------

    async def groups(self, user: str) -> frozenset[str]:
        """The allowed user groups ``user`` is in; none when unknown (nothing is assumed)."""
        if self.groups_of is None or not self.settings.purge.groups:
            return frozenset()
        try:
            async with asyncio.timeout(self.settings.budget):
                return await self.groups_of(user)
        except Exception:
            log.warning("could not read the user groups of %s", user, exc_info=True)
            return frozenset()


async def add_view(
    services: Services,
    surface: Surface,
    outcome: ProbeOutcome,
    *,
    channel: str,
    ref: str,
    thread: str | None,
    summary: str | None = None,
    user: str | None = None,
) -> ProbeOutcome | None:
    """Add EdgeOne's view to the diagnosis posted as ``ref`` (and the one-line ``summary`` in
    the channel when the verdict changed). Returns the outcome as now shown, or None when there
    is no view. Never raises but for a cancel: a failure is logged and told in ``thread``."""
    link = services.edgeone
    if link is None:
        return None
    language = outcome.language
    try:
        revised = await link.revise(services.kb, outcome)
        if revised is None or revised.edgeone is None:
            return None
        fits: Callable[[Reply], bool] | None = getattr(surface, "fits", None)
        if fits is None or fits(revised):
            await surface.update(channel, ref, revised)
        else:
            await surface.update(channel, ref, replace(revised, edgeone=None))
            view = ViewReply(
                outcome.request.url, revised.diagnosis, revised.edgeone, language=language
            )
            await surface.post(channel, view, thread=thread)
        before, after = outcome.diagnosis, revised.diagnosis
        if summary is not None and (before.code, before.fault) != (after.code, after.fault):
            summary_reply = ProbeSummary(outcome.request.url, after, user, language=language)
            await surface.update(channel, summary, summary_reply)
        return revised
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("adding EdgeOne's view of %s failed", outcome.request.url)
        _ = texts(language)
        note = Notice(
            _(
                "I could not add EdgeOne's view of {url}; the error has been logged. The "
                "diagnosis above stands on the probe alone."
            ).format(url=outcome.request.url),
            emoji="⚠️",
            language=language,
        )
        try:
            await surface.post(channel, note, thread=thread)
        except Exception:
            log.warning("could not tell the thread", exc_info=True)
        return None


# -- commands --------------------------------------------------------------------------------------


async def handle(
    services: Services,
    surface: Surface,
    turn: Turn,
    intent: Zone | Logs | Purge,
    language: Language = "en",
) -> None:
    """``zone``, ``logs`` and ``purge``: answered in words, in ``language``, whatever happens."""
    link = services.edgeone
    public = turn.private_to is not None and services.visibility == "in_channel"
    if link is None:
        command: EdgeOneCommand = (
            "zone" if isinstance(intent, Zone) else "logs" if isinstance(intent, Logs) else "purge"
        )
        await surface.reply(turn, EdgeOneOff(command, language=language))
        return
    try:
        if isinstance(intent, Zone):
            await _zone(link, surface, turn, intent, public=public, language=language)
        elif isinstance(intent, Logs):
            await _logs(link, surface, turn, intent, public=public, language=language)
        else:
            await _purge(link, surface, turn, intent, language)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("EdgeOne command %r failed", turn.text[:200])
        _ = texts(language)
        failed = _("Asking EdgeOne failed in a way I did not expect; it has been logged.")
        await surface.reply(turn, Notice(failed, "⚠️", language=language))


async def _zone(
    link: EdgeOneChat,
    surface: Surface,
    turn: Turn,
    intent: Zone,
    *,
    public: bool,
    language: Language,
) -> None:
    _ = texts(language)
    try:
        host = host_of(intent.host)
    except ValueError as exc:
        why = _("I can't show a zone card for that: {reason}.").format(
            reason=reason_of(exc, language)
        )
        await surface.reply(turn, Notice(why, language=language))
        return
    card = ZoneCard(await link.edge.zone_card(host), language=language)
    await surface.reply(turn, card, public=public)


async def _logs(
    link: EdgeOneChat,
    surface: Surface,
    turn: Turn,
    intent: Logs,
    *,
    public: bool,
    language: Language,
) -> None:
    _ = texts(language)
    try:
        host = host_of(intent.host) if intent.host else None
        answer = await link.edge.logs(intent.request_id, host=host)
    except ValueError as exc:
        why = _("I can't look that up: {reason}.").format(reason=reason_of(exc, language))
        await surface.reply(turn, Notice(why, language=language))
        return
    request_id = intent.request_id.strip("`'\"")
    await surface.reply(turn, LogsReply(request_id, answer, language=language), public=public)


async def _purge(
    link: EdgeOneChat, surface: Surface, turn: Turn, intent: Purge, language: Language
) -> None:
    _ = texts(language)
    decision = may_purge(link.settings.purge, user=turn.user, groups=await link.groups(turn.user))
    if not decision.allowed:
        await surface.reply(turn, _wont(decision.reason, language))
        return
    try:
        target = parse_purge_target(intent.target)
    except ValueError as exc:
        why = _("I can't purge that: {reason}.").format(reason=reason_of(exc, language))
        await surface.reply(turn, Notice(why, language=language))
        return
    try:
        async with asyncio.timeout(link.settings.budget):
            plan = await plan_purge(link.edge.zones, target, user=turn.user, language=language)
    except EdgeOneError as exc:
        # The reason may name zones as the API spells them.
        why = _("I can't purge {target}: {reason}.").format(
            target=_shown(target.target), reason=_shown(exc.message.say(language))
        )
        await surface.reply(turn, Notice(why, "⚠️", language=language))
        return
    except TimeoutError:
        late = _(
            "EdgeOne did not say which zone serves {host} within {seconds:g} s; try again in a "
            "moment."
        ).format(host=target.host, seconds=link.settings.budget)
        await surface.reply(turn, Notice(late, emoji="⚠️", language=language))
        return
    if len(plan.value) > MAX_BUTTON_VALUE:
        too_long = _("That URL is too long to carry on a confirmation button; purge its host.")
        await surface.reply(turn, Notice(too_long, language=language))
        return
    await surface.reply(turn, PurgeConfirm(plan, language=language))


def purge_language(services: Services, value: str) -> Language:
    """The language of the purge a button carries; the deployment's (else English) when the
    button does not read back."""
    try:
        return PurgePlan.read(value).language
    except ValueError:
        return services.language_for("")


async def confirm_purge(services: Services, surface: Surface, turn: Turn, value: str) -> bool:
    """The confirmation button: the guard asked again, for the person who pressed it; the purge
    then runs in the background and its result is told in the thread (or under a new message in
    the channel), in the language the purge was asked in. True when the purge started."""
    link = services.edgeone
    language = purge_language(services, value)
    _ = texts(language)
    if link is None:
        await surface.reply(turn, EdgeOneOff("purge", language=language))
        return False
    try:
        plan = PurgePlan.read(value)
    except ValueError as exc:
        await surface.reply(turn, Notice(_sentence(reason_of(exc, language)), language=language))
        return False
    if turn.user != plan.requested_by:
        only = _("Only <@{user}>, who asked for this purge, can confirm it.").format(
            user=plan.requested_by
        )
        await surface.reply(turn, Notice(only, "🚫", language=language))
        return False
    decision = may_purge(link.settings.purge, user=turn.user, groups=await link.groups(turn.user))
    if not decision.allowed:
        await surface.reply(turn, _wont(decision.reason, language))
        return False
    if value in link.confirmed:
        await surface.reply(turn, Notice(_("This purge was confirmed already."), language=language))
        return False
    link.confirmed[value] = turn.user
    zone = _shown(plan.zone_name or plan.zone_id)
    what = _shown(plan.target.target)
    start = Notice(
        _("Purging {target} from EdgeOne's cache (zone {zone}), confirmed by <@{user}>…").format(
            target=what, zone=zone, user=turn.user
        ),
        emoji="🧹",
        language=language,
    )
    try:
        ref = await surface.post(turn.channel, start, thread=turn.thread)
    except CannotPost:
        link.confirmed.pop(value, None)
        invite = _("I can't post in this channel. Invite me with `/invite @eo` and confirm again.")
        await surface.reply(turn, Notice(invite, language=language))
        return False

    async def purge() -> None:
        result = await run_purge(
            link.edge.client, plan, interval=link.purge_interval, wait_at_most=link.purge_wait
        )
        await surface.update(turn.channel, ref, PurgeReport(result, turn.user, language=language))

    async def failed(exc: BaseException) -> None:
        text = _("The purge of {target} failed unexpectedly; it has been logged.").format(
            target=what
        )
        await surface.update(turn.channel, ref, Notice(text, "⚠️", language=language))

    services.tasks.spawn(
        purge(), name=f"purge {plan.target.target} for {turn.user}", on_error=failed
    )
    return True


async def cancel_purge(services: Services, surface: Surface, turn: Turn, value: str) -> bool:
    """The Cancel button: only the person who asked may cancel. True when cancelled."""
    language = purge_language(services, value)
    _ = texts(language)
    try:
        plan = PurgePlan.read(value)
    except ValueError as exc:
        await surface.reply(turn, Notice(_sentence(reason_of(exc, language)), language=language))
        return False
    if turn.user != plan.requested_by:
        only = _("Only <@{user}>, who asked for this purge, can cancel it.").format(
            user=plan.requested_by
        )
        await surface.reply(turn, Notice(only, language=language))
        return False
    return True


def _wont(reason: Phrase | None, language: Language) -> Notice:
    _ = texts(language)
    shown = reason.say(language) if reason is not None else ""
    return Notice(
        _("I won't purge that: {reason}.").format(reason=shown), emoji="🚫", language=language
    )


def _shown(text: str) -> str:
    """Text a person or the API wrote, on one line with nothing hidden (the renderer escapes it)."""
    return visible(text, keep_newlines=False)


def _sentence(text: str) -> str:
    """A reason as a sentence: a capital first, a full stop at the end (Chinese: 。)."""
    text = text[:1].upper() + text[1:]
    if text.endswith((".", "。")):
        return text
    return text + ("。" if detect(text) == "zh" else ".")
