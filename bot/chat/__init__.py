"""The conversation core: what the bot does with a message, whatever the surface (Slack, console).

Nothing here imports Slack. Surfaces turn their payloads into a ``Turn`` and implement ``Surface``
to deliver typed replies; the same handlers then serve Slack and the terminal console.
"""
