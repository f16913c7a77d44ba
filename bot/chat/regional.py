"""Probing from several regions in the conversation: `probe <url> from fra,sin` (or `from all`),
the buttons of a regional diagnosis, and `regions`.

``observe_regions`` runs the bot's own probe and the agents' at the same time and reads them
together: the bot's probe is the ``local`` row of the table, so a regional answer always holds a
diagnosis from here. It never raises for a region's trouble (no agent, a malformed result, NATS
unreachable): each becomes that region's row, and when NATS cannot be reached at all the answer
says so in one line and gives the local diagnosis. A regional probe costs what a probe costs:
one slot of the cap and one probe of the asker's rate budget, however many regions answer.

Without EO_NATS_URL (``Services.regional`` is None) a probe or a watch naming regions says so in
one line and runs from here, exactly as one that names none.

Everything is said in the request's language; what an agent or NATS said about a region (English,
network text) is quoted in other languages, as the probe's own reasons are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.agents.names import Regions
from bot.agents.outcomes import AgentsUnavailable, RegionalRun, RegionOutcome
from bot.agents.verdict import names, read_regions, region_states, regional_changes
from bot.chat.probing import ProbeRun, admit, cannot_post, observe, remember
from bot.chat.regional_replies import (
    LOCAL,
    AgentsReply,
    RegionalOutcome,
    RegionalProgress,
    RegionalShared,
    RegionalSummary,
)
from bot.chat.replies import Notice, ProbeOutcome, ProbeRequest, WatchInfo
from bot.chat.services import Services
from bot.chat.surface import CannotPost, Surface, Turn
from bot.chat.words import quote
from bot.diagnosis import Diagnosis
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.probe.models import ProbeReport
from bot.probe.safety import TargetRefused

log = logging.getLogger(__name__)

UNCONFIGURED = N_(
    "Regional probing is not set up on this bot (EO_NATS_URL is not set), so I probe from here "
    "only."
)
_NO_AGENT = ("no_agent", "untrusted")  # regions nobody could have answered for
# What a region's row says in another language than English; the agent's or NATS's own words
# follow, quoted.
_KIND_WORDS = {
    "refused": N_("refused by its own policy"),
    "failed": N_("the agent could not probe"),
    "no_agent": N_("no agent answered"),
    "malformed": N_("its result was rejected"),
    "unreachable": N_("NATS could not be reached"),
    "untrusted": N_("not a region this bot trusts"),
}


async def observe_regions(
    services: Services,
    request: ProbeRequest,
    *,
    previous: Mapping[str, str] | None = None,
    watch: WatchInfo | None = None,
) -> RegionalOutcome:
    """The bot's probe and the regions' at once, read together; compared with ``previous`` (the
    states of the last run) when given."""
    regional = services.regional
    if regional is None or request.regions is None:
        raise ValueError("a regional probe needs EO_NATS_URL and regions")
    regions = request.regions

    async def local() -> ProbeOutcome | str:
        try:
            return await observe(services, replace(request, regions=None), watch=watch)
        except TargetRefused as exc:
            return exc.reason

    async def remote() -> RegionalRun:
        try:
            return await regional.probe(
                request.url,
                origin=request.origin,
                regions=regions,
                deadline=services.regional_deadline,
            )
        except ValueError as exc:  # a request the agents cannot take (a URL over 2,048 ...)
            asked = regional.settings.regions if regions == "all" else regions
            outcomes = tuple(RegionOutcome(r, "failed", str(exc)) for r in asked)
            return RegionalRun("", request.url, request.origin, outcomes)

    async with asyncio.TaskGroup() as group:
        mine = group.create_task(local())
        theirs = group.create_task(remote())
    return read_outcome(
        services, request, mine.result(), theirs.result(), previous=previous, watch=watch
    )


def read_outcome(
    services: Services,
    request: ProbeRequest,
    local: ProbeOutcome | str,
    run: RegionalRun,
    *,
    previous: Mapping[str, str] | None = None,
    watch: WatchInfo | None = None,
) -> RegionalOutcome:
    """The regional answer from the bot's own outcome (or why it refused) and the agents' run."""
    language = request.language
    run = with_local(run, local.report if isinstance(local, ProbeOutcome) else local)
    seen: dict[str, tuple[ProbeReport, Diagnosis]] = {}
    for region, report in run.reports().items():
        if region == LOCAL and isinstance(local, ProbeOutcome):
            seen[region] = (report, local.diagnosis)
        else:
            seen[region] = (report, services.diagnoser(report, request.code, language))
    missing = {o.region: outcome_words(o, language) for o in run.outcomes if o.report is None}
    order = [o.region for o in run.outcomes]
    verdict = read_regions(seen, missing, order=order, language=language)
    return RegionalOutcome(
        request=request,
        verdict=verdict,
        local=local if isinstance(local, ProbeOutcome) else None,
        notes=run.notes,
        unreachable=unreachable(run),
        refused=refused_everywhere(run),
        change=regional_changes(previous, verdict) if previous is not None else None,
        watch=watch,
        states=region_states(verdict),
    )


def with_local(run: RegionalRun, local: ProbeReport | str) -> RegionalRun:
    """``run`` with the bot's own probe first, as region ``local`` (a refusal: its reason)."""
    if isinstance(local, ProbeReport):
        mine = RegionOutcome(LOCAL, "report", report=local)
    else:
        mine = RegionOutcome(LOCAL, "refused", f"refused by this bot's policy: {local}")
    return replace(run, outcomes=(mine, *(o for o in run.outcomes if o.region != LOCAL)))


