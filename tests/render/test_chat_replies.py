"""Every reply of the conversation core, rendered for Slack (Block Kit) and for the console.

Block Kit output must stay inside Slack's limits and never carry a user's text as live markup;
the console text says the same things without Slack's markup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chat import buttons
from bot.chat.alerts import Alert
from bot.chat.edgeone_replies import (
    EdgeOneAddendum,
    EdgeOneOff,
    LogsReply,
    PurgeConfirm,
    PurgeReport,
    ViewReply,
    ZoneCard,
)
from bot.chat.regional_replies import RegionalOutcome, RegionalSummary
from bot.chat.replies import (
    AlertReply,
    AnswerReply,
    EntryReply,
    HelpReply,
    Notice,
    ProbeOutcome,
    ProbeRequest,
    ProbeSummary,
    Progress,
    Reply,
    SharedVerdict,
    WatchEvent,
    WatchEventKind,
    WatchInfo,
)
from bot.chat.snapshot import Change, Snapshot, compare
from bot.diagnosis import diagnose
from bot.edgeone.errors import Problem
from bot.edgeone.evidence import facts_of
from bot.edgeone.facts import (
    AddressSet,
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OriginACLFact,
    PlannedACL,
    ZoneFact,
)
from bot.edgeone.findings import Finding
from bot.edgeone.purge import PurgePlan, PurgeResult, PurgeTarget
from bot.edgeone.view import EdgeOneView
from bot.edgeone.zones import ZoneMatch
from bot.i18n.phrase import Phrase
from bot.knowledge import KnowledgeBase, Matcher
from bot.probe.models import ProbeReport, ProbeResult
from bot.render.blocks import (
    COMPARE,
    CUT,
    MAX_BLOCKS,
    MAX_FALLBACK,
    MAX_HEADER,
    MAX_SECTION,
    MAX_TOTAL_CHARS,
    PROBE_AGAIN,
    SHARE,
    SHARE_PROBE,
    WATCH_CANCEL,
    Message,
    render,
)
from bot.render.chat_text import render_reply
from tests.render.regional_replies import REGIONAL_REPLIES
from tests.test_diagnosis import ORIGIN_IP, STARTED, URL, edge, failing, origin

HOSTILE = "https://x.example/<!channel>"
USER = "U0ABC123"
UNTIL = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
LATER = STARTED + timedelta(minutes=3)


# ---------------------------------------------------------------- builders


def report(result: ProbeResult, origin_result: ProbeResult | None = None) -> ProbeReport:
    return ProbeReport(edge=result, origin=origin_result)


def outcome(
    kb: KnowledgeBase,
    result: ProbeResult | None = None,
    *,
    origin_result: ProbeResult | None = None,
    url: str = URL,
    **fields: Any,
) -> ProbeOutcome:
    rep = report(replace(result or failing("connect:timeout"), url=url), origin_result)
    diagnosis = diagnose(rep, kb)
    return ProbeOutcome(
        request=ProbeRequest(url, code=diagnosis.code),
        report=rep,
        diagnosis=diagnosis,
        snapshot=Snapshot.of(rep, diagnosis),
        **fields,
    )


def snapshots(kb: KnowledgeBase) -> tuple[Snapshot, Snapshot]:
    """A 522 three minutes ago, a healthy 200 now."""
    before = report(failing("connect:timeout"))
    after = report(replace(edge(200), started_at=LATER))
    return (
        Snapshot.of(before, diagnose(before, kb)),
        Snapshot.of(after, diagnose(after, kb)),
    )


def recovery(kb: KnowledgeBase) -> Change:
    return compare(*snapshots(kb))


def info(*, active: bool = True) -> WatchInfo:
    return WatchInfo(watch_id="a1b2c3d4e5f6", until=UNTIL, interval=30.0, active=active)


def event(kb: KnowledgeBase, kind: WatchEventKind, **fields: Any) -> WatchEvent:
    values: dict[str, Any] = {
        "watch_id": "a1b2c3d4e5f6",
        "url": URL,
        "snapshot": snapshots(kb)[1],
        "probes": 4,
        "until": UNTIL,
    }
    return WatchEvent(kind=kind, **(values | fields))


def alert(url: str | None = URL, host: str | None = "www.example.com") -> Alert:
    return Alert(code=524, name=None, url=url, host=host, entry_ids=("sa-524",))


def entry(kb: KnowledgeBase, entry_id: str = "sa-524") -> Any:
    found = kb.get(entry_id)
    assert found is not None
    return found


def edge_view(host: str = "shop.example.com") -> EdgeOneView:
    """EdgeOne's view with every part: facts, a missing part, findings (no network)."""
    zone = ZoneFact("zone-2noz78a8ev6k", "example.com", "active", "active")
    domain = DomainConfig(host, "online", origin="203.0.113.10", protocol="FOLLOW")
    acl = OriginACLFact(
        "online",
        hosts=(host,),
        version="v3",
        current=AddressSet(("43.174.0.0/15",)),
        planned=PlannedACL("v4", UNTIL, AddressSet(("43.176.0.0/16",)), AddressSet()),
    )
    record = EdgeLogRecord("4105283880544427145", edge_status=522, origin_status=None)
    return EdgeOneView(
        host=host,
        zone=ZoneMatch(host, zone, domain, 0.0),
        asked_at=UNTIL,
        elapsed_ms=54.0,
        edge_ip=EdgeIPFact("198.51.100.20", is_edgeone=False),
        cname=CnameFact(host, "moved", "shop.example.com.eo.dnse1.com"),
        domain=domain,
        origin_acl=acl,
        logs=LogsFact("4105283880544427145", "found", record=record),
        trend=Problem("timeout", Phrase("EdgeOne did not say the last hour's traffic within 6 s")),
        findings=(
            Finding(
                "cname_moved", "problem", Phrase(f"{host} no longer points at EdgeOne"), side="dns"
            ),
            Finding("acl_change_planned", "warning", Phrase("add 43.176.0.0/16"), side="origin"),
        ),
    )


