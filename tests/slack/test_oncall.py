"""The on-call workflow through the real endpoint: probe again with what changed, compare with
origin (modal), share, alert channels, watches (recovery, change, expiry, cancel, limits,
shutdown) and the App Home tab. Targets are loopback servers whose behaviour the test changes."""

from __future__ import annotations

import copy
import json
import urllib.parse
from typing import Any

from bot.chat.limits import RateLimiter
from bot.chat.watches import WatchSettings
from bot.probe.safety import TargetRefused
from tests.servers import HTTPServer
from tests.servers.http import RecordedRequest, Response
from tests.slack.conftest import Bot, fixture
from tests.slack.fake_slack import Call

THREAD = "1700000000.000100"  # the thread of the app_mention fixture


class Switch:
    """A loopback route whose status the test flips between probes."""

    def __init__(self, status: int) -> None:
        self.status = status

    def __call__(self, _: RecordedRequest) -> Response:
        return Response(status=self.status, body=f"status {self.status}".encode())


def mention(
    text: str, *, ts: str = "1700000100.000200", thread: str | None = THREAD
) -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    envelope["event"].update(text=text, ts=ts, event_ts=ts)
    envelope["event_id"] = f"Ev{ts.replace('.', '')}"
    if thread is None:
        del envelope["event"]["thread_ts"]
    else:
        envelope["event"]["thread_ts"] = thread
    return envelope


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in call.blocks if b["type"] == "actions" for e in b["elements"]}


def press(
    message: Call, action_id: str, *, user: str = "U0ALICE", ts: str | None = None
) -> dict[str, Any]:
    """A block_actions payload for a button of a message the bot posted (or updated)."""
    button = buttons(message)[action_id]
    payload = fixture("block_actions_share.json")
    payload["user"]["id"] = user
    payload["container"].update(is_ephemeral=False, message_ts=ts or message.body.get("ts"))
    payload["message"] = {
        "type": "message",
        "ts": ts or message.body.get("ts"),
        "thread_ts": message.body.get("thread_ts") or THREAD,
        "text": message.text,
    }
    payload["actions"][0].update(action_id=action_id, value=button["value"])
    return payload


async def probe_in_thread(bot: Bot, url: str, text: str = "") -> Call:
    """Mention the bot with ``url``; return the final diagnosis (the progress message updated)."""
    await bot.event(mention(f"<@UBOT> {url} {text}".strip()))
    await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    return bot.fake.of("chat.update")[-1]


# -- probe again --------------------------------------------------------------------------------


async def test_probe_again_posts_what_changed_in_the_same_thread(bot: Bot) -> None:
    switch = Switch(522)
    with HTTPServer({"/cart": switch}) as target:
        url = f"http://127.0.0.1:{target.port}/cart"
        first = await probe_in_thread(bot, url, "gives 522")
        assert "522" in first.block_text()
        assert set(buttons(first)) == {"eo_probe_again", "eo_compare", "eo_share_probe"}
        first_ts = bot.fake.of("chat.postMessage")[0].body.get("thread_ts")
        assert first_ts == THREAD

        switch.status = 200
        payload = press(first, "eo_probe_again", ts="1700000001.000100")
        response = await bot.action(payload)
        assert response.status == 200
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        assert target.hits == 2
    again_progress = bot.fake.of("chat.postMessage")[1]
    assert again_progress.body["thread_ts"] == THREAD
    second = bot.fake.of("chat.update")[-1]
    assert second.body["ts"] != first.body["ts"]
    text = second.block_text()
    assert "What changed" in text
    assert "522 → 200" in text
    assert "now answers in" in text
    assert "What changed: 522 → 200" in second.text  # the notification fallback says it too
    # The new diagnosis carries its own result, so a third press compares with the 200.
    value = json.loads(buttons(second)["eo_probe_again"]["value"])
    assert value["s"]["s"] == 200
    assert value["u"] == url


