"""eo-bot: answers EdgeOne status codes and probes failing URLs, from Slack or a terminal."""

__version__ = "0.1.0"
