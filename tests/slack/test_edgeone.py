"""EdgeOne's view through Slack, end to end: signed requests to the real app, the fake Slack Web
API, the fake Tencent Cloud API (every request's TC3 signature checked), a fake EdgeOne edge and its
origins on loopback, and a loopback DNS server naming the site.

The diagnosis is posted first and EdgeOne's view is added to the same message when its calls
return; the verdict is made again with EdgeOne's facts and says what they did to it. Commands
(`zone`, `logs`, `purge`) answer in words whatever the API does. In Chinese too: a Chinese
mention gets the view in Chinese, a Chinese command its answer, a Chinese purge its buttons,
confirmation and result.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chat.edgeone import EdgeOneChat
from bot.chat.services import Services
from bot.chat.watches import WatchSettings
from bot.knowledge import KnowledgeBase, Matcher
from bot.render.blocks import PURGE_CANCEL, PURGE_CONFIRM
from bot.state.memory import RateLimiter
from tests.edgeone.conftest import settings_for
from tests.i18n.mixing import english_runs, has_chinese
from tests.servers import (
    DNSServer,
    FakeEdge,
    FullBacklogServer,
    HTTPServer,
    OriginSpec,
    PlainOnTLSPortServer,
)
from tests.servers.http import RecordedRequest, Response
from tests.servers.teo import (
    HOST,
    SECRET_ID,
    SECRET_KEY,
    ZONE_ID,
    FakeTeo,
    domain,
    log_line,
    origin_acl,
)
from tests.slack.conftest import Bot, acked, fixture, loopback_settings
from tests.slack.fake_slack import Call

THREAD = "1700000000.000100"
LIMIT = 8.0  # seconds to wait for the view (the origin comparison may wait for a connect timeout)


class EdgeLogs(list[dict[str, Any]]):
    """The fake API's log lines: one for every request the fake edge served, as it served it
    (or with ``origin_status`` when a test makes EdgeOne's log tell another story)."""

    def __init__(self, edge: FakeEdge, *, origin_status: int | None = None) -> None:
        super().__init__()
        self.edge = edge
        self.origin_status = origin_status

    def __iter__(self) -> Iterator[dict[str, Any]]:
        lines = []
        for outcome in self.edge.outcomes:
            origin = self.origin_status if self.origin_status is not None else outcome.origin_status
            lines.append(
                log_line(
                    outcome.uuid,
                    at=outcome.at,  # stamped when served: a query a second later still finds it
                    edge_status=outcome.status,
                    origin_status=-1 if origin is None else origin,
                    edge_ip="127.0.0.1",
                    origin_ip="127.0.0.1",
                    origin_header_ms=12 if origin is not None else -1,
                )
            )
        return iter(lines)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def teo() -> Iterator[FakeTeo]:
    with FakeTeo() as server:
        server.world.edge_ips = {"127.0.0.1"}  # the fake edge answers on loopback
        yield server


@pytest.fixture
def ns() -> Iterator[DNSServer]:
    with DNSServer({HOST: "127.0.0.1"}) as server:
        yield server


@pytest.fixture
def teo_env() -> dict[str, str]:
    return {}


@pytest.fixture
def watch() -> WatchSettings:
    return WatchSettings()


@pytest.fixture
async def services(
    kb: KnowledgeBase,
    matcher: Matcher,
    teo: FakeTeo,
    ns: DNSServer,
    teo_env: dict[str, str],
    watch: WatchSettings,
) -> AsyncIterator[Services]:
    # Connect timeouts short: the origin comparison of a firewalled origin waits for one.
    probe = loopback_settings(nameservers=(ns.nameserver,), connect_timeout=0.5, tls_timeout=0.5)
    settings = settings_for(teo, EO_API_TIMEOUT="1", EO_API_BUDGET="2", **teo_env)
    link = EdgeOneChat.build(settings, probe)
    link.purge_interval = 0.01
    yield Services.build(
        kb,
        probe,
        matcher=matcher,
        progress_interval=0.0,
        rate=RateLimiter(50, 60.0),
        edgeone=link,
        watch=watch,
    )
    await link.aclose()


def configure(teo: FakeTeo, origin_port: int, **fields: Any) -> None:
    """The site's acceleration domain pulls from ``origin_port`` on loopback."""
    values: dict[str, Any] = {"origin": "127.0.0.1", "http_port": origin_port} | fields
    teo.world.domains[ZONE_ID] = [domain(HOST, **values)]


_events = iter(range(1, 10_000))


def mention(text: str) -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    n = next(_events)
    envelope["event_id"] = f"Ev0EDGE{n:05d}"
    envelope["event"].update(text=text, ts=f"1700000100.{n:06d}", client_msg_id=f"edge-{n}")
    return envelope


async def probe_in_thread(bot: Bot, url: str) -> None:
    response = await bot.event(mention(f"<@UBOT> {url}"))
    assert response.status == 200


async def view_update(bot: Bot) -> Call:
    """The update that added EdgeOne's view to the diagnosis."""

    def with_view() -> list[Call]:
        return [c for c in bot.fake.of("chat.update") if "EdgeOne's view" in c.block_text()]

    await bot.fake.wait_for(lambda: bool(with_view()), limit=LIMIT, what="EdgeOne's view")
    await bot.fake.wait_for(lambda: not bot.services.tasks, limit=LIMIT, what="tasks")
    return with_view()[-1]


def everything_sent(bot: Bot) -> str:
    return json.dumps([c.body for c in bot.fake.calls], ensure_ascii=False)


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.blocks if b["type"] == "actions" for e in b["elements"]]


