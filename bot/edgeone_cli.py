"""`eo-bot zone HOST` and `eo-bot logs EO-LOG-UUID [--host HOST]`: EdgeOne's own view on a terminal;
and :func:`probe_view`, the view `eo-bot probe` adds after its diagnosis when credentials are set.

The same questions as ``/eo zone`` and ``/eo logs`` (``bot.edgeone.view.EdgeOne``), rendered as
text (``bot.render.edgeone``) or, with ``--json``, as a versioned JSON object, in ``--lang``
(English unless it or ``EO_LANGUAGE`` says ``zh``). They need the API's credentials
(``TENCENTCLOUD_SECRET_ID``/``TENCENTCLOUD_SECRET_KEY``); without them the answer says what the
API would add and which variables to set.

Exit status: 0 EdgeOne answered (the zone card of a host it serves; the request's log line or its
offline package), 1 it did not (a host in none of the zones, a log line not found or not yet
there, an API problem: the text says which), 2 bad usage, malformed settings or no credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO, TypeVar

from bot.chat.edgeone_replies import EdgeOneAddendum, EdgeOneCommand
from bot.config import ConfigError, edgeone_settings
from bot.diagnosis import Diagnosis
from bot.edgeone.compare import origin_prober
from bot.edgeone.errors import Problem
from bot.edgeone.facts import LogsFact
from bot.edgeone.revise import Revision, concerns, revise
from bot.edgeone.settings import EdgeOneSettings
from bot.edgeone.view import EdgeOne, parse_request_id
from bot.edgeone.zones import ZoneMatch, host_of
from bot.i18n.language import Choice, Language
from bot.i18n.phrase import Phrase, reason_of
from bot.knowledge.loader import KnowledgeBase
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings
from bot.render.edgeone import addendum_text, logs_text, off_text, view_text
from bot.render.json import probe_dict
from bot.render.text import Style

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2
JSON_VERSION = 1

_T = TypeVar("_T")


def run_zone_command(
    args: argparse.Namespace, out: TextIO, *, style: Style, language: Choice = "auto"
) -> int:
    lang = _lang(language)
    settings = _settings("zone", lang)
    if settings is None:
        return EXIT_USAGE
    try:
        host = host_of(args.host)
    except ValueError as exc:
        print(f"eo-bot zone: {reason_of(exc, lang)}", file=sys.stderr)
        return EXIT_USAGE
    view = _ask(settings, lambda edge: edge.zone_card(host))
    if args.json:
        card = _plain(view, lang)
        _dump({"version": JSON_VERSION, "language": lang, "host": host, "card": card}, out)
    else:
        print(view_text(view, style=style, card=True, language=lang), file=out)
    return EXIT_OK if isinstance(view.zone, ZoneMatch) else EXIT_NOT_FOUND


def run_logs_command(
    args: argparse.Namespace, out: TextIO, *, style: Style, language: Choice = "auto"
) -> int:
    lang = _lang(language)
    settings = _settings("logs", lang)
    if settings is None:
        return EXIT_USAGE
    try:
        request_id = parse_request_id(args.request_id)
        host = host_of(args.host) if args.host else None
    except ValueError as exc:
        print(f"eo-bot logs: {reason_of(exc, lang)}", file=sys.stderr)
        return EXIT_USAGE
    answer = _ask(settings, lambda edge: edge.logs(request_id, host=host))
    if args.json:
        data = {"version": JSON_VERSION, "language": lang, "request_id": request_id}
        _dump({**data, "logs": _plain(answer, lang)}, out)
    else:
        print(logs_text(answer, request_id=request_id, language=lang), file=out)
    found = isinstance(answer, LogsFact) and answer.state in ("found", "offline")
    return EXIT_OK if found else EXIT_NOT_FOUND


def probe_view(
    report: ProbeReport,
    *,
    kb: KnowledgeBase,
    probe_settings: ProbeSettings,
    settings: EdgeOneSettings,
    stated_code: int | None,
    language: Language = "en",
) -> Revision | None:
    """EdgeOne's view of a probe and the diagnosis made again with it (``bot.edgeone.revise``);
    None when the host is not EdgeOne's business."""

    async def run() -> Revision | None:
        edge = EdgeOne(settings)
        try:
            if not await concerns(edge, report.edge):
                return None
            prober = origin_prober(probe_settings)
            return await revise(
                edge, prober, kb, report, stated_code=stated_code, language=language
            )
        finally:
            await edge.aclose()

    return asyncio.run(run())


def print_probe_view(
    report: ProbeReport,
    diagnosis: Diagnosis,
    out: TextIO,
    *,
    settings: EdgeOneSettings,
    probe_settings: ProbeSettings,
    kb: KnowledgeBase,
    stated_code: int | None,
    as_json: bool,
    style: Style,
    language: Language = "en",
) -> None:
    """`eo-bot probe` with credentials: the view printed after the diagnosis (already printed as
    text); with ``--json``, one object whose diagnosis weighed the view, which is under
    ``edgeone`` (null when the host is not EdgeOne's). Both in ``language``, as the diagnosis."""
    revision = probe_view(
        report,
        kb=kb,
        probe_settings=probe_settings,
        settings=settings,
        stated_code=stated_code,
        language=language,
    )
    if as_json:
        shown = (revision.report, revision.diagnosis) if revision else (report, diagnosis)
        data = probe_dict(*shown)
        data["edgeone"] = _plain(revision.view, language) if revision else None
        _dump(data, out)
    elif revision is not None:
        addendum = EdgeOneAddendum(revision.view, before=diagnosis)
        print(addendum_text(addendum, revision.diagnosis, style=style, language=language), file=out)


def _lang(choice: Choice) -> Language:
    """``auto`` is English: a host or an ID is no question to read a language from."""
    return "en" if choice == "auto" else choice


def _settings(command: EdgeOneCommand, language: Language) -> EdgeOneSettings | None:
    try:
        settings = edgeone_settings(os.environ)
    except ConfigError as exc:
        print(f"eo-bot {command}: {exc}", file=sys.stderr)
        return None
    if settings is None:
        print(f"eo-bot {command}: {off_text(command, language)}", file=sys.stderr)
    return settings


def _ask(settings: EdgeOneSettings, question: Callable[[EdgeOne], Awaitable[_T]]) -> _T:
    async def run() -> _T:
        edge = EdgeOne(settings)
        try:
            return await question(edge)
        finally:
            await edge.aclose()

    return asyncio.run(run())


def _plain(value: Any, language: Language) -> Any:
    """A view or log answer as JSON data: a part the API did not answer is ``{"problem": …}``;
    sentences (findings, problems) in ``language``."""
    if isinstance(value, Phrase):
        return value.say(language)
    if isinstance(value, Problem):
        problem = {f.name: _plain(getattr(value, f.name), language) for f in fields(value)}
        return {"problem": problem}
    if is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name), language) for f in fields(value)}
        if isinstance(value, ZoneMatch):
            data.pop("read_at", None)  # a monotonic clock reading, meaningless elsewhere
        return data
    if isinstance(value, tuple | list):
        return [_plain(v, language) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _dump(data: dict[str, Any], out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")
