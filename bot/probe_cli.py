"""`eo-bot probe`: build settings from flags and environment, run the probe, print the report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import replace
from typing import TextIO

from bot.diagnosis import diagnose
from bot.knowledge import load
from bot.probe.runner import ProbeSettings, parse_nameservers, probe
from bot.probe.safety import ProbePolicy, TargetRefused
from bot.render.json import probe_dict
from bot.render.probe_text import render_probe
from bot.render.text import Style

EXIT_OK, EXIT_USAGE = 0, 2


def settings_from_args(args: argparse.Namespace, environ: dict[str, str]) -> ProbeSettings:
    """Flags add to (ports, networks) or replace (nameservers, deadline) the environment's."""
    settings = ProbeSettings.from_env(environ)
    if args.allow_port or args.allow_network:
        extra_ports = ",".join(args.allow_port)
        extra_networks = ",".join(args.allow_network)
        try:
            flags = ProbePolicy.from_strings(ports=[extra_ports], networks=[extra_networks])
        except ValueError as exc:
            raise ValueError(f"--allow-port / --allow-network: {exc}") from exc
        policy = replace(
            settings.policy,
            allowed_ports=settings.policy.allowed_ports | flags.allowed_ports,
            allowed_networks=settings.policy.allowed_networks + flags.allowed_networks,
        )
        settings = replace(settings, policy=policy)
    if args.nameserver:
        try:
            settings = replace(settings, nameservers=parse_nameservers(args.nameserver))
        except ValueError as exc:
            raise ValueError(f"--nameserver: {exc}") from exc
    if args.deadline is not None:
        if not 0.1 <= args.deadline <= 120:
            raise ValueError("--deadline: must be between 0.1 and 120 seconds")
        settings = replace(settings, deadline=args.deadline)
    if args.ca_file:
        if not os.path.isfile(args.ca_file):
            raise ValueError(f"--ca-file: {args.ca_file} is not a file")
        settings = replace(settings, ca_file=args.ca_file)
    return replace(settings, method=args.method.upper())


def run_probe_command(args: argparse.Namespace, out: TextIO, *, style: Style) -> int:
    try:
        settings = settings_from_args(args, dict(os.environ))
    except ValueError as exc:
        print(f"eo-bot probe: {exc}", file=sys.stderr)
        return EXIT_USAGE
    kb = load()
    names = frozenset(n for e in kb.entries for n in e.names)
    settings = replace(settings, error_names=names)
    try:
        report = asyncio.run(probe(args.url, origin=args.origin, settings=settings))
    except TargetRefused as exc:
        if args.json:
            json.dump({"error": "refused", "reason": exc.reason}, out)
            out.write("\n")
        print(f"eo-bot probe: refused: {exc.reason}", file=sys.stderr)
        return EXIT_USAGE
    diagnosis = diagnose(report, kb, stated_code=args.code)
    if args.json:
        json.dump(probe_dict(report, diagnosis), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        print(render_probe(report, diagnosis, style=style), file=out)
    return EXIT_OK