# ---------------------------------------------------------------- the view after a probe


async def test_diagnosis_comes_first_then_the_view_is_added_to_it(bot: Bot, teo: FakeTeo) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        teo.world.logs = EdgeLogs(edge)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/cart")
        final = await view_update(bot)
    (progress,) = bot.fake.of("chat.postMessage")
    assert progress.body["thread_ts"] == THREAD
    updates = [u for u in bot.fake.of("chat.update") if u.body["ts"] == final.body["ts"]]
    first = next(u for u in updates if "For support" in u.block_text())
    assert "EdgeOne's view" not in first.block_text()  # the first answer did not wait
    assert updates.index(first) < updates.index(final)
    text = final.block_text()
    assert "502: fault at the origin" in text
    assert "*Confirms:*" in text  # the edge's log: the origin's own 502
    assert "127.0.0.1 is an EdgeOne node" in text
    assert "Request log" in text
    # The configured origin was compared by itself, with the Host EdgeOne sends.
    assert f"The configured origin 127.0.0.1:{origin.port} answers 502" in text
    assert origin.hits == 2  # through the edge, then directly
    assert origin.requests[-1].headers.get("host") == HOST
    assert [b["action_id"] for b in buttons(final)] == [
        "eo_probe_again",
        "eo_compare",
        "eo_share_probe",
    ]
    # Every part of the view was asked side by side, once.
    actions = teo.actions()
    for action in ("DescribeIPRegion", "CheckCnameStatus", "DescribeOriginACL"):
        assert actions.count(action) == 1, actions
    assert all(c.error is None for c in teo.calls), [(c.action, c.error) for c in teo.calls]


async def test_522_with_origin_protection_on_and_new_ranges_planned(bot: Bot, teo: FakeTeo) -> None:
    planned = datetime.now(UTC) + timedelta(days=5)
    teo.world.acls[ZONE_ID] = origin_acl(planned=planned, added=["43.176.0.0/16"])
    with (
        FullBacklogServer() as firewalled,
        FakeEdge({HOST: OriginSpec("127.0.0.1", firewalled.port)}, connect_timeout=0.3) as edge,
    ):
        configure(teo, firewalled.port)
        teo.world.logs = EdgeLogs(edge)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/cart")
        final = await view_update(bot)
    text = final.block_text()
    assert "522" in text
    assert "*Sharpens:* origin protection is on (ranges version v3)" in text
    when = f"{planned:%Y-%m-%d %H:%M} UTC"
    assert f"Update the origin's allow-list before the ranges change on {when}" in text
    assert f"EdgeOne changes its origin-pull ranges on {when}: add 43.176.0.0/16" in text
    # The configured origin, probed directly, does not answer either: the path is suspect.
    assert f"The configured origin 127.0.0.1:{firewalled.port} cannot be reached" in text


async def test_an_answering_address_that_is_not_edgeones_refutes_the_reading(
    bot: Bot, teo: FakeTeo
) -> None:
    teo.world.edge_ips = set()  # EdgeOne does not own 127.0.0.1 after all
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "*Refutes:*" in text
    assert "something else answers for shop.example.com" in text
    assert "127.0.0.1, the address that answered, is not an EdgeOne node" in text
    assert "127.0.0.1 is NOT an EdgeOne node" in text