async def test_probe_again_with_a_forged_value_is_refused_privately(bot: Bot) -> None:
    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id="eo_probe_again", value='{"u":"javascript:alert(1)"}')
    await bot.action(payload)
    (private,) = await bot.fake.wait_calls("response_url")
    assert private.body["response_type"] == "ephemeral"
    assert private.body["replace_original"] is False
    assert "could not read" in private.text
    assert bot.fake.of("chat.postMessage") == []


async def test_probe_again_of_an_internal_address_is_refused(bot: Bot) -> None:
    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id="eo_probe_again", value='{"u":"http://10.0.0.1/"}')
    await bot.action(payload)
    (private,) = await bot.fake.wait_calls("response_url")
    assert "won't probe" in private.text
    assert bot.fake.of("chat.postMessage") == []


# -- compare with origin ------------------------------------------------------------------------


async def submit(bot: Bot, opened: Call, origin: str) -> Any:
    view = (
        json.loads(opened.body["view"])
        if isinstance(opened.body["view"], str)
        else opened.body["view"]
    )
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "example-ops"},
        "user": {"id": "U0ALICE", "team_id": "T0TEST"},
        "api_app_id": "A0EOBOT",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": "13345224609.738474920.8088930838d88f008e1",
        "view": {
            **view,
            "id": "V0COMPARE",
            "state": {
                "values": {
                    "origin": {"origin_input": {"type": "plain_text_input", "value": origin}}
                }
            },
        },
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    sent = {"Content-Type": "application/x-www-form-urlencoded"}
    from tests.slack.conftest import sign

    async with bot.session.post(bot.url, data=body, headers={**sent, **sign(body)}) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def test_compare_with_origin_opens_a_modal_and_probes_both(bot: Bot) -> None:
    with HTTPServer(status=502, body=b"bad gateway") as edge, HTTPServer(status=200) as origin:
        first = await probe_in_thread(bot, f"http://127.0.0.1:{edge.port}/")
        await bot.action(press(first, "eo_compare", ts="1700000001.000100"))
        (opened,) = await bot.fake.wait_calls("views.open")
        assert opened.body["trigger_id"]
        view = opened.view
        assert view["callback_id"] == "eo_compare_modal"
        assert len(view["private_metadata"]) <= 3000

        status, answer = await submit(bot, opened, "not an origin!")
        assert status == 200
        assert answer["response_action"] == "errors"
        assert "origin" in answer["errors"]

        status, answer = await submit(bot, opened, f"127.0.0.1:{origin.port}")
        assert status == 200
        assert not answer
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        assert origin.hits == 1
        assert edge.hits == 2
    compared = bot.fake.of("chat.update")[-1]
    assert bot.fake.of("chat.postMessage")[1].body["thread_ts"] == THREAD
    text = compared.block_text()
    assert f"127.0.0.1:{origin.port}" in text
    assert "Origin" in text
    assert "What changed" in text  # compared with the probe before, too


# -- share in channel ---------------------------------------------------------------------------


async def test_share_diagnosis_posts_the_verdict_in_the_channel(bot: Bot) -> None:
    with HTTPServer(status=504) as target:
        first = await probe_in_thread(bot, f"http://127.0.0.1:{target.port}/")
    await bot.action(press(first, "eo_share_probe", user="U0BOB", ts="1700000001.000100"))
    await bot.fake.wait_calls("chat.postMessage", 2)
    shared = bot.fake.of("chat.postMessage")[1]
    assert "thread_ts" not in shared.body
    assert shared.body["channel"] == "C0INCIDENT"
    assert "<@U0BOB>" in shared.block_text()
    assert "504" in shared.block_text()


# -- alert channels -----------------------------------------------------------------------------


def alert_event(
    text: str, *, channel: str = "C0ALERTS", ts: str = "1700000500.000100", **extra: Any
) -> dict[str, Any]:
    envelope = fixture("message_im.json")
    event = envelope["event"]
    event.pop("user", None)
    event.update(
        type="message",
        subtype="bot_message",
        bot_id="B0GRAFANA",
        username="Grafana",
        text=text,
        channel=channel,
        channel_type="channel",
        ts=ts,
        event_ts=ts,
    )
    event.update(extra)
    envelope["event_id"] = f"Ev{channel}{ts.replace('.', '')}"
    return envelope


