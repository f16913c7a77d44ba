"""The handlers: what the bot does with each message or button, on any surface.

``Conversation.handle(turn)`` reads the text (``bot.intent``) and answers a question, runs a probe,
starts or stops a watch, or shows help. The buttons of a diagnosis call ``probe_again``,
``compare``, ``share`` and ``cancel_watch`` with what their payload carried. Alerts in watched
channels arrive through ``alert``. Slack and the console both call these same methods.

Languages: a typed message is answered in the deployment's language (``EO_LANGUAGE=en|zh``) or,
by default, in its own (``bot.i18n.choose``). A probe, a watch and an alert keep the language they
started in: it rides in the request (``ProbeRequest.language``), so their progress, diagnosis,
buttons, follow-ups and news all speak it, whoever presses a button later.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.chat import buttons
from bot.chat.alerts import Alert
from bot.chat.probing import ProbeRun, admit, cannot_post, refused
from bot.chat.regional import RegionalChat
from bot.chat.regional_watching import watch_loop
from bot.chat.replies import (
    AlertReply,
    AnswerReply,
    HelpReply,
    Notice,
    ProbeRequest,
    Reply,
    SharedVerdict,
)
from bot.chat.services import Services
from bot.chat.snapshot import Snapshot
from bot.chat.surface import CannotPost, Surface, Turn
from bot.chat.watches import Watch as WatchState
from bot.chat.watches import WatchBook, WatchLimit, describe_record
from bot.chat.words import span
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.intent import (
    Ask,
    Empty,
    Help,
    Intent,
    Invalid,
    ListRegions,
    Logs,
    Probe,
    Purge,
    Unwatch,
    Watch,
    Zone,
    parse,
)
from bot.ops.logging import bind_request
from bot.ops.metrics import METRICS
from bot.probe.safety import TargetRefused, parse_target
from bot.state.base import WatchRecord

log = logging.getLogger(__name__)

_ENDED = N_("That watch has already ended.")


class Conversation:
    def __init__(self, services: Services, surface: Surface) -> None:
        self.services = services
        self.surface = surface
        self.watches = WatchBook(services.watch, services.watch_store, owner=services.replica)
        self.regional = RegionalChat(services, surface, self._watching)  # `from fra,sin`
        METRICS.track_watches(lambda: len(self.watches))

    async def handle(self, turn: Turn) -> None:
        """Answer one message typed by a person (slash command, mention, DM, console line)."""
        language = self.services.language_for(turn.text)
        await self.services.history.spoke(turn.user, language)
        intent = parse(turn.text, language=language)
        immediate = self._immediate(turn, intent, language)
        if immediate is not None:
            reply, public = immediate
            await self.surface.reply(turn, reply, public=public)
        elif isinstance(intent, Probe):
            request = ProbeRequest(_with_scheme(intent.url), intent.origin, intent.code, language)
            request = replace(request, regions=intent.regions)
            await self.probe(turn, await self.regional.configured(turn, request))
        elif isinstance(intent, Watch):
            request = ProbeRequest(_with_scheme(intent.url), intent.origin, intent.code, language)
            request = replace(request, regions=intent.regions)
            await self.watch(turn, await self.regional.configured(turn, request), intent.duration)
        elif isinstance(intent, Unwatch):
            await self.unwatch(turn, language)
        elif isinstance(intent, Zone | Logs | Purge):
            from bot.chat import edgeone  # the API stack loads only when asked for

            await edgeone.handle(self.services, self.surface, turn, intent, language)
        elif isinstance(intent, ListRegions):
            await self.regional.agents(turn, language)

    async def answer_now(self, turn: Turn) -> tuple[Reply, bool] | None:
        """The whole answer to ``turn`` when it needs no waiting (a question, help, a refusal)
        and whether it is public; None when it starts work (a probe, a watch), which ``handle``
        then does. Slack sends such an answer in the acknowledgement itself."""
        language = self.services.language_for(turn.text)
        immediate = self._immediate(turn, parse(turn.text, language=language), language)
        if immediate is not None:  # otherwise ``handle`` records it
            # Remembered in the background: the answer must not wait for a shared store.
            self.services.tasks.spawn(
                self.services.history.spoke(turn.user, language), name="remember the language"
            )
        return immediate

    def _immediate(
        self, turn: Turn, intent: Intent, language: Language
    ) -> tuple[Reply, bool] | None:
        if isinstance(intent, Help | Empty):
            return HelpReply(language=language, edgeone=self.services.edgeone is not None), False
        if isinstance(intent, Invalid):
            return Notice(intent.problem, language=language), False
        if isinstance(intent, Ask):
            return self._answer(turn, intent.text, language)
        return None

    async def ask(self, turn: Turn, question: str, language: Language | None = None) -> None:
        """A question for the knowledge base, answered in ``language`` (default: the question's,
        unless the deployment sets one)."""
        if language is None:
            language = self.services.language_for(question)
        reply, public = self._answer(turn, question, language)
        await self.surface.reply(turn, reply, public=public)

    def _answer(self, turn: Turn, question: str, language: Language) -> tuple[Reply, bool]:
        answer = self.services.matcher.ask(question)
        if not answer.matched:
            kind = "weak" if answer.suggestions else "none"
            METRICS.unmatched.labels(kind).inc()
            log.info("no confident match (%s) for a question: %r", kind, question[:200])
        if turn.private_to is None:
            return AnswerReply(answer, language=language), False
        public = self.services.visibility == "in_channel"
        share = not public and answer.matched
        return AnswerReply(answer, share=share, language=language), public

    # -- probes --------------------------------------------------------------------------------

    async def probe(
        self, turn: Turn, request: ProbeRequest, *, previous: Snapshot | None = None
    ) -> None:
        """Start a probe in the background (refusals are answered at once); one that names
        regions runs there too (``bot.chat.regional``)."""
        if await self.regional.probe(turn, request):
            return
        slot = await admit(
            self.services, request, key=turn.user, watching=await self._watching(turn.user)
        )
        if isinstance(slot, Notice):
            await self.surface.reply(turn, slot)
            return
        with slot:  # given back here unless the task took it
            run = ProbeRun(self.services, self.surface, turn, request, previous=previous)
            self.services.tasks.spawn(
                run.run(),
                name=f"probe {request.url} for {turn.user}",
                on_error=run.report_error,
                slot=slot,
            )

    async def probe_again(
        self, turn: Turn, request: ProbeRequest, previous: Snapshot | None
    ) -> None:
        """The "Probe again" button: a fresh probe in the same thread, compared with the last."""
        await self.probe(turn, request, previous=previous)

    async def compare(
        self, turn: Turn, request: ProbeRequest, origin: str, previous: Snapshot | None
    ) -> None:
        """ "Compare with origin": the same URL, also probed directly at ``origin``."""
        again = ProbeRequest(request.url, origin, request.code, request.language)
        await self.probe(turn, again, previous=previous)

    async def share(self, turn: Turn, request: ProbeRequest, snapshot: Snapshot) -> None:
        """ "Share in channel" on a diagnosis: its verdict posted for the whole channel."""
        await self.surface.post(
            turn.channel, SharedVerdict(request, snapshot, turn.user), thread=None
        )

    # -- alerts --------------------------------------------------------------------------------

    async def alert(self, turn: Turn, alert: Alert) -> None:
        """An alert in a watched channel: the knowledge entry, then a probe of its URL, in the
        language of the alert's text (unless the deployment sets one)."""
        entry = next((e for e in map(self.services.kb.get, alert.entry_ids) if e is not None), None)
        if entry is None:
            log.warning("alert names %s but no entry exists", alert.entry_ids)
            return
        setting = self.services.language
        language: Language = alert.language if setting == "auto" else setting
        if not alert.url:
            await self.surface.reply(
                turn, AlertReply(alert, entry, probing=False, language=language)
            )
            return
        request = ProbeRequest(alert.url, code=alert.code, language=language)
        slot = await admit(
            self.services,
            request,
            key=f"alerts:{turn.channel}",
            rate=self.services.alert_rate,
            alerts=True,
        )
        if isinstance(slot, Notice):
            skipped = AlertReply(alert, entry, probing=False, skipped=slot.text, language=language)
            await self.surface.reply(turn, skipped)
            return
        with slot:  # a reply that cannot be posted gives the slot back
            await self.surface.reply(
                turn, AlertReply(alert, entry, probing=True, language=language)
            )
            run = ProbeRun(self.services, self.surface, turn, request)
            self.services.tasks.spawn(
                run.run(), name=f"alert probe {request.url}", on_error=run.report_error, slot=slot
            )

    # -- watches -------------------------------------------------------------------------------

    async def watch(self, turn: Turn, request: ProbeRequest, asked: float | None) -> None:
        """`watch <url> [for 30m]`: re-probe in the thread until it recovers or time runs out.

        The note about a clamped duration is best effort: if it cannot be posted the watch runs
        anyway (its first diagnosis follows in the thread). Anything else that fails before the
        watch's task runs takes the watch out of the book and gives its slot back.
        """
        language = request.language
        _ = texts(language)
        try:
            parse_target(request.url, self.services.policy)
        except TargetRefused as exc:
            await self.surface.reply(turn, refused(exc, language, watch=True))
            return
        seconds, note = self.watches.settings.clamp(asked, language)
        try:
            await self.watches.check(
                request, user=turn.user, channel=turn.channel, thread=turn.thread
            )
        except WatchLimit as exc:
            await self.surface.reply(turn, Notice(str(exc), emoji="⏳", language=language))
            return
        slot = await admit(
            self.services, request, key=turn.user, watching=await self._watching(turn.user)
        )
        if isinstance(slot, Notice):
            await self.surface.reply(turn, slot)
            return
        with slot:  # the first probe's slot: given back here unless the watch's task took it
            try:
                thread = turn.thread
                if thread is None:
                    # A slash command has no thread: open one under a message in the channel.
                    values = {"url": request.url, "duration": span(seconds, language)}
                    if turn.user:
                        text = _(
                            "Watching {url} for {duration}, asked by {who}. News in the thread."
                        ).format(**values, who=f"<@{turn.user}>")
                    else:
                        text = _("Watching {url} for {duration}. News in the thread.").format(
                            **values
                        )
                    opener = Notice(text, emoji="👀", language=language)
                    thread = await self.surface.post(turn.channel, opener, thread=None)
                watch = await self.watches.open(
                    request, user=turn.user, channel=turn.channel, thread=thread, duration=seconds
                )
            except (CannotPost, WatchLimit) as exc:
                slot.release()
                if isinstance(exc, WatchLimit):
                    problem = Notice(str(exc), emoji="🙈", language=language)
                else:
                    problem = cannot_post(language)
                await self.surface.reply(turn, problem)
                return
            try:
                if note:
                    text = _("Watching for {duration}: {note}.").format(
                        duration=span(seconds, language), note=note
                    )
                    await self._say(turn, Notice(text, emoji="⏱", language=language))
                loop = watch_loop(self.services, self.surface, self.watches, watch, first=slot)
                watch.task = self.services.tasks.spawn(
                    loop.run(),
                    name=f"watch {request.url} for {turn.user}",
                    on_error=loop.report_error,
                    slot=slot,
                    # The loop closes its watch; this also covers a task cancelled before it ran.
                    cleanup=lambda: self.watches.forget(watch),
                )
            except BaseException:
                self.watches.forget(watch)  # a watch with no loop could never end or be cancelled
                raise

    def resume(self, record: WatchRecord) -> None:
        """Run a watch taken over from another replica (or from before a restart)."""
        watch = self.watches.adopt(record)
        loop = watch_loop(self.services, self.surface, self.watches, watch)

        async def run() -> None:
            bind_request(f"watch-{watch.id}")
            await loop.run()

        try:
            watch.task = self.services.tasks.spawn(
                run(),
                name=f"watch {record.url} for {record.user}",
                on_error=loop.report_error,
                cleanup=lambda: self._drop(watch),
            )
        except BaseException:
            self.watches.drop(watch)
            raise

    def _drop(self, watch: WatchState) -> None:
        self.watches.drop(watch)

    async def cancel_watch(self, turn: Turn, value: str) -> None:
        """The Cancel button of a watch, whichever replica runs it; ``value`` is the button's
        (``buttons.cancel_value``)."""
        watch_id, language = buttons.read_cancel_value(value)
        if not await self.watches.stop(watch_id, "cancelled", turn.user or None):
            text = texts(language)(_ENDED)
            await self.surface.reply(turn, Notice(text, language=language))

    async def unwatch(self, turn: Turn, language: Language | None = None) -> None:
        """`unwatch` / `stop watching` in a thread: stop the watches running there."""
        if language is None:
            language = self.services.language_for(turn.text)
        _ = texts(language)
        running = await self.watches.in_thread(turn.channel, turn.thread) if turn.thread else []
        if not running:
            mine = await self.watches.of_user(turn.user)
            if mine:
                text = _(
                    "No watch is running in this thread. Yours run in other threads: {watches}. "
                    "Use the Cancel button there, or say `unwatch` in that thread."
                ).format(watches="; ".join(describe_record(w, language) for w in mine))
            else:
                text = _("No watch is running in this thread.")
            await self.surface.reply(turn, Notice(text, language=language))
            return
        for watch in running:
            await self.watches.stop(watch.id, "cancelled", turn.user or None)

    async def _say(self, turn: Turn, reply: Reply) -> None:
        """A reply that is worth sending but not worth stopping for (logged when it fails)."""
        try:
            await self.surface.reply(turn, reply)
        except Exception:
            log.warning("could not tell %s in %s", turn.user, turn.channel, exc_info=True)

    async def watch_lines(self, user: str, language: Language | None = None) -> list[str]:
        """The user's running watches, one line each (for App Home), in ``language`` (default:
        ``home_language``)."""
        language = language or await self.home_language(user)
        return [describe_record(w, language) for w in await self.watches.of_user(user)]

    async def home_language(self, user: str) -> Language:
        """The language of ``user``'s App Home: the deployment's when it sets one, else the
        language they last asked in (on any replica), else English."""
        setting = self.services.language
        if setting != "auto":
            return setting
        return await self.services.history.language(user) or "en"

    async def _watching(self, user: str) -> int:
        return len(await self.watches.of_user(user))

    async def shutdown(self, limit: float = 5.0) -> None:
        """Stop every watch and wait for background work to end. Alone, each watch tells its
        thread that it stops; in a fleet (a shared store) they are handed over instead, and
        another replica, or this one once restarted, goes on with them."""
        handover = self.watches.store.shared
        handed = [watch.id for watch in self.watches]
        for watch in self.watches:
            watch.stop("handover" if handover else "shutdown")
        await self.services.tasks.drain(limit=limit)
        if handover and handed:
            await self.watches.store.release(handed, owner=self.watches.owner)
        if self.services.regional is not None:
            await self.services.regional.close()


def _with_scheme(url: str) -> str:
    """A bare host (``probe shop.example.com/cart``) is probed over https, as the probe assumes;
    spelling it out keeps messages and button values unambiguous."""
    return url if "://" in url else f"https://{url}"