async def test_a_moved_cname_sharpens_the_reading(bot: Bot, teo: FakeTeo) -> None:
    teo.world.cnames[HOST] = ("moved", "shop.example.com.eo.dnse1.com")
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "*Sharpens:*" in text
    assert "shop.example.com does not point at the CNAME EdgeOne assigned" in text
    assert "no longer points at the CNAME EdgeOne gave it" in text  # the finding


async def test_the_verdict_changes_when_edgeones_log_contradicts_the_probe(
    bot: Bot, teo: FakeTeo
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        teo.world.logs = EdgeLogs(edge, origin_status=200)  # the origin answered EdgeOne 200
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/cart")
        final = await view_update(bot)
    updates = [u for u in bot.fake.of("chat.update") if u.body["ts"] == final.body["ts"]]
    first = next(u for u in updates if "For support" in u.block_text())
    assert "502: fault at the origin" in first.block_text()
    text = final.block_text()
    assert "502: fault at EdgeOne" in text
    assert "*Refutes:*" in text
    assert "the 502 is EdgeOne's own, not the origin's" in text
    assert "The probe alone read: 502: fault at the origin" in text


async def test_a_slash_probe_updates_its_thread_and_its_channel_line(
    bot: Bot, teo: FakeTeo
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        teo.world.logs = EdgeLogs(edge, origin_status=200)
        await bot.command(f"probe http://{HOST}:{edge.port}/cart")
        final = await view_update(bot)
    channel_line, diagnosis = bot.fake.of("chat.postMessage")
    # The fake Slack numbers messages in order: the channel line first, its thread's diagnosis.
    assert "thread_ts" not in channel_line.body
    assert diagnosis.body["thread_ts"] == "1700000001.000100"
    assert final.body["ts"] == "1700000002.000100"
    summary = bot.fake.of("chat.update")[-1]
    assert summary.body["ts"] == "1700000001.000100"
    assert "502: fault at EdgeOne" in summary.text  # the one-liner follows the verdict


async def test_a_site_that_is_not_edgeones_gets_no_view(bot: Bot, teo: FakeTeo) -> None:
    with HTTPServer(status=200, body=b"fine") as site:
        await probe_in_thread(bot, f"http://127.0.0.1:{site.port}/")
        await bot.fake.wait_calls("chat.update")
        await bot.fake.wait_for(lambda: not bot.services.tasks, limit=LIMIT, what="tasks")
    assert all("EdgeOne's view" not in c.block_text() for c in bot.fake.calls)
    assert teo.actions() in ([], ["DescribeZones"])  # at most the zone list, to tell


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        pytest.param(
            ("DescribeOriginACL", "UnauthorizedOperation.CamNoAuth"),
            "may not call DescribeOriginACL: add teo:DescribeOriginACL to its CAM policy",
            id="unauthorized",
        ),
        pytest.param(
            ("DescribeIPRegion", "RequestLimitExceeded"),
            "EdgeOne API rate limit reached on DescribeIPRegion",
            id="rate-limited",
        ),
        pytest.param(
            ("CheckCnameStatus", "InternalError"),
            "EdgeOne API had an internal error on CheckCnameStatus",
            id="internal-error",
        ),
    ],
)
async def test_api_errors_reach_the_thread_worded(
    bot: Bot, teo: FakeTeo, fault: tuple[str, str], words: str
) -> None:
    teo.fail(*fault)
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    assert words in final.block_text()
    assert "Traceback" not in everything_sent(bot)


async def test_a_late_call_is_told_and_holds_up_nothing_else(bot: Bot, teo: FakeTeo) -> None:
    teo.delays["DescribeOriginACL"] = 1.5  # past the 1 s per-call timeout
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "EdgeOne API did not answer DescribeOriginACL within 1 s" in text
    assert "127.0.0.1 is an EdgeOne node" in text  # the other answers are there


async def test_rejected_credentials_show_only_the_last_four_characters(
    bot: Bot, teo: FakeTeo
) -> None:
    teo.secret_id = "AKIDsomeoneelseskeyXXXXXXXXXXXXXXXXX"  # the key the bot has is unknown
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "EdgeOne API rejected the credentials (SecretId …MPLE)" in text
    sent = everything_sent(bot)
    assert SECRET_ID not in sent
    assert SECRET_KEY not in sent
    assert SECRET_ID[:-4] not in sent