def with_view(kb: KnowledgeBase, view: EdgeOneView | None = None) -> ProbeOutcome:
    base = outcome(kb)
    view = view or edge_view()
    revised = diagnose(base.report, kb, edgeone=facts_of(view))
    return replace(base, diagnosis=revised, edgeone=EdgeOneAddendum(view, base.diagnosis))


def plan(target: str = "https://shop.example.com/app.js") -> PurgePlan:
    kind = "purge_url" if "://" in target else "purge_host"
    return PurgePlan(
        PurgeTarget(kind, target, "shop.example.com"),  # type: ignore[arg-type]
        "zone-2noz78a8ev6k",
        "example.com",
        USER,
    )


Builder = Callable[[KnowledgeBase, Matcher], Reply]

# One of every reply type, in the forms the handlers build.
EVERY_REPLY: list[Any] = [
    pytest.param(lambda kb, m: AnswerReply(m.ask("524")), id="answer"),
    pytest.param(lambda kb, m: AnswerReply(m.ask("524"), share=True), id="answer-share"),
    pytest.param(lambda kb, m: AnswerReply(m.ask("5xx")), id="answer-family"),
    pytest.param(lambda kb, m: AnswerReply(m.ask("zzqx flibber wobble")), id="answer-no-match"),
    pytest.param(lambda kb, m: EntryReply(entry(kb)), id="entry"),
    pytest.param(lambda kb, m: EntryReply(entry(kb), share=True), id="entry-share"),
    pytest.param(lambda kb, m: HelpReply(), id="help"),
    pytest.param(lambda kb, m: Notice("Too *many* probes: `5/60`.", emoji="⏳"), id="notice"),
    pytest.param(lambda kb, m: Progress(URL, ()), id="progress-start"),
    pytest.param(lambda kb, m: Progress(URL, ("dns", "connect"), user=USER), id="progress-some"),
    pytest.param(lambda kb, m: outcome(kb), id="outcome-failing"),
    pytest.param(lambda kb, m: outcome(kb, edge(200)), id="outcome-healthy"),
    pytest.param(
        lambda kb, m: outcome(
            kb, edge(522, ttfb=10_000.0), origin_result=origin(200), entry=entry(kb, "sa-522")
        ),
        id="outcome-with-origin-and-entry",
    ),
    pytest.param(
        lambda kb, m: outcome(kb, failing("connect:refused", target=ORIGIN_IP)),
        id="outcome-origin-refused",
    ),
    pytest.param(
        lambda kb, m: outcome(kb, edge(200), change=recovery(kb)), id="outcome-with-change"
    ),
    pytest.param(lambda kb, m: outcome(kb, watch=info()), id="outcome-watching"),
    pytest.param(lambda kb, m: outcome(kb, watch=info(active=False)), id="outcome-watch-ended"),
    pytest.param(lambda kb, m: outcome(kb, buttons=False), id="outcome-no-buttons"),
    pytest.param(
        lambda kb, m: ProbeSummary(URL, outcome(kb).diagnosis, user=USER), id="probe-summary"
    ),
    pytest.param(
        lambda kb, m: SharedVerdict(ProbeRequest(URL), snapshots(kb)[0], USER),
        id="shared-verdict",
    ),
    pytest.param(lambda kb, m: AlertReply(alert(), entry(kb), probing=True), id="alert-probing"),
    pytest.param(
        lambda kb, m: AlertReply(alert(), entry(kb), probing=False, skipped="rate *limited*"),
        id="alert-skipped",
    ),
    pytest.param(
        lambda kb, m: AlertReply(alert(url=None), entry(kb), probing=False),
        id="alert-host-only",
    ),
    pytest.param(
        lambda kb, m: event(kb, "changed", change=compare(*reversed(snapshots(kb)))),
        id="watch-changed",
    ),
    pytest.param(lambda kb, m: event(kb, "recovered", change=recovery(kb)), id="watch-recovered"),
    pytest.param(lambda kb, m: event(kb, "recovered"), id="watch-recovered-no-change"),
    pytest.param(lambda kb, m: event(kb, "expired"), id="watch-expired"),
    pytest.param(lambda kb, m: event(kb, "cancelled", by=USER), id="watch-cancelled"),
    pytest.param(lambda kb, m: event(kb, "shutdown"), id="watch-shutdown"),
    pytest.param(lambda kb, m: event(kb, "failed", detail="timeout x3"), id="watch-failed"),
    pytest.param(lambda kb, m: event(kb, "failed", snapshot=None), id="watch-failed-bare"),
    pytest.param(lambda kb, m: HelpReply(edgeone=True), id="help-edgeone"),
    pytest.param(lambda kb, m: with_view(kb), id="outcome-with-edgeone-view"),
    pytest.param(
        lambda kb, m: ViewReply(URL, with_view(kb).diagnosis, with_view(kb).edgeone),  # type: ignore[arg-type]
        id="edgeone-view-in-thread",
    ),
    pytest.param(lambda kb, m: ZoneCard(edge_view()), id="zone-card"),
    pytest.param(
        lambda kb, m: LogsReply("4105283880544427145", edge_view().logs),  # type: ignore[arg-type]
        id="logs-found",
    ),
    pytest.param(
        lambda kb, m: LogsReply(
            "41052", Problem("credentials", Phrase("rejected (SecretId …MPLE)"))
        ),
        id="logs-problem",
    ),
    pytest.param(lambda kb, m: PurgeConfirm(plan()), id="purge-confirm"),
    pytest.param(
        lambda kb, m: PurgeReport(PurgeResult(plan(), "done", "job-1", waited_s=4.0), USER),
        id="purge-done",
    ),
    pytest.param(
        lambda kb, m: PurgeReport(
            PurgeResult(plan("shop.example.com"), "failed", "job-2", (("x", "quota"),)), USER
        ),
        id="purge-failed",
    ),
    pytest.param(lambda kb, m: EdgeOneOff("zone"), id="edgeone-off-zone"),
    pytest.param(lambda kb, m: EdgeOneOff("purge"), id="edgeone-off-purge"),
    *REGIONAL_REPLIES,
]