async def test_alert_from_an_integration_is_answered_once_in_its_thread(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    with HTTPServer(status=524, body=b"timeout") as target:
        url = f"http://127.0.0.1:{target.port}/v1/orders"
        envelope = alert_event(f"[FIRING:1] HTTP 524 on <{url}|{url[7:]}>")
        await bot.event(envelope)
        await bot.event(
            envelope, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        assert target.hits == 1
    answer, progress = bot.fake.of("chat.postMessage")
    assert answer.body["thread_ts"] == "1700000500.000100"
    assert progress.body["thread_ts"] == "1700000500.000100"
    assert "524" in answer.block_text()
    assert "Probing" in answer.block_text()
    diagnosis = bot.fake.of("chat.update")[-1]
    assert "524" in diagnosis.block_text()
    assert len(bot.fake.of("chat.postMessage")) == 2  # once per alert


async def test_alert_in_attachments_only_is_found(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    attachments = [
        {
            "title": "EdgeOne origin errors",
            "text": "Status 522 for shop.example.com over the last 5 minutes",
            "fallback": "[Alerting] EdgeOne origin errors",
        }
    ]
    await bot.event(alert_event("", attachments=attachments))
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    assert "522" in answer.block_text()
    assert "probe https://shop.example.com/" in answer.block_text()  # host only: a hint, no probe


async def test_unwatched_channels_look_alikes_and_own_messages_are_ignored(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    with HTTPServer(status=524) as target:
        url = f"http://127.0.0.1:{target.port}/"
        await bot.event(alert_event(f"HTTP 524 on {url}", channel="C0RANDOM", ts="1.1"))
        await bot.event(alert_event(f"deployed build 524 to {url}", ts="2.2"))
        await bot.event(alert_event("ticket #522 closed for shop.example.com", ts="3.3"))
        own = alert_event(f"🔎 Probe of {url}: 524: fault at the origin", ts="4.4", bot_id="BBOT")
        await bot.event(own)
        reply = alert_event(f"still HTTP 524 on {url}", ts="5.5", thread_ts="1.0")
        await bot.event(reply)
        edit = alert_event(f"HTTP 524 on {url}", ts="6.6", subtype="message_changed")
        await bot.event(edit)
        # A real alert afterwards is answered: the ones before were really ignored.
        await bot.event(alert_event("HTTP 522 on shop.example.com", ts="7.7"))
        (only,) = await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
        assert target.hits == 0
    assert only.body["thread_ts"] == "7.7"
    assert len(bot.fake.of("chat.postMessage")) == 1


async def test_a_person_can_raise_an_alert_too(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    person = alert_event("getting 521 on api.example.com since 10:02", ts="8.8", user="U0CAROL")
    del person["event"]["subtype"]
    del person["event"]["bot_id"]
    await bot.event(person)
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert answer.body["thread_ts"] == "8.8"
    assert "521" in answer.block_text()


# -- watches ------------------------------------------------------------------------------------


def fast_watches(bot: Bot, **overrides: Any) -> None:
    values: dict[str, Any] = {"interval": 0.05, "min_duration": 0.1, "default_duration": 5.0}
    values.update(overrides)
    bot.conversation.watches.settings = WatchSettings(**values)


async def test_watch_reports_a_change_then_the_recovery_and_stops(bot: Bot) -> None:
    fast_watches(bot)
    responses = [
        Response(status=502),
        Response(status=502),
        Response(status=503),
        Response(status=200),
    ]
    with HTTPServer(sequence=responses) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 10s"))
        await bot.fake.wait_for(
            lambda: "Recovered" in " ".join(c.text for c in bot.fake.calls),
            limit=5.0,
            what="recovery",
        )
        await bot.settle()
        hits = target.hits
    assert hits == 4  # it stopped after the recovery
    posts = bot.fake.of("chat.postMessage")
    assert all(p.body["thread_ts"] == THREAD for p in posts)
    first_update = bot.fake.of("chat.update")[0]
    assert "eo_watch_cancel" in buttons(first_update)
    news = [p.text for p in posts[1:]]
    assert len(news) == 2, news  # 502 → 502 is not news; 502 → 503 and 503 → 200 are
    assert "502 → 503" in news[0]
    assert "Recovered" in news[1]
    assert "503 → 200" in news[1]
    retired = bot.fake.of("chat.update")[-1]
    assert "eo_watch_cancel" not in buttons(retired)
    assert "ended" in retired.block_text()
    assert len(bot.conversation.watches) == 0


async def test_watch_of_a_healthy_url_stops_at_once(bot: Bot) -> None:
    fast_watches(bot)
    with HTTPServer(status=200) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        assert target.hits == 1
    assert "already answers normally" in bot.fake.of("chat.postMessage")[1].text


async def test_watch_that_runs_out_of_time_says_so(bot: Bot) -> None:
    fast_watches(bot)
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 0.3s"))
        await bot.fake.wait_for(
            lambda: any("time is up" in c.text for c in bot.fake.calls), limit=5.0, what="expiry"
        )
        await bot.settle()
        assert target.hits >= 2
    assert len(bot.conversation.watches) == 0


async def test_cancel_button_stops_a_watch(bot: Bot) -> None:
    fast_watches(bot, interval=0.2)
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 1m"))
        await bot.fake.wait_calls("chat.update")
        await bot.fake.wait_for(
            lambda: "eo_watch_cancel" in buttons(bot.fake.of("chat.update")[-1]),
            what="watch started",
        )
        first = bot.fake.of("chat.update")[-1]
        await bot.action(press(first, "eo_watch_cancel", user="U0BOB", ts="1700000001.000100"))
        await bot.fake.wait_for(
            lambda: any("cancelled" in c.text for c in bot.fake.of("chat.postMessage")),
            what="cancel",
        )
        await bot.settle()
        hits = target.hits
    cancelled = bot.fake.of("chat.postMessage")[-1]
    assert "<@U0BOB>" in cancelled.block_text()
    assert cancelled.body["thread_ts"] == THREAD
    assert hits <= 3
    assert len(bot.conversation.watches) == 0
    # Pressing it again tells the presser it has ended, privately.
    await bot.action(press(first, "eo_watch_cancel", ts="1700000001.000100"))
    (private,) = await bot.fake.wait_calls("response_url")
    assert "already ended" in private.text


async def test_unwatch_in_the_thread_stops_its_watches(bot: Bot) -> None:
    fast_watches(bot, interval=0.2)
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/"))
        await bot.fake.wait_calls("chat.update")
        await bot.event(mention("<@UBOT> stop watching", ts="1700000100.000900"))
        await bot.fake.wait_for(
            lambda: any("cancelled" in c.text for c in bot.fake.of("chat.postMessage")),
            what="unwatch",
        )
        await bot.settle()
    assert len(bot.conversation.watches) == 0


async def test_watch_limits_per_user_and_per_channel(bot: Bot) -> None:
    fast_watches(bot, interval=5.0, per_user=1, per_channel=2)
    with HTTPServer(status=502) as target:
        url = f"http://127.0.0.1:{target.port}/"
        await bot.event(mention(f"<@UBOT> watch {url}", ts="1.1", thread="1.0"))
        await bot.fake.wait_calls("chat.update")
        await bot.event(mention(f"<@UBOT> watch {url}b", ts="2.1", thread="2.0"))
        refusal = (await bot.fake.wait_calls("chat.postMessage", 2))[-1]
        assert "You already have 1 watch running" in refusal.text
        assert refusal.body["thread_ts"] == "2.0"

        other = mention(f"<@UBOT> watch {url}c", ts="3.1", thread="3.0")
        other["event"]["user"] = "U0BOB"
        await bot.event(other)
        await bot.fake.wait_calls("chat.update", 2)
        third = mention(f"<@UBOT> watch {url}d", ts="4.1", thread="4.0")
        third["event"]["user"] = "U0CAROL"
        await bot.event(third)
        await bot.fake.wait_for(
            lambda: any("This channel already has 2" in c.text for c in bot.fake.calls),
            what="channel limit",
        )
        assert len(bot.conversation.watches) == 2
        await bot.conversation.shutdown(limit=2.0)


async def test_shutdown_stops_watches_and_tells_their_threads(bot: Bot) -> None:
    fast_watches(bot, interval=30.0)
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/"))
        await bot.fake.wait_for(
            lambda: (
                bool(bot.fake.of("chat.update"))
                and "eo_watch_cancel" in buttons(bot.fake.of("chat.update")[-1])
            ),
            what="watch started",
        )
        await bot.conversation.shutdown(limit=2.0)
    told = bot.fake.of("chat.postMessage")[-1]
    assert "shutting down" in told.text
    assert told.body["thread_ts"] == THREAD
    assert len(bot.conversation.watches) == 0
    assert len(bot.services.tasks) == 0


async def test_watch_without_a_url_explains_usage(bot: Bot) -> None:
    await bot.event(mention("<@UBOT> watch for 30m"))
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert "I need a URL to watch" in answer.text
    assert "watch &lt;url&gt;" in answer.block_text()  # shown as <url>, not read as a link


# -- App Home -----------------------------------------------------------------------------------


def home_opened(user: str) -> dict[str, Any]:
    envelope = copy.deepcopy(fixture("app_mention.json"))
    envelope["event"] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0ALICE",
        "tab": "home",
        "event_ts": "1700000900.000100",
    }
    envelope["event_id"] = f"EvHOME{user}"
    return envelope


async def test_app_home_is_published_with_usage_codes_and_recent_probes(bot: Bot) -> None:
    with HTTPServer(status=522) as target:
        url = f"http://127.0.0.1:{target.port}/checkout"
        await probe_in_thread(bot, url)
    await bot.event(home_opened("U0ALICE"))
    (published,) = await bot.fake.wait_calls("views.publish")
    assert published.body["user_id"] == "U0ALICE"
    view = published.view
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    text = published.view_text()
    assert "/eo 524" in text
    assert url in text
    assert "NODE_FUNCTION_INVOCATION_TIMEOUT" in text  # the code reference, by product

    await bot.event(home_opened("U0BOB"))
    calls = await bot.fake.wait_calls("views.publish", 2)
    assert url not in calls[1].view_text()  # each person sees their own probes
    assert "No probes yet" in calls[1].view_text()


async def test_alert_storm_gets_answers_but_probes_stop_at_the_channel_budget(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    bot.services.alert_rate = RateLimiter(1, 600.0)
    with HTTPServer(status=524) as target:
        url = f"http://127.0.0.1:{target.port}/"
        await bot.event(alert_event(f"HTTP 524 on {url}", ts="1.1"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        await bot.event(alert_event(f"HTTP 524 on {url}", ts="2.2"))
        await bot.fake.wait_calls("chat.postMessage", 3)
        await bot.settle()
        assert target.hits == 1
    second = bot.fake.of("chat.postMessage")[-1]
    assert second.body["thread_ts"] == "2.2"
    assert "No probe: Alerts in this channel have run 1 probes" in second.block_text()


async def test_watch_from_the_slash_command_opens_a_thread(bot: Bot) -> None:
    fast_watches(bot)
    with HTTPServer(sequence=[Response(status=502), Response(status=200)]) as target:
        await bot.command(f"watch http://127.0.0.1:{target.port}/ for 1m")
        await bot.fake.wait_for(
            lambda: any("Recovered" in c.text for c in bot.fake.calls), what="recovery"
        )
        await bot.settle()
    opener, *in_thread = bot.fake.of("chat.postMessage")
    assert "thread_ts" not in opener.body
    assert "Watching" in opener.text
    assert in_thread
    assert all(p.body["thread_ts"] == "1700000001.000100" for p in in_thread)


async def test_watch_in_a_channel_without_the_bot_is_explained_privately(bot: Bot) -> None:
    bot.fake.error_next("chat.postMessage", "not_in_channel")
    with HTTPServer(status=502) as target:
        await bot.command(f"watch http://127.0.0.1:{target.port}/")
        (private,) = await bot.fake.wait_calls("response_url")
        await bot.settle()
        assert target.hits == 0
    assert "/invite" in private.text
    assert len(bot.conversation.watches) == 0
    assert bot.services.cap.running == 0


class FailsAfterFirst:
    """A prober that probes for real once, then raises ``error`` (injected like any prober)."""

    def __init__(self, real: Any, error: Exception) -> None:
        self.real = real
        self.error = error
        self.calls = 0

    async def __call__(self, url: str, *, origin: str | None, on_progress: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            return await self.real(url, origin=origin, on_progress=on_progress)
        raise self.error


async def watch_until_told(bot: Bot, port: int, words: str) -> str:
    await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{port}/"))
    await bot.fake.wait_for(
        lambda: any(words in c.text for c in bot.fake.of("chat.postMessage")), what=words
    )
    await bot.settle()
    return bot.fake.of("chat.postMessage")[-1].text


async def test_watch_that_keeps_crashing_gives_up_and_says_why(bot: Bot) -> None:
    fast_watches(bot, max_errors=2)
    prober = FailsAfterFirst(bot.services.prober, RuntimeError("resolver exploded"))
    bot.services.prober = prober
    with HTTPServer(status=502) as target:
        told = await watch_until_told(bot, target.port, "stopped")
    assert "probing failed 2 times in a row (RuntimeError)" in told
    assert prober.calls == 3
    assert len(bot.conversation.watches) == 0


async def test_watch_stops_when_the_target_becomes_off_limits(bot: Bot) -> None:
    fast_watches(bot)
    refused = TargetRefused("shop.example.com resolves to 10.0.0.7, a private address")
    prober = FailsAfterFirst(bot.services.prober, refused)
    bot.services.prober = prober
    with HTTPServer(status=502) as target:
        told = await watch_until_told(bot, target.port, "won't probe it")
    assert prober.calls == 2  # no retries of a refused target
    assert "private address" in told


async def test_watch_of_an_internal_address_is_refused_at_once(bot: Bot) -> None:
    await bot.event(mention("<@UBOT> watch http://169.254.169.254/latest/meta-data/"))
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert "won't watch that" in answer.text
    assert len(bot.conversation.watches) == 0


async def test_compare_form_that_cannot_open_is_answered(bot: Bot) -> None:
    with HTTPServer(status=502) as target:
        first = await probe_in_thread(bot, f"http://127.0.0.1:{target.port}/")
    bot.fake.error_next("views.open", "expired_trigger_id")
    await bot.action(press(first, "eo_compare", ts="1700000001.000100"))
    (private,) = await bot.fake.wait_calls("response_url")
    assert "could not open the form" in private.text
    assert "origin=" in private.text


async def test_compare_refused_by_the_rate_limit_answers_only_the_submitter(bot: Bot) -> None:
    with HTTPServer(status=502) as edge:
        first = await probe_in_thread(bot, f"http://127.0.0.1:{edge.port}/")
        await bot.action(press(first, "eo_compare", ts="1700000001.000100"))
        (opened,) = await bot.fake.wait_calls("views.open")
        bot.services.rate = RateLimiter(1, 60.0)
        bot.services.rate.acquire("U0ALICE")
        status, _ = await submit(bot, opened, "127.0.0.1:9")
        assert status == 200
        (ephemeral,) = await bot.fake.wait_calls("chat.postEphemeral")
        await bot.settle()
        assert edge.hits == 1
    assert ephemeral.body["user"] == "U0ALICE"
    assert ephemeral.body["thread_ts"] == THREAD
    assert "try again in" in ephemeral.text