async def test_a_refused_configured_origin_is_reported_not_probed(bot: Bot, teo: FakeTeo) -> None:
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port, origin="10.20.30.40")  # a private address: off limits
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
        assert origin.hits == 1  # the edge's request only
    text = final.block_text()
    assert f"The configured origin 10.20.30.40:{origin.port} was not probed" in text
    assert "private network address" in text


async def test_https_origin_pull_to_a_port_that_speaks_http(bot: Bot, teo: FakeTeo) -> None:
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        PlainOnTLSPortServer() as plain,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, plain.port, protocol="HTTPS", https_port=plain.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
        assert plain.tls_attempts == 1
    text = final.block_text()
    assert (
        f"EdgeOne pulls over HTTPS from 127.0.0.1:{plain.port}, but that port speaks plain HTTP"
    ) in text
    assert "EdgeOne pulls on port" not in text  # the comparison used EdgeOne's own port


def serves_only(name: str) -> Callable[[RecordedRequest], Response]:
    """An origin with one virtual host: any other Host gets 421 Misdirected Request."""

    def answer(request: RecordedRequest) -> Response:
        host = request.headers.get("host", "").split(":")[0]
        return Response(status=200, body=b"shop") if host == name else Response(status=421)

    return answer


async def test_http_pull_to_443_and_an_edge_certificate_that_expires_soon(
    bot: Bot, teo: FakeTeo
) -> None:
    soon = datetime.now(UTC) + timedelta(days=5, hours=1)
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        teo.world.domains[ZONE_ID] = [
            domain(HOST, origin="127.0.0.1", protocol="HTTP", http_port=443, cert_expires=soon)
        ]
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "EdgeOne pulls from the origin over plain HTTP to port 443" in text
    assert "Set the HTTP origin-pull port to 80 (or pull over HTTPS to 443)" in text
    assert f"expires on {soon:%Y-%m-%d} (in 5 days)" in text


async def test_a_rewritten_host_the_origin_does_not_serve(bot: Bot, teo: FakeTeo) -> None:
    with (
        HTTPServer({"/": serves_only(HOST)}) as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port, host_header="backend.example.net")
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/")
        final = await view_update(bot)
    text = final.block_text()
    assert "EdgeOne sends Host backend.example.net to the origin, which answers 421" in text
    assert f"while it answers 200 for {HOST}" in text


QUICK_WATCH = WatchSettings(interval=0.1, min_duration=0.1, default_duration=0.6)


@pytest.mark.parametrize("watch", [QUICK_WATCH])
async def test_a_watch_asks_edgeone_on_its_first_probe_only(bot: Bot, teo: FakeTeo) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await bot.event(mention(f"<@UBOT> watch http://{HOST}:{edge.port}/cart for 1s"))
        await bot.fake.wait_for(
            lambda: any("Stopped watching" in c.block_text() for c in bot.fake.calls),
            limit=LIMIT,
            what="the watch to end",
        )
        await bot.fake.wait_for(lambda: not bot.services.tasks, limit=LIMIT, what="tasks")
        assert len(edge.outcomes) >= 3  # it probed again and again ...
    assert len(teo.calls_of("DescribeIPRegion")) == 1  # ... and asked EdgeOne once
    with_view = [c for c in bot.fake.of("chat.update") if "EdgeOne's view" in c.block_text()]
    assert len(with_view) == 2  # added to the first diagnosis, kept when its Cancel goes
    assert [b["action_id"] for b in buttons(with_view[0])] == ["eo_watch_cancel"]
    assert "eo_watch_cancel" not in [b["action_id"] for b in buttons(with_view[-1])]


# ---------------------------------------------------------------- commands


async def test_help_lists_the_commands(bot: Bot) -> None:
    call = await acked(await bot.command("help"))  # help is the acknowledgement itself
    text = call.block_text()
    assert "*EdgeOne's view* (API credentials are set)" in text
    for command in ("/eo zone", "/eo logs", "/eo purge"):
        assert command in text


async def test_zone_card(bot: Bot, teo: FakeTeo) -> None:
    await bot.command(f"zone {HOST}")
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert call.body["response_type"] == "ephemeral"
    text = call.block_text()
    assert f"EdgeOne zone card: {HOST} (zone example.com)" in text
    assert "Protection" in text
    assert "Origin" in text
    assert "Last hour" in text