# ---------------------------------------------------------------- helpers


def texts(value: Any) -> Iterator[str]:
    """Every text shown to people in blocks: text objects, not button values or action ids."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            elif key not in ("value", "action_id", "block_id"):
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def shown(message: Message) -> str:
    return "\n".join(texts(message.block_dicts()))


def actions(message: Message) -> list[dict[str, Any]]:
    """The buttons of a message, in order."""
    return [e for b in message.block_dicts() if b["type"] == "actions" for e in b["elements"]]


def action_ids(message: Message) -> list[str]:
    return [str(e["action_id"]) for e in actions(message)]


def assert_within_limits(message: Message) -> None:
    blocks = message.block_dicts()
    assert 1 <= len(blocks) <= MAX_BLOCKS
    assert len(json.dumps(blocks, ensure_ascii=False)) <= MAX_TOTAL_CHARS
    for block in blocks:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"].strip()) <= MAX_SECTION
        elif block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= MAX_HEADER
        elif block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(0 < len(e["text"]) <= MAX_SECTION for e in block["elements"])
        elif block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75
                assert 0 < len(button["value"]) <= 2000
    assert message.text.strip()
    assert len(message.text) <= MAX_FALLBACK


# ---------------------------------------------------------------- every reply renders


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_every_reply_renders_within_slack_limits(
    kb: KnowledgeBase, matcher: Matcher, build: Builder
) -> None:
    assert_within_limits(render(build(kb, matcher)))


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_every_reply_renders_as_console_text(
    kb: KnowledgeBase, matcher: Matcher, build: Builder
) -> None:
    reply = build(kb, matcher)
    text = render_reply(reply)
    quiet = (
        isinstance(reply, ProbeSummary)
        or (isinstance(reply, Progress) and reply.done)
        or (isinstance(reply, ProbeOutcome) and reply.watch is not None and not reply.watch.active)
        or isinstance(reply, RegionalSummary)
        or (
            isinstance(reply, RegionalOutcome)
            and reply.watch is not None
            and not reply.watch.active
        )
    )
    if quiet:
        assert text is None
        return
    assert text is not None
    assert text.strip()
    assert "\033[" not in text  # no colour unless asked
    assert "<@" not in text  # user ids become @name


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_dicts_made_while_fitting_are_those_of_the_blocks_kept(
    kb: KnowledgeBase, matcher: Matcher, build: Builder
) -> None:
    # The dicts are made once, while measuring, and reused for the ack and the post: they must
    # be exactly what the blocks kept (the cut marker included) would give today.
    message = render(build(kb, matcher))
    assert message.block_dicts() == [b.to_dict() for b in message.blocks]
    message.block_dicts().clear()  # a caller's copy: the message keeps its own
    assert len(message.block_dicts()) == len(message.blocks)


def test_dicts_of_a_cut_message_carry_the_marker(kb: KnowledgeBase) -> None:
    base = outcome(kb, entry=entry(kb, "sa-522"))
    long = tuple(f"step {i}: " + "x" * 400 for i in range(100))
    message = render(replace(base, diagnosis=replace(base.diagnosis, next_steps=long)))
    dicts = message.block_dicts()
    assert dicts == [b.to_dict() for b in message.blocks]
    assert CUT in json.dumps(dicts, ensure_ascii=False)


def test_every_reply_type_is_covered(kb: KnowledgeBase, matcher: Matcher) -> None:
    covered = {type(p.values[0](kb, matcher)) for p in EVERY_REPLY}
    assert covered == set(Reply.__args__)


# ---------------------------------------------------------------- oversized replies are cut


def test_huge_diagnosis_is_cut_to_fit(kb: KnowledgeBase) -> None:
    base = outcome(kb, entry=entry(kb, "sa-522"), change=recovery(kb), watch=info())
    long = tuple(f"step {i}: " + "x" * 400 for i in range(100))
    diagnosis = replace(base.diagnosis, summary="s" * 5000, evidence=long, next_steps=long)
    message = render(replace(base, diagnosis=diagnosis))
    assert_within_limits(message)
    assert CUT in shown(message)


def test_huge_headers_are_cut_to_fit(kb: KnowledgeBase) -> None:
    headers = {f"x-header-{i}": "v" * 200 for i in range(200)}
    result = replace(edge(200), http=replace(edge(200).http, headers=headers))
    message = render(outcome(kb, result))
    assert_within_limits(message)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda kb: Progress("https://x.example/" + "a" * 5000, ()), id="progress"),
        pytest.param(
            lambda kb: ProbeSummary("https://x.example/" + "a" * 5000, outcome(kb).diagnosis),
            id="summary",
        ),
        pytest.param(lambda kb: Notice("n" * 10_000), id="notice"),
        pytest.param(
            lambda kb: event(
                kb,
                "changed",
                change=Change("h" * 4000, tuple("l" * 300 for _ in range(100)), True, False, False),
            ),
            id="watch-event-with-long-change",
        ),
        pytest.param(
            lambda kb: event(kb, "expired", url="https://x.example/" + "a" * 5000),
            id="watch-event-long-url",
        ),
    ],
)
def test_long_replies_are_cut_to_fit(kb: KnowledgeBase, build: Callable[[Any], Reply]) -> None:
    message = render(build(kb))
    assert_within_limits(message)
    assert CUT in shown(message) or CUT in message.text


# ---------------------------------------------------------------- hostile text stays inert

HOSTILE_REPLIES: list[Any] = [
    pytest.param(lambda kb: Progress(HOSTILE, ("dns",), user=USER), id="progress"),
    pytest.param(lambda kb: outcome(kb, url=HOSTILE), id="outcome"),
    pytest.param(lambda kb: outcome(kb, edge(200), url=HOSTILE, watch=info()), id="outcome-watch"),
    pytest.param(
        lambda kb: ProbeSummary(HOSTILE, outcome(kb, url=HOSTILE).diagnosis, user=USER),
        id="summary",
    ),
    pytest.param(
        lambda kb: SharedVerdict(ProbeRequest(HOSTILE), snapshots(kb)[0], USER), id="shared"
    ),
    pytest.param(
        lambda kb: AlertReply(alert(url=HOSTILE), entry(kb), probing=True), id="alert-probing"
    ),
    pytest.param(
        lambda kb: AlertReply(alert(url=None, host=HOSTILE), entry(kb), probing=False),
        id="alert-host",
    ),
    *(
        pytest.param(
            lambda kb, kind=kind: event(kb, kind, url=HOSTILE, by=USER, detail=None),
            id=f"watch-{kind}",
        )
        for kind in ("changed", "recovered", "expired", "cancelled", "shutdown", "failed")
    ),
    pytest.param(
        lambda kb: event(kb, "failed", url=HOSTILE, detail="<!here> boom"), id="watch-detail"
    ),
]


@pytest.mark.parametrize("build", HOSTILE_REPLIES)
def test_hostile_url_never_becomes_live_markup(
    kb: KnowledgeBase, build: Callable[[Any], Reply]
) -> None:
    # Button values carry the URL verbatim; Slack never renders them, so they are not checked.
    message = render(build(kb))
    text = shown(message)
    assert "<!channel>" not in text
    assert "<!here>" not in text
    assert "x.example/" in text  # the URL is shown, escaped, not dropped
    assert "&lt;!channel&gt;" in text


def test_cancelled_by_a_non_user_id_is_not_turned_into_markup(kb: KnowledgeBase) -> None:
    message = render(event(kb, "cancelled", by="U1> <!channel"))
    assert "<!channel" not in shown(message)
    assert "<@U1>" not in shown(message)


def test_mention_inside_the_url_stays_escaped_when_its_user_cancels(kb: KnowledgeBase) -> None:
    url = f"https://x.example/<@{USER}>"
    text = shown(render(event(kb, "cancelled", url=url, by=USER)))
    assert text.count(f"<@{USER}>") == 1  # the "cancelled by" mention only


# ---------------------------------------------------------------- watch events


def test_watch_recovered_with_change(kb: KnowledgeBase) -> None:
    change = recovery(kb)
    reply = event(kb, "recovered", change=change)
    blocks, text = shown(render(reply)), render_reply(reply)
    assert text is not None
    for out in (blocks, text):
        assert "Recovered" in out
        assert change.headline in out
        assert "4 probes" in out
        assert "stopped watching" in out
        for line in change.lines:
            assert line in out


def test_watch_recovered_without_change_names_the_url(kb: KnowledgeBase) -> None:
    reply = event(kb, "recovered", probes=1)
    text = render_reply(reply)
    assert text is not None
    assert f"{URL} is healthy" in text
    assert "1 probe;" in text
    assert f"{URL} is healthy" in shown(render(reply))


def test_watch_changed_says_what_and_until_when(kb: KnowledgeBase) -> None:
    broke = compare(*reversed(snapshots(kb)))
    reply = event(kb, "changed", change=broke)
    blocks, text = shown(render(reply)), render_reply(reply)
    assert text is not None
    for out in (blocks, text):
        assert broke.headline in out
        assert "Still watching until 13:00 UTC" in out
        assert "Recovered" not in out


def test_watch_expired_gives_the_last_result(kb: KnowledgeBase) -> None:
    reply = event(kb, "expired")
    text = render_reply(reply)
    assert text is not None
    assert "time is up" in text
    assert "4 probes" in text
    assert "Last result: HTTP 200" in text
    assert "time is up after 1 probe." in str(render_reply(event(kb, "expired", probes=1)))


def test_watch_cancelled_by_a_user_is_a_mention_in_slack_and_a_name_in_the_console(
    kb: KnowledgeBase,
) -> None:
    reply = event(kb, "cancelled", by=USER)
    blocks = shown(render(reply))
    assert f"cancelled by <@{USER}>" in blocks
    assert "&lt;@" not in blocks
    text = render_reply(reply)
    assert text is not None
    assert f"cancelled by @{USER}" in text
    assert "<@" not in text


def test_watch_cancelled_without_a_user(kb: KnowledgeBase) -> None:
    text = render_reply(event(kb, "cancelled"))
    assert text is not None
    assert "cancelled after 4 probes" in text
    assert " by " not in text


def test_watch_shutdown_says_how_to_start_again(kb: KnowledgeBase) -> None:
    reply = event(kb, "shutdown")
    text = render_reply(reply)
    assert text is not None
    assert "shutting down" in text
    assert f"watch {URL}" in text
    assert f"`watch {URL}`" in shown(render(reply))


@pytest.mark.parametrize(
    ("detail", "says"),
    [
        pytest.param("probing failed 3 times in a row (OSError)", "3 times in a row", id="detail"),
        pytest.param(None, "fail", id="no-detail"),
    ],
)
def test_watch_failed_says_it_stopped_and_why(
    kb: KnowledgeBase, detail: str | None, says: str
) -> None:
    reply = event(kb, "failed", detail=detail)
    for out in (shown(render(reply)), render_reply(reply)):
        assert out is not None
        assert "stopped" in out
        assert says in out
        assert "Recovered" not in out


@pytest.mark.parametrize(
    "kind", ["changed", "recovered", "expired", "cancelled", "shutdown", "failed"]
)
def test_each_watch_event_is_one_section_without_buttons(
    kb: KnowledgeBase, kind: WatchEventKind
) -> None:
    message = render(event(kb, kind, change=recovery(kb), by=USER))
    (section,) = message.block_dicts()
    assert section["type"] == "section"
    assert section["text"]["text"].startswith("*")  # the headline, in bold
    assert not message.text.startswith("*")  # the fallback is plain


# ---------------------------------------------------------------- diagnosis buttons


def test_outcome_without_watch_has_the_three_probe_buttons(kb: KnowledgeBase) -> None:
    reply = outcome(kb)
    message = render(reply)
    assert action_ids(message) == [PROBE_AGAIN, COMPARE, SHARE_PROBE]
    for button in actions(message):
        assert buttons.decode(button["value"]) == (reply.request, reply.snapshot)
    text = render_reply(reply)
    assert text is not None
    assert "`again`" in text


def test_outcome_with_active_watch_has_only_the_cancel_button(kb: KnowledgeBase) -> None:
    reply = outcome(kb, watch=info())
    message = render(reply)
    assert action_ids(message) == [WATCH_CANCEL]
    (cancel,) = actions(message)
    assert cancel["value"] == "a1b2c3d4e5f6"
    assert cancel.get("style") == "danger"
    assert "Watching" in shown(message)
    assert "13:00 UTC" in shown(message)
    text = render_reply(reply)
    assert text is not None
    assert "unwatch" in text
    assert "`again`" not in text


def test_outcome_with_ended_watch_has_the_probe_buttons_again(kb: KnowledgeBase) -> None:
    message = render(outcome(kb, watch=info(active=False)))
    assert WATCH_CANCEL not in action_ids(message)
    assert action_ids(message) == [PROBE_AGAIN, COMPARE, SHARE_PROBE]
    assert "This watch has ended." in shown(message)
    assert "Watching:" not in shown(message)


def test_outcome_with_ended_watch_is_not_printed_again_in_the_console(
    kb: KnowledgeBase,
) -> None:
    # The console printed it when the watch began; the watch's own news says it ended.
    assert render_reply(outcome(kb, watch=info(active=False))) is None


@pytest.mark.parametrize("watch", [None, info(active=False)], ids=["no-watch", "ended-watch"])
def test_outcome_without_buttons_has_no_actions_block(
    kb: KnowledgeBase, watch: WatchInfo | None
) -> None:
    message = render(outcome(kb, buttons=False, watch=watch))
    assert "actions" not in [b["type"] for b in message.block_dicts()]


def test_outcome_without_buttons_offers_no_again_in_the_console(kb: KnowledgeBase) -> None:
    text = render_reply(outcome(kb, buttons=False))
    assert text is not None
    assert "`again`" not in text
    assert "`again`" in str(render_reply(outcome(kb)))


def test_outcome_whose_url_is_too_long_for_a_button_has_no_probe_buttons(
    kb: KnowledgeBase,
) -> None:
    message = render(outcome(kb, url="https://x.example/" + "a" * 2100))
    assert action_ids(message) == []
    assert_within_limits(message)


def test_outcome_with_change_shows_it_first(kb: KnowledgeBase) -> None:
    change = recovery(kb)
    message = render(outcome(kb, edge(200), change=change))
    sections = [b["text"]["text"] for b in message.block_dicts() if b["type"] == "section"]
    assert sections[0].startswith("*What changed:* ✅ ")
    assert change.headline in sections[0]
    assert message.text.startswith(f"What changed: {change.headline}")


# ---------------------------------------------------------------- the other replies


def test_progress_marks_the_phases_done(kb: KnowledgeBase) -> None:
    message = render(Progress(URL, ("dns", "connect"), user=USER))
    text = shown(message)
    assert text.count("✅") == 2
    assert text.count("⏳") == 2
    assert f"for <@{USER}>" in text


def test_progress_text_only_before_the_first_phase() -> None:
    assert render_reply(Progress(URL, ())) == f"Probing {URL} …"
    assert render_reply(Progress(URL, ("dns",))) is None
    assert render_reply(Progress(URL, ("dns", "connect", "tls", "http"))) is None


def test_notice_markup_is_kept_in_slack_and_dropped_in_the_console() -> None:
    reply = Notice("You already have *3* watches.", emoji="⏳")
    assert shown(render(reply)) == "⏳ You already have *3* watches."
    assert render_reply(reply) == "⏳ You already have 3 watches."
    assert render(reply).text == "⏳ You already have 3 watches."


@pytest.mark.parametrize(
    ("build", "value"),
    [
        pytest.param(lambda kb, m: AnswerReply(m.ask("524"), share=True), "q:524", id="answer"),
        pytest.param(lambda kb, m: EntryReply(entry(kb), share=True), "id:sa-524", id="entry"),
    ],
)
def test_share_button(kb: KnowledgeBase, matcher: Matcher, build: Builder, value: str) -> None:
    message = render(build(kb, matcher))
    assert action_ids(message) == [SHARE]
    assert actions(message)[0]["value"] == value


def test_alert_reply_says_what_follows(kb: KnowledgeBase) -> None:
    probing = shown(render(AlertReply(alert(), entry(kb), probing=True)))
    assert f"Probing {URL} now" in probing
    skipped = shown(render(AlertReply(alert(), entry(kb), probing=False, skipped="*busy*")))
    assert "No probe: busy" in skipped
    host_only = shown(render(AlertReply(alert(url=None), entry(kb), probing=False)))
    assert "`@eo probe https://www.example.com/`" in host_only
    assert "EdgeOne 524 on www.example.com" in host_only


def test_shared_verdict_names_who_shared(kb: KnowledgeBase) -> None:
    reply = SharedVerdict(ProbeRequest(URL), snapshots(kb)[0], USER)
    text = shown(render(reply))
    assert f"<@{USER}> shared a probe of {URL}" in text
    assert "522" in text
    assert "2025-03-01 12:30 UTC" in text
    console = render_reply(reply)
    assert console is not None
    assert URL in console
    assert "522" in console


# ---------------------------------------------------------------- EdgeOne's view


def test_a_diagnosis_with_edgeones_view_fits_or_says_it_does_not(kb: KnowledgeBase) -> None:
    from bot.slack.surface import SlackSurface

    surface = SlackSurface(client=None)  # type: ignore[arg-type]  # fits() sends nothing
    normal = with_view(kb)
    assert surface.fits(normal)
    long = tuple("x" * 600 for _ in range(40))
    wordy = replace(normal.diagnosis, summary="s" * 2900, evidence=long, next_steps=long)
    findings = tuple(Finding("x", "warning", Phrase("f" * 300)) for _ in range(20))
    view = replace(edge_view(), findings=findings)
    huge = replace(normal, diagnosis=wordy, edgeone=EdgeOneAddendum(view, normal.diagnosis))
    assert not surface.fits(huge)  # the view then goes in the thread, the buttons stay
    assert "eo_probe_again" in action_ids(render(replace(huge, edgeone=None)))


def test_the_view_says_what_it_did_to_the_verdict(kb: KnowledgeBase) -> None:
    reply = with_view(kb)
    slack = shown(render(reply))
    text = render_reply(reply)
    assert text is not None
    assert "*EdgeOne's API on this verdict*" in slack
    assert "EdgeOne's view: shop.example.com (zone example.com)" in slack
    assert text.startswith("Verdict with EdgeOne's view: ")
    assert "For support" not in text  # the console printed the diagnosis already
