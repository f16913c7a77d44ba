"""The Slack harness of tests/slack (a fake Slack, the real HTTP endpoint on loopback) for the
adversarial tests."""

from tests.slack.conftest import bot, fake, services

__all__ = ["bot", "fake", "services"]