async def test_zone_of_a_host_in_no_zone_is_worded(bot: Bot) -> None:
    await bot.command("zone www.elsewhere.org")
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert "www.elsewhere.org is not served by these EdgeOne zones (example.com)" in call.text


async def test_logs_command_in_a_thread(bot: Bot, teo: FakeTeo) -> None:
    at = datetime.now(UTC) - timedelta(minutes=20)
    teo.world.logs.append(log_line("4105283880544427145", at=at, edge_status=524))
    await bot.event(mention(f"<@UBOT> logs 4105283880544427145 {HOST}"))
    (call,) = await bot.fake.wait_calls("chat.postMessage", limit=LIMIT)
    assert call.body["thread_ts"] == THREAD
    assert "EdgeOne's log of* `4105283880544427145`" in call.block_text()
    assert "524 at node sg-3f2a9c (SG)" in call.block_text()


async def test_malformed_commands_get_their_usage(bot: Bot) -> None:
    # A usage error needs no waiting: it is answered in the acknowledgement.
    first = await acked(await bot.command("zone"))
    second = await acked(await bot.command("logs 12'] OR ['x"))
    assert "Usage: `zone &lt;host&gt;`, e.g. `zone shop.example.com`" in first.block_text()
    assert "Traceback" not in second.text


# ---------------------------------------------------------------- purge


async def test_purge_is_off_by_default(bot: Bot, teo: FakeTeo) -> None:
    await bot.command(f"purge https://{HOST}/app.js")
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert "purging is turned off here" in call.text
    assert "EO_ALLOW_PURGE" in call.text
    assert teo.calls_of("CreatePurgeTask") == []


ALLOWED = {"EO_ALLOW_PURGE": "1", "EO_PURGE_USERS": "U0BOB"}


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_purge_refused_for_someone_not_listed(bot: Bot, teo: FakeTeo) -> None:
    await bot.command(f"purge https://{HOST}/app.js")  # from U0ALICE
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert "you are not among the people this deployment lets purge" in call.text
    assert teo.calls_of("CreatePurgeTask") == []


def press(action_id: str, value: str, *, user: str, ephemeral: bool = True) -> dict[str, Any]:
    payload = fixture("block_actions_share.json")
    payload["user"]["id"] = user
    payload["container"]["is_ephemeral"] = ephemeral
    payload["actions"][0].update(action_id=action_id, value=value)
    return payload


