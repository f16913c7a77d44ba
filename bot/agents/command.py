"""`eo-bot agent --region NAME` (also `python -m bot.agents --region NAME`).

``add_agent_parser(subparsers)`` adds the subcommand to a parser; ``run_agent_command(args)``
runs it and returns the exit status: 0 after a clean drain (SIGTERM or Ctrl-C), 2 for a setting
or argument that is wrong (the message names it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.agents.names import REGION_RULE, parse_region

if TYPE_CHECKING:
    from bot.agents.settings import AgentSettings
    from bot.probe.runner import ProbeSettings

EXIT_OK, EXIT_USAGE = 0, 2

_DESCRIPTION = (
    "Run a regional probe agent: take probe jobs for REGION from NATS JetStream (EO_NATS_URL), "
    "probe with this machine's own EO_PROBE_* safety policy, and publish signed results."
)


def add_agent_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``agent`` to ``subparsers`` (the object ``add_subparsers()`` returned)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "agent", help="run a regional probe agent (needs EO_NATS_URL)", description=_DESCRIPTION
    )
    _add_arguments(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eo-bot agent", description=_DESCRIPTION)
    _add_arguments(parser)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, metavar="NAME", help=f"region ({REGION_RULE})")
    parser.add_argument(
        "--new-key",
        metavar="PATH",
        help="write a new signing key to PATH, print the line to add to the bot's "
        "EO_AGENT_KEYS, and exit",
    )


def run_agent_command(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    try:
        region = parse_region(args.region, what="--region")
    except ValueError as exc:
        print(f"eo-bot agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Imported here: `eo-bot --help` should not pay for cryptography and the probe stack.
    from bot.agents.keys import write_new_key
    from bot.agents.settings import AgentSettings

    if args.new_key:
        try:
            key = write_new_key(args.new_key)
        except ValueError as exc:
            print(f"eo-bot agent: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote a new key for region {region} to {args.new_key}", file=sys.stderr)
        print(
            "run the agent with EO_AGENT_KEY_FILE pointing at it; add to the bot's EO_AGENT_KEYS:",
            file=sys.stderr,
        )
        print(f"{region}={key.public_text}")
        return EXIT_OK
    try:
        settings = AgentSettings.from_env(env)
        probe_settings = _probe_settings(env)
    except ValueError as exc:
        print(f"eo-bot agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Imported here: `eo-bot --help` and `ask` build this parser and must stay fast.
    import asyncio
    import contextlib
    import logging

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    # nats-py logs every failed reconnect with a traceback; the agent logs one line instead.
    logging.getLogger("nats").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per probed request
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C during the drain
        asyncio.run(_serve(settings, region, probe_settings))
    return EXIT_OK


def _probe_settings(env: Mapping[str, str]) -> ProbeSettings:
    from bot.knowledge import load
    from bot.probe.runner import ProbeSettings

    settings = ProbeSettings.from_env(env)
    names = frozenset(n for e in load().entries for n in e.names)
    return replace(settings, error_names=names)


async def _serve(settings: AgentSettings, region: str, probe_settings: ProbeSettings) -> None:
    import asyncio
    import signal

    from bot.agents.agent import run_agent  # nats loads only when an agent really runs

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_agent(settings, region, probe_settings, stop=stop)


def main(argv: Sequence[str] | None = None) -> int:
    return run_agent_command(build_parser().parse_args(argv))