def unreachable(run: RegionalRun) -> str | None:
    """The line to say when no region could answer because NATS could not be reached (or was
    lost while waiting); regions that have no agent anyway do not change that."""
    remote = [o for o in run.outcomes if o.region != LOCAL]
    lost = [o for o in remote if o.kind == "unreachable"]
    if lost and all(o.kind in _NO_AGENT or o.kind == "unreachable" for o in remote):
        return lost[0].text
    return None


def refused_everywhere(run: RegionalRun) -> bool:
    """The bot refused the URL, and so did every region with an agent (there is at least one)."""
    remote = [o for o in run.outcomes if o.region != LOCAL]
    return (
        not run.reports()
        and all(o.kind == "refused" for o in run.outcomes if o.region == LOCAL)
        and any(o.kind == "refused" for o in remote)
        and all(o.kind == "refused" or o.kind in _NO_AGENT for o in remote)
    )


def outcome_words(outcome: RegionOutcome, language: Language) -> str:
    """Why a region has no report: as the caller put it in English; otherwise translated, with
    the original (agent or NATS words) quoted."""
    if language == "en" or outcome.kind not in _KIND_WORDS:
        return outcome.text
    _ = texts(language)
    return _("{what} ({detail})").format(
        what=_(_KIND_WORDS[outcome.kind]), detail=quote(outcome.text, language)
    )


def regions_words(regions: Regions, language: Language) -> str:
    """ "every region" or "fra and sin"."""
    if regions == "all":
        _ = texts(language)
        return _("every region")
    return names(regions, language)


@dataclass(slots=True)
class RegionalProbeRun(ProbeRun):
    """A regional probe asked for in ``turn`` (the task running it owns its slot); posted like a
    probe: a progress message, then the answer in the thread."""

    states: Mapping[str, str] | None = None  # of the run whose "Probe again" asked for this one

    async def run(self) -> None:
        turn, request, language = self.turn, self.request, self.request.language
        assert request.regions is not None
        started = RegionalProgress(request.url, request.regions, turn.user or None, language)
        try:
            self.progress_ref = await self.surface.post(turn.channel, started, thread=turn.thread)
        except CannotPost:
            await self.surface.reply(turn, cannot_post(language))
            return
        self.reply_thread = turn.thread or self.progress_ref
        outcome = await observe_regions(self.services, request, previous=self.states)
        if outcome.local is not None:
            await remember(self.services, turn.user, outcome.local, turn.channel, self.reply_thread)
        if turn.thread is None:
            await self.surface.post(turn.channel, outcome, thread=self.progress_ref)
            summary = RegionalSummary(outcome, user=turn.user or None)
            await self.surface.update(turn.channel, self.progress_ref, summary)
        else:
            await self.surface.update(turn.channel, self.progress_ref, outcome)


class RegionalChat:
    """The conversation's regional side (``Conversation.regional``)."""

    def __init__(
        self, services: Services, surface: Surface, watching: Callable[[str], Awaitable[int]]
    ) -> None:
        self.services = services
        self.surface = surface
        self._watching = watching  # how many watches a user runs (they spend the same budget)

    async def configured(self, turn: Turn, request: ProbeRequest) -> ProbeRequest:
        """``request`` as it can run here: without NATS, its regions are dropped and the asker
        is told so in one line."""
        if request.regions is None or self.services.regional is not None:
            return request
        language = request.language
        await self.surface.reply(
            turn, Notice(texts(language)(UNCONFIGURED), emoji="ℹ️", language=language)
        )
        return replace(request, regions=None)

    async def probe(
        self, turn: Turn, request: ProbeRequest, *, previous: Mapping[str, str] | None = None
    ) -> bool:
        """Start a regional probe in the background (refusals are answered at once). False when
        regional probing is off here: the caller probes from here instead."""
        if self.services.regional is None or request.regions is None:
            return False
        slot = await admit(
            self.services, request, key=turn.user, watching=await self._watching(turn.user)
        )
        if isinstance(slot, Notice):
            await self.surface.reply(turn, slot)
            return True
        with slot:  # given back here unless the task took it
            run = RegionalProbeRun(self.services, self.surface, turn, request, states=previous)
            self.services.tasks.spawn(
                run.run(),
                name=f"regional probe {request.url} for {turn.user}",
                on_error=run.report_error,
                slot=slot,
            )
        return True

    async def again(
        self, turn: Turn, request: ProbeRequest, states: Mapping[str, str] | None
    ) -> bool:
        """ "Probe again" on a regional diagnosis: the same regions, compared with ``states``."""
        return await self.probe(turn, request, previous=states)

    async def compare(
        self, turn: Turn, request: ProbeRequest, origin: str, states: Mapping[str, str] | None
    ) -> bool:
        """ "Compare with origin": every region also probes ``origin`` directly."""
        return await self.probe(turn, replace(request, origin=origin), previous=states)

    async def share(self, turn: Turn, request: ProbeRequest, states: Mapping[str, str]) -> None:
        """ "Share in channel" on a regional diagnosis: its verdict for the whole channel."""
        shared = RegionalShared(request, states, turn.user)
        await self.surface.post(turn.channel, shared, thread=None)

    async def agents(self, turn: Turn, language: Language) -> None:
        """`regions`: the live agents, or why they cannot be listed."""
        _ = texts(language)
        regional = self.services.regional
        if regional is None:
            text = _(
                "Regional probing is not set up on this bot: there are no agents to list "
                "(EO_NATS_URL is not set)."
            )
            await self.surface.reply(turn, Notice(text, emoji="ℹ️", language=language))
            return
        try:
            agents = await regional.regions()
        except AgentsUnavailable as exc:
            text = _("I cannot list the agents: {reason}").format(reason=quote(str(exc), language))
            await self.surface.reply(turn, Notice(text, emoji="⚠️", language=language))
            return
        known = regional.settings.regions
        reply = AgentsReply(agents, known, datetime.now(UTC), language)
        await self.surface.reply(turn, reply)
