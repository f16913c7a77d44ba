"""`eo-bot serve` in Socket Mode, end to end: a real process, real signals, and a fake Slack on
loopback whose ``apps.connections.open`` hands out a ``ws://`` link that speaks the protocol
(hello, envelopes, acks, disconnect/refresh_requested, dropped links)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.servers import HTTPServer, closed_port
from tests.slack.conftest import SECRET, TOKEN, fixture
from tests.slack.fake_slack import FakeSlack
from tests.slack.serve_process import FAST, ServeProcess, serving

APP_TOKEN = "xapp-1-A0TEST-1234-0123456789abcdef"


def socket_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.api_url,
        **FAST,
        **extra,
    }


def command(fake: FakeSlack, text: str, name: str = "cmd") -> dict[str, Any]:
    form = fixture("slash_command.json")
    form.update(text=text, response_url=fake.response_url(name))
    return dict(form)


def mention(text: str, event_id: str = "Ev0MENTION") -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    envelope["event"]["text"] = text
    envelope["event_id"] = event_id
    return envelope


def clean(log: str) -> None:
    """What every run's stderr must not contain."""
    assert "Traceback" not in log
    assert "will be unused" not in log  # slack-bolt's warning about the token from os.environ
    for secret in (TOKEN, APP_TOKEN, SECRET):
        assert secret not in log


@pytest.fixture
async def connected(fake: FakeSlack) -> AsyncIterator[ServeProcess]:
    async with serving(socket_env(fake)) as served:
        await fake.socket.wait_link(1)
        await served.wait_health(200)
        yield served


# -- connect and answer -----------------------------------------------------------------------


