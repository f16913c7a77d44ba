"""The Slack face of the bot: a slack-bolt AsyncApp over the core (intent, knowledge, probe)."""
