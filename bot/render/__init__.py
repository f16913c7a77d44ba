"""Renderers: typed results in, text / JSON / Block Kit out. No I/O here."""