async def test_connects_with_the_app_token_and_answers_each_kind(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    (opened,) = fake.of("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert fake.of("auth.test")[0].headers["Authorization"] == f"Bearer {TOKEN}"
    status, health = await connected.health()
    assert (status, health["mode"], health["connected"]) == (200, "socket", True)

    slash = await fake.socket.send("slash_commands", command(fake, "524"))
    (ack,) = await fake.socket.wait_ack(slash)
    assert ack["envelope_id"] == slash
    assert "524" in ack["payload"]["text"]  # the answer is the acknowledgement itself

    event = await fake.socket.send("events_api", mention("<@UBOT> 524"))
    await fake.socket.wait_ack(event)
    (posted,) = await fake.wait_calls("chat.postMessage", limit=10.0)
    assert posted.body["thread_ts"] == "1700000000.000100"
    assert "524" in posted.text

    action = fixture("block_actions_share.json")
    action["actions"][0].update(action_id="eo_probe_again", value='{"u":"javascript:x"}')
    action["response_url"] = fake.response_url("action")
    clicked = await fake.socket.send("interactive", action)
    await fake.socket.wait_ack(clicked)
    (refusal,) = await fake.wait_calls("response_url", limit=10.0)
    assert "could not read" in refusal.text

    assert await connected.stop(signal.SIGTERM) == 0
    assert fake.socket.links[0].closed.is_set()
    clean(connected.log)


async def test_redelivered_envelopes_are_acknowledged_again_but_answered_once(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    first = await fake.socket.send("slash_commands", command(fake, "524"))
    await fake.socket.wait_ack(first)
    # Slack did not get that ack (as far as it knows): the same envelope comes again.
    again = await fake.socket.send(
        "slash_commands", command(fake, "524"), envelope_id=first, retry_attempt=1
    )
    assert again == first
    await fake.socket.wait_ack(first, 2)
    # The same event in a new envelope, as Slack retries an event: answered once too.
    event = await fake.socket.send("events_api", mention("<@UBOT> 522", "Ev0SAME"))
    retry = await fake.socket.send(
        "events_api", mention("<@UBOT> 522", "Ev0SAME"), retry_attempt=1, retry_reason="timeout"
    )
    await fake.socket.wait_ack(event)
    await fake.socket.wait_ack(retry)
    # A later, different command: once it is answered, anything the duplicates caused would be.
    later = await fake.socket.send("slash_commands", command(fake, "502", "later"))
    (answered,) = await fake.socket.wait_ack(later)
    assert "502" in answered["payload"]["text"]
    await fake.wait_calls("chat.postMessage", limit=10.0)
    answers = [ack for ack in fake.socket.acks(first) if "payload" in ack]
    assert len(answers) == 1  # the redelivery is acknowledged without an answer
    assert len(fake.socket.acks(first)) == 2
    assert len(fake.of("chat.postMessage")) == 1
    assert "delivered again" in connected.log


async def test_odd_messages_on_the_link_are_acknowledged_or_ignored_in_one_line(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    link = fake.socket.current
    for raw in ("not json", "[1, 2]", '"hello"', '{"type": "events_api"}', '{"envelope_id": 7}'):
        await link.ws.send_str(raw)
    await link.ws.send_bytes(b"\x00\x01binary")
    odd = [
        ("events_api", ["a", "list"]),
        ("events_api", {"type": "event_callback", "event": ["not", "an", "object"]}),
        ("interactive", {"type": "block_actions", "actions": []}),
        ("interactive", {**fixture("block_actions_share.json"), "user": "U0ALICE"}),
        ("slash_commands", {"command": ["/eo"], "text": "524"}),
    ]
    envelopes = [await fake.socket.send(kind, payload) for kind, payload in odd]  # type: ignore[arg-type]
    for envelope_id in envelopes:
        (ack,) = await fake.socket.wait_ack(envelope_id)
        assert ack == {"envelope_id": envelope_id}  # acknowledged, so Slack does not resend it
    # The link still works.
    slash = await fake.socket.send("slash_commands", command(fake, "524"))
    (ack,) = await fake.socket.wait_ack(slash)
    assert "524" in ack["payload"]["text"]
    assert (await connected.health())[0] == 200
    assert await connected.stop() == 0
    assert len(fake.socket.links) == 1
    warnings = [line for line in connected.log.splitlines() if " WARNING " in line]
    # One line for each odd text message and each odd envelope; binary frames are ignored.
    assert len(warnings) == 5 + len(odd)
    clean(connected.log)


async def test_refresh_requested_opens_a_new_link_before_the_old_one_goes(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    old = fake.socket.current
    new = await fake.socket.refresh(old)
    assert new.number == 2
    assert len(fake.of("apps.connections.open")) == 2
    assert new.connections_at_hello == 2  # the old link was still open when the new one came
    slash = await fake.socket.send("slash_commands", command(fake, "524"), link=new)
    (ack,) = await fake.socket.wait_ack(slash)
    assert "524" in ack["payload"]["text"]
    assert (await connected.health())[0] == 200
    assert await connected.stop() == 0
    clean(connected.log)


async def test_a_dropped_link_is_replaced_and_answers_again(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    fake.socket.current.drop()
    new = await fake.socket.wait_link(2)
    slash = await fake.socket.send("slash_commands", command(fake, "524"), link=new)
    (ack,) = await fake.socket.wait_ack(slash)
    assert "524" in ack["payload"]["text"]
    await connected.wait_health(200)
    assert await connected.stop() == 0
    assert "reconnecting" in connected.log
    clean(connected.log)


async def test_a_silent_link_is_found_by_the_heartbeat_and_replaced(fake: FakeSlack) -> None:
    async with serving(socket_env(fake, EO_SLACK_PING_INTERVAL="0.2")) as served:
        silent = await fake.socket.wait_link(1)
        silent.silent = True  # still open, but nothing comes back any more
        new = await fake.socket.wait_link(2)
        slash = await fake.socket.send("slash_commands", command(fake, "524"), link=new)
        (ack,) = await fake.socket.wait_ack(slash)
        assert "524" in ack["payload"]["text"]
        assert await served.stop() == 0
    assert "reconnecting" in served.log
    clean(served.log)


async def test_watches_say_goodbye_when_socket_mode_stops(
    fake: FakeSlack,
) -> None:
    env = socket_env(fake, EO_PROBE_ALLOW_NETWORKS="127.0.0.0/8", EO_PROBE_ALLOW_PORTS="1-65535")
    with HTTPServer(status=502) as target:
        async with serving(env) as served:
            await fake.socket.wait_link(1)
            text = f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 10m"
            event = await fake.socket.send("events_api", mention(text))
            await fake.socket.wait_ack(event)
            await fake.wait_for(
                lambda: any("Watching" in c.block_text() for c in fake.of("chat.update")),
                limit=10.0,
                what="the watch's first diagnosis",
            )
            assert await served.stop(signal.SIGTERM) == 0
    told = fake.of("chat.postMessage")[-1]
    assert "shutting down" in told.text
    assert told.body["thread_ts"] == "1700000000.000100"
    clean(served.log)


async def test_refused_websocket_upgrades_are_retried_with_one_line_each(
    fake: FakeSlack,
) -> None:
    fake.socket.refuse_links = True
    async with serving(socket_env(fake)) as served:
        await fake.wait_for(
            lambda: len(fake.of("apps.connections.open")) >= 3, limit=10.0, what="retries"
        )
        body = await served.wait_health(503)
        assert "websocket" in body["reason"]
        fake.socket.refuse_links = False
        await fake.socket.wait_link(1)
        await served.wait_health(200)
        assert await served.stop() == 0
    lines = [line for line in served.log.splitlines() if "websocket handshake" in line]
    assert len(lines) >= 2
    assert all("trying again in" in line for line in lines)
    clean(served.log)


# -- tokens Slack refuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", ["invalid_auth", "not_allowed_token_type", "account_inactive", "token_revoked"]
)
async def test_a_refused_app_token_stops_start_up_with_exit_2(fake: FakeSlack, error: str) -> None:
    fake.error_next("apps.connections.open", error, times=5)
    async with serving(socket_env(fake)) as served:
        status = await served.wait_exit()
    assert status == 2
    assert len(fake.of("apps.connections.open")) == 1  # not retried
    last = served.log.strip().splitlines()[-1]
    assert last.startswith("eo-bot serve: SLACK_APP_TOKEN: ")
    assert error in last
    clean(served.log)


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_a_refused_bot_token_stops_start_up_with_exit_2(fake: FakeSlack, mode: str) -> None:
    fake.error_next("auth.test", "invalid_auth", times=5)
    env = socket_env(fake)
    if mode == "http":
        env.pop("SLACK_APP_TOKEN")
        env["SLACK_SIGNING_SECRET"] = SECRET
    async with serving(env) as served:
        status = await served.wait_exit()
    assert status == 2
    last = served.log.strip().splitlines()[-1]
    assert last.startswith("eo-bot serve: SLACK_BOT_TOKEN: ")
    assert "invalid_auth" in last
    assert fake.of("apps.connections.open") == []
    clean(served.log)


async def test_an_app_token_revoked_while_running_stops_the_bot(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    fake.error_next("apps.connections.open", "token_revoked", times=5)
    fake.socket.current.drop()
    assert await connected.wait_exit() == 2
    assert "SLACK_APP_TOKEN" in connected.log.strip().splitlines()[-1]
    clean(connected.log)


# -- Slack unreachable, and signals in every state ---------------------------------------------


async def test_unreachable_slack_is_one_line_per_attempt_and_health_says_why() -> None:
    port = closed_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        **FAST,
    }
    async with serving(env) as served:
        await served.wait_log("trying again in", count=3)
        body = await served.wait_health(503)
        assert body["connected"] is False
        assert "cannot connect to 127.0.0.1" in body["reason"]
        assert await served.stop(signal.SIGTERM) == 0
    attempts = [line for line in served.log.splitlines() if "trying again in" in line]
    assert len(attempts) >= 3
    assert all("cannot connect to 127.0.0.1" in line for line in attempts)
    clean(served.log)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_it_while_slack_does_not_answer(
    fake: FakeSlack, sig: signal.Signals
) -> None:
    fake.hold("apps.connections.open")
    async with serving(socket_env(fake)) as served:
        await fake.wait_for(lambda: bool(fake.of("apps.connections.open")), limit=10.0)
        assert await served.stop(sig) == 0
    clean(served.log)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_it_while_checking_the_bot_token(
    fake: FakeSlack, sig: signal.Signals
) -> None:
    fake.hold("auth.test")
    async with serving(socket_env(fake)) as served:
        await fake.wait_for(lambda: bool(fake.of("auth.test")), limit=10.0)
        body = await served.wait_health(503)
        assert "SLACK_BOT_TOKEN" in body["reason"]
        assert await served.stop(sig) == 0
    clean(served.log)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_it_while_connected(
    connected: ServeProcess, fake: FakeSlack, sig: signal.Signals
) -> None:
    assert await connected.stop(sig) == 0
    assert fake.socket.links[0].closed.is_set()
    assert "stopping" in connected.log
    clean(connected.log)


async def test_a_signal_stops_it_while_reconnecting(
    connected: ServeProcess, fake: FakeSlack
) -> None:
    fake.socket.refuse_links = True
    fake.socket.current.drop()
    await fake.wait_for(
        lambda: len(fake.of("apps.connections.open")) >= 3, limit=10.0, what="reconnections"
    )
    body = await connected.wait_health(503)
    assert body["connected"] is False
    assert await connected.stop(signal.SIGTERM) == 0
    clean(connected.log)


async def test_bot_token_check_is_retried_until_slack_answers_in_http_mode(
    fake: FakeSlack,
) -> None:
    fake.fail_next("auth.test", status=503, retry_after=None, times=3)
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    async with serving({**env, **FAST}) as served:
        body = await served.wait_health(200)
        assert body == {"ok": True, "mode": "http", "store": "memory"}
        assert len(fake.of("auth.test")) == 4
        assert await served.stop() == 0
    assert served.log.count("trying again in") == 3
    clean(served.log)
