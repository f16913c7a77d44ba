"""The Slack-level fixtures (real endpoint, fake Slack on loopback) for the adversarial tests."""

from tests.slack.conftest import bot, fake, services

__all__ = ["bot", "fake", "services"]
