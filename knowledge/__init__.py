"""Installed as the data package ``bot._knowledge``: the YAML files next to this one.

Only the import system needs this file (an editable install maps the package here); the knowledge
itself is data, read by ``bot.knowledge.loader``.
"""