async def ask_to_purge(bot: Bot, target: str, *, user: str) -> dict[str, Any]:
    await bot.command(f"purge {target}", user_id=user)
    (question,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert question.body["response_type"] == "ephemeral"
    confirm, cancel = buttons(question)
    assert (confirm["action_id"], cancel["action_id"]) == (PURGE_CONFIRM, PURGE_CANCEL)
    assert "nothing happens until confirmed" in question.block_text()
    return confirm


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_purge_confirmed_by_the_button(bot: Bot, teo: FakeTeo) -> None:
    teo.world.purge_statuses = ["processing", "processing", "success"]
    confirm = await ask_to_purge(bot, f"https://{HOST}/app.js", user="U0BOB")
    assert teo.calls_of("CreatePurgeTask") == []  # nothing before the press
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0BOB"))
    await bot.fake.wait_for(
        lambda: any("Purged" in c.text for c in bot.fake.of("chat.update")), limit=LIMIT
    )
    (create,) = teo.calls_of("CreatePurgeTask")
    assert create.params["Type"] == "purge_url"
    assert create.params["Targets"] == [f"https://{HOST}/app.js"]
    assert len(teo.calls_of("DescribePurgeTasks")) == 3  # polled until done
    (started,) = bot.fake.of("chat.postMessage")
    assert started.body["channel"] == "C0INCIDENT"
    assert "confirmed by <@U0BOB>" in started.text
    done = bot.fake.of("chat.update")[-1]
    assert done.body["ts"] == "1700000001.000100"  # the message that said it started
    assert f"Purged https://{HOST}/app.js from EdgeOne's cache" in done.text
    replaced = [c for c in bot.fake.of("response_url") if c.body.get("replace_original")]
    assert "Purge confirmed by <@U0BOB>" in replaced[0].text  # the buttons are gone
    # A second press of the same button purges nothing more.
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0BOB"))
    await bot.fake.wait_for(
        lambda: any("confirmed already" in c.text for c in bot.fake.of("response_url"))
    )
    assert len(teo.calls_of("CreatePurgeTask")) == 1


@pytest.mark.parametrize("teo_env", [ALLOWED | {"EO_PURGE_USERS": "U0BOB,U0CAROL"}])
async def test_purge_button_refused_for_another_user(bot: Bot, teo: FakeTeo) -> None:
    confirm = await ask_to_purge(bot, HOST, user="U0BOB")
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0CAROL"))
    await bot.fake.wait_calls("response_url", 2, limit=LIMIT)
    refusal = bot.fake.of("response_url")[-1]
    assert "Only <@U0BOB>, who asked for this purge, can confirm it" in refusal.text
    assert teo.calls_of("CreatePurgeTask") == []


@pytest.mark.parametrize("teo_env", [{"EO_ALLOW_PURGE": "1", "EO_PURGE_GROUPS": "S0OPS"}])
async def test_purge_allowed_through_a_user_group(bot: Bot, teo: FakeTeo) -> None:
    bot.fake.usergroups["S0OPS"] = ["U0DAVE", "U0ALICE"]
    confirm = await ask_to_purge(bot, HOST, user="U0ALICE")
    assert json.loads(confirm["value"])["k"] == "purge_host"
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0ALICE"))
    await bot.fake.wait_for(
        lambda: any("Purged" in c.text for c in bot.fake.of("chat.update")), limit=LIMIT
    )
    (create,) = teo.calls_of("CreatePurgeTask")
    assert (create.params["Type"], create.params["Targets"]) == ("purge_host", [HOST])
    lists = bot.fake.of("usergroups.users.list")
    assert lists
    assert lists[0].body["usergroup"] == "S0OPS"


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_purge_cancelled(bot: Bot, teo: FakeTeo) -> None:
    confirm = await ask_to_purge(bot, HOST, user="U0BOB")
    await bot.action(press(PURGE_CANCEL, confirm["value"], user="U0BOB"))
    await bot.fake.wait_calls("response_url", 2, limit=LIMIT)
    assert "Purge cancelled by <@U0BOB>; nothing was purged" in bot.fake.of("response_url")[-1].text
    assert teo.calls_of("CreatePurgeTask") == []


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_a_purge_the_api_refuses_is_told(bot: Bot, teo: FakeTeo) -> None:
    teo.fail("CreatePurgeTask", "UnauthorizedOperation.CamNoAuth")
    confirm = await ask_to_purge(bot, HOST, user="U0BOB")
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0BOB"))
    await bot.fake.wait_for(
        lambda: any("did not go through" in c.text for c in bot.fake.of("chat.update")),
        limit=LIMIT,
    )
    done = bot.fake.of("chat.update")[-1]
    assert "add teo:CreatePurgeTask to its CAM policy" in done.text


# ---------------------------------------------------------------- in Chinese


def assert_chinese(text: str) -> None:
    """Chinese, with no English sentence outside commands, codes, hosts, URLs and API names."""
    assert has_chinese(text), text
    assert english_runs(text) == [], text


async def chinese_view_update(bot: Bot) -> Call:
    """The update that added EdgeOne's view, in Chinese, to the diagnosis."""

    def with_view() -> list[Call]:
        return [c for c in bot.fake.of("chat.update") if "EdgeOne 视角" in c.block_text()]

    await bot.fake.wait_for(lambda: bool(with_view()), limit=LIMIT, what="EdgeOne 视角")
    await bot.fake.wait_for(lambda: not bot.services.tasks, limit=LIMIT, what="tasks")
    return with_view()[-1]


async def test_a_chinese_mention_of_an_edgeone_host_gets_the_view_in_chinese(
    bot: Bot, teo: FakeTeo
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port, protocol="HTTP", http_port=origin.port)
        teo.world.logs = EdgeLogs(edge)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/cart 一直报 502，帮忙看看")
        final = await chinese_view_update(bot)
    text = final.block_text()
    assert_chinese(text)
    assert_chinese(final.text)
    assert "EdgeOne's view" not in everything_sent(bot)
    assert "*EdgeOne API 对这个结论的看法*" in text
    assert "*证实*：" in text  # the edge's log: the origin's own 502
    assert "*响应节点* 127.0.0.1 是 EdgeOne 节点" in text
    assert "*请求日志* 502，节点 sg-3f2a9c (SG)" in text
    assert f"配置的源站 127.0.0.1:{origin.port} 通过 http 对 HOST {HOST} 返回 502" in text
    assert "查询 EdgeOne API 用时" in text
    labels = [b["text"]["text"] for b in buttons(final)]
    assert labels == ["重新探测", "与源站对比", "分享到频道"]
    assert json.loads(buttons(final)[0]["value"])["l"] == "zh"


async def test_a_chinese_slash_probe_changes_its_channel_line_in_chinese(
    bot: Bot, teo: FakeTeo
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        teo.world.logs = EdgeLogs(edge, origin_status=200)  # EdgeOne's own 502, says its log
        await bot.command(f"探测 http://{HOST}:{edge.port}/cart")
        final = await chinese_view_update(bot)
    assert_chinese(final.block_text())
    assert "*否定*：" in final.block_text()
    assert "_仅凭探测的判断：" in final.block_text()
    summary = bot.fake.of("chat.update")[-1]
    assert summary.body["ts"] == "1700000001.000100"  # the channel line follows the verdict
    assert_chinese(summary.block_text())
    assert "502" in summary.block_text()


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        pytest.param(
            ("DescribeOriginACL", "UnauthorizedOperation.CamNoAuth"),
            "无权调用 DescribeOriginACL：请在它的 CAM 策略中加入 teo:DescribeOriginACL",
            id="unauthorized",
        ),
        pytest.param(
            ("DescribeIPRegion", "RequestLimitExceeded"),
            "DescribeIPRegion 触发了 EdgeOne API 的频率限制",
            id="rate-limited",
        ),
    ],
)
async def test_api_errors_reach_a_chinese_thread_in_chinese(
    bot: Bot, teo: FakeTeo, fault: tuple[str, str], words: str
) -> None:
    teo.fail(*fault)
    with (
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        configure(teo, origin.port)
        await probe_in_thread(bot, f"http://{HOST}:{edge.port}/ 打不开")
        final = await chinese_view_update(bot)
    assert words in final.block_text()
    assert_chinese(final.block_text())


async def test_a_chinese_zone_card(bot: Bot, teo: FakeTeo) -> None:
    for n, text in enumerate((f"站点 {HOST}", "站点 www.elsewhere.org"), start=1):
        await bot.command(text)
        await bot.fake.wait_calls("response_url", n, limit=LIMIT)  # one answer at a time
    card, nowhere = bot.fake.of("response_url")
    usage = await acked(await bot.command("站点"))  # a usage error is the acknowledgement
    assert card.body["response_type"] == "ephemeral"
    text = card.block_text()
    assert_chinese(text)
    assert f"EdgeOne 站点状态卡：{HOST}（站点 example.com）" in text
    for label in ("*站点*", "*加速域名*", "*源站*", "*源站防护*", "*最近一小时*"):
        assert label in text
    assert "这些 EdgeOne 站点都没有加速 www.elsewhere.org（example.com）" in nowhere.text
    assert_chinese(nowhere.block_text())
    assert "用法：`站点 &lt;域名&gt;`，例如 `站点 shop.example.com`。" in usage.block_text()


async def test_an_english_zone_command_in_a_chinese_deployment(bot: Bot, teo: FakeTeo) -> None:
    bot.services.language = "zh"  # EO_LANGUAGE=zh: every answer in Chinese
    await bot.command(f"zone {HOST}")
    (card,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert_chinese(card.block_text())
    assert f"EdgeOne 站点状态卡：{HOST}" in card.block_text()


async def test_chinese_logs_in_a_thread(bot: Bot, teo: FakeTeo) -> None:
    at = datetime.now(UTC) - timedelta(minutes=20)
    teo.world.logs.append(log_line("4105283880544427145", at=at, edge_status=524))
    await bot.event(mention(f"<@UBOT> 日志 4105283880544427145 {HOST}"))
    await bot.fake.wait_calls("chat.postMessage", limit=LIMIT)
    await bot.event(mention("<@UBOT> 日志 12345678"))
    found, missing = await bot.fake.wait_calls("chat.postMessage", 2, limit=LIMIT)
    assert found.body["thread_ts"] == THREAD
    assert_chinese(found.block_text())
    assert "*EdgeOne 日志* `4105283880544427145`" in found.block_text()
    assert "524，节点 sg-3f2a9c (SG)" in found.block_text()
    assert_chinese(missing.block_text())


async def test_chinese_help_lists_the_chinese_commands(bot: Bot) -> None:
    call = await acked(await bot.command("帮助"))
    text = call.block_text()
    assert_chinese(text)
    assert "*EdgeOne 视角*（已配置 API 凭据）" in text
    for command in ("/eo 站点", "/eo 日志", "/eo 刷新缓存"):
        assert command in text


async def test_chinese_purge_refused_when_off(bot: Bot, teo: FakeTeo) -> None:
    await bot.command(f"刷新缓存 https://{HOST}/app.js")
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert "不能刷新缓存：这里没有开启刷新缓存（部署时设置 EO_ALLOW_PURGE 即可开启）。" in call.text
    assert_chinese(call.block_text())
    assert teo.calls_of("CreatePurgeTask") == []


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_a_chinese_purge_is_confirmed_and_told_in_chinese(bot: Bot, teo: FakeTeo) -> None:
    teo.world.purge_statuses = ["processing", "success"]
    await bot.command(f"刷新缓存 https://{HOST}/app.js", user_id="U0BOB")
    (question,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert_chinese(question.block_text())
    assert f"确认刷新 EdgeOne 上 https://{HOST}/app.js 的缓存吗？（站点 example.com）" in (
        question.block_text()
    )
    assert "确认之前不会执行任何操作" in question.block_text()
    confirm, cancel = buttons(question)
    assert (confirm["text"]["text"], cancel["text"]["text"]) == ("刷新缓存", "取消")
    assert json.loads(confirm["value"])["l"] == "zh"  # the button carries the language
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0BOB"))
    await bot.fake.wait_for(
        lambda: any("已刷新" in c.text for c in bot.fake.of("chat.update")), limit=LIMIT
    )
    (started,) = bot.fake.of("chat.postMessage")
    assert_chinese(started.text)
    assert "由 <@U0BOB> 确认" in started.text
    done = bot.fake.of("chat.update")[-1]
    assert_chinese(done.block_text())
    assert f"已刷新 EdgeOne 上 https://{HOST}/app.js 的缓存（任务" in done.text
    replaced = [c for c in bot.fake.of("response_url") if c.body.get("replace_original")]
    assert "<@U0BOB> 已确认刷新缓存。" in replaced[0].text
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0BOB"))
    await bot.fake.wait_for(
        lambda: any("这次刷新已经确认过了" in c.text for c in bot.fake.of("response_url"))
    )
    assert len(teo.calls_of("CreatePurgeTask")) == 1
    assert "Purge" not in everything_sent(bot).replace("CreatePurgeTask", "")


@pytest.mark.parametrize("teo_env", [ALLOWED | {"EO_PURGE_USERS": "U0BOB,U0CAROL"}])
async def test_a_chinese_purge_refused_to_another_and_cancelled_in_chinese(
    bot: Bot, teo: FakeTeo
) -> None:
    await bot.command(f"清除缓存 {HOST}", user_id="U0BOB")
    (question,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    confirm, cancel = buttons(question)
    await bot.action(press(PURGE_CONFIRM, confirm["value"], user="U0CAROL"))
    await bot.fake.wait_calls("response_url", 2, limit=LIMIT)
    refusal = bot.fake.of("response_url")[-1]
    assert "只有发起这次刷新的 <@U0BOB> 可以确认。" in refusal.text
    await bot.action(press(PURGE_CANCEL, cancel["value"], user="U0BOB"))
    await bot.fake.wait_calls("response_url", 3, limit=LIMIT)
    assert "<@U0BOB> 取消了缓存刷新，没有刷新任何内容。" in bot.fake.of("response_url")[-1].text
    assert teo.calls_of("CreatePurgeTask") == []


@pytest.mark.parametrize("teo_env", [ALLOWED])
async def test_an_unreadable_purge_button_answers_in_the_deployments_language(
    bot: Bot, teo: FakeTeo
) -> None:
    bot.services.language = "zh"
    await bot.action(press(PURGE_CONFIRM, '{"v":1,"k":"purge_url"}', user="U0BOB"))
    (call,) = await bot.fake.wait_calls("response_url", limit=LIMIT)
    assert "无法识别这个刷新缓存按钮，请重新发起刷新。" in call.text
    assert teo.calls_of("CreatePurgeTask") == []
