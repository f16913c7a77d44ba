"""`eo-bot probe URL --from fra,sin|all` and `eo-bot regions`: regional probing on the command line.

``probe --from`` runs the probe from here and from the named regions' agents at once and prints
the per-region table and the verdict across regions (``--json``: ``regional_dict``); it exits 0
when the probe ran, 2 for invalid input or a URL every region refuses. Without EO_NATS_URL it says
so on stderr and probes from here only, as `eo-bot probe` does. ``regions`` lists the live
agents; it exits 2 with one line when regional probing is not set up or NATS cannot be reached.

The settings are the bot's (EO_NATS_*, EO_AGENT_KEYS: ``bot.config.agent_settings``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import TextIO

from bot.agents.names import parse_regions
from bot.agents.outcomes import AgentsUnavailable, LiveAgent
from bot.chat.regional import UNCONFIGURED, observe_regions
from bot.chat.regional_replies import RegionalOutcome
from bot.chat.replies import ProbeRequest
from bot.chat.services import Services, regional_prober
from bot.config import ConfigError, agent_settings
from bot.i18n.catalogue import texts
from bot.i18n.language import Language
from bot.knowledge.compiled import load_matcher
from bot.probe.runner import ProbeSettings
from bot.render.regions import outcome_text, regional_dict, render_agents
from bot.render.text import Style

EXIT_OK, EXIT_USAGE = 0, 2
MAX_DEADLINE = 60.0  # what the agents' caller accepts
DEADLINE_MARGIN = 5.0  # the agents' answers travel back after their probe's own deadline


def run_regional_probe(
    args: argparse.Namespace,
    out: TextIO,
    settings: ProbeSettings,
    *,
    style: Style,
    language: Language,
) -> int | None:
    """`eo-bot probe URL --from ...`; None when regional probing is off (the caller probes from
    here, as without ``--from``)."""
    try:
        regions = parse_regions(args.regions)
    except ValueError as exc:
        print(f"eo-bot probe: --from: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        agents = agent_settings(os.environ)
    except ConfigError as exc:
        print(f"eo-bot probe: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if agents is None:
        print(f"eo-bot probe: {texts(language)(UNCONFIGURED)}", file=sys.stderr)
        return None
    matcher = load_matcher()
    services = Services.build(
        matcher.kb,
        settings,
        matcher=matcher,
        regional=regional_prober(agents),
        regional_deadline=min(settings.deadline + DEADLINE_MARGIN, MAX_DEADLINE),
    )
    url = args.url if "://" in args.url else f"https://{args.url}"
    request = ProbeRequest(url, args.origin, args.code, language, regions=regions)
    reply = replace(asyncio.run(_observe(services, request)), buttons=False)
    if args.json:
        json.dump(regional_dict(reply), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        print(outcome_text(reply, style=style), file=out)
    if reply.refused:
        print("eo-bot probe: refused in every region and here", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


async def _observe(services: Services, request: ProbeRequest) -> RegionalOutcome:
    try:
        return await observe_regions(services, request)
    finally:
        if services.regional is not None:
            await services.regional.close()


def run_regions_command(
    args: argparse.Namespace, out: TextIO, *, style: Style, language: Language
) -> int:
    """`eo-bot regions`: the live agents, region by region."""
    _ = texts(language)
    try:
        agents = agent_settings(os.environ)
    except ConfigError as exc:
        print(f"eo-bot regions: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if agents is None:
        line = _(
            "Regional probing is not set up on this bot: there are no agents to list "
            "(EO_NATS_URL is not set)."
        )
        print(f"eo-bot regions: {line}", file=sys.stderr)
        return EXIT_USAGE
    prober = regional_prober(agents)
    assert prober is not None

    async def listed() -> tuple[LiveAgent, ...]:
        try:
            return await prober.regions()
        finally:
            await prober.close()

    try:
        live = asyncio.run(listed())
    except AgentsUnavailable as exc:
        print(f"eo-bot regions: {exc}", file=sys.stderr)
        return EXIT_USAGE
    now = datetime.now(UTC)
    if args.json:
        data = {
            "regions": list(agents.regions),
            "agents": [
                {
                    "region": a.region,
                    "agent_id": a.info.agent_id,
                    "version": a.info.version,
                    "hostname": a.info.hostname,
                    "system": a.info.system,
                    "state": a.state,
                    "trusted": a.trusted,
                    "last_seen": a.last_seen.isoformat(),
                }
                for a in live
            ],
        }
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        text = render_agents(live, known=agents.regions, now=now, language=language)
        print(style.bold(_("Regional probe agents")) + "\n" + text, file=out)
    return EXIT_OK
