"""An alert's lines reach ``find_alert`` as lines, through the Slack layer.

``find_alert`` judges each line on its own (a "resolved" first line, words that lend context to a
number only on their own line). Before the fix ``alert_text`` flattened the message to one line,
so a resolved notification whose body said "firing" was answered, and a code at the start of a
line lost its context.
"""

from __future__ import annotations

from bot.markup import to_plain
from bot.slack.mentions import alert_text
from tests.slack.conftest import Bot
from tests.slack.test_oncall import alert_event


def test_alert_text_keeps_the_lines_of_text_attachments_and_fields() -> None:
    event = alert_event("**Resolved**\nEdgeOne 522 ratio on shop.example.com")["event"]
    event["attachments"] = [{"title": "Runbook", "fields": [{"title": "Status", "value": "ok"}]}]
    assert alert_text(event).splitlines() == [
        "Resolved",
        "EdgeOne 522 ratio on shop.example.com",
        "Runbook",
        "Status: ok",
    ]


def test_to_plain_keeps_lines_only_when_asked() -> None:
    raw = "  <https://a.example.com|docs>  said\r\n\r\n\n  *524*\u2028on  :fire: x\tz  \n"
    assert to_plain(raw).text == "docs https://a.example.com said 524 on x z"
    assert to_plain(raw, lines=True).text == "docs https://a.example.com said\n524\non x z"


async def test_a_resolved_notification_is_not_answered(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    await bot.event(alert_event("**Resolved**\nEdgeOne 522 ratio on shop.example.com"))
    await bot.event(
        alert_event(
            "[RESOLVED] EdgeOne 524 on shop.example.com\nStatus: firing -> resolved", ts="2.0"
        )
    )
    # A firing alert afterwards is answered: the listener ran, and the two above were skipped.
    await bot.event(alert_event("[FIRING:1] EdgeOne 522 ratio on shop.example.com", ts="3.0"))
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    assert answer.body["thread_ts"] == "3.0"
    assert len(bot.fake.of("chat.postMessage")) == 1


async def test_a_code_that_starts_its_line_is_read_with_that_line(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    await bot.event(alert_event("New incident #1234\n522 for shop.example.com"))
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert "522" in answer.text
