"""`eo-bot probe`: build settings from flags and environment, run the probe, print the report.

On a terminal, a probe that runs for more than a second shows its progress on stderr, phase by
phase, on one line that is erased before the report; piped output and ``--json`` get nothing extra.

The report is in English unless ``--lang zh`` or ``EO_LANGUAGE=zh`` asks for Chinese (a probe has
no question whose language ``auto`` could follow).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from bot.chat.services import diagnoser_of
from bot.chat.words import phase
from bot.diagnosis import diagnose
from bot.edgeone.settings import EdgeOneSettings
from bot.i18n.catalogue import texts
from bot.i18n.language import Choice, Language
from bot.knowledge.compiled import load_matcher
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, parse_nameservers, probe
from bot.probe.safety import ProbePolicy, TargetRefused
from bot.render.json import probe_dict
from bot.render.probe_text import render_probe
from bot.render.text import Style, cells
from bot.untrusted import visible

EXIT_OK, EXIT_USAGE = 0, 2
PROGRESS_DELAY = 1.0  # seconds before the progress line appears: quick probes print nothing extra


class TerminalProgress:
    """One status line on a terminal while a probe runs: the phases done, the one it waits for.

    Nothing is written until the probe has run for ``delay`` seconds; from then on the line is
    redrawn when a phase completes and every ``tick`` seconds (the elapsed time), and
    :meth:`clear` erases it before the report is printed.
    """

    def __init__(
        self,
        stream: TextIO,
        url: str,
        phases: Sequence[str],
        *,
        delay: float = PROGRESS_DELAY,
        tick: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        language: Language = "en",
    ) -> None:
        self._language = language
        self._stream = stream
        self._url = visible(url, keep_newlines=False)
        self._phases = list(phases)
        self._delay = delay
        self._tick = tick
        self._clock = clock
        self._started = clock()
        self._done: list[str] = []  # phases completed, in order
        self._shown = False

    @staticmethod
    def phases_for(url: str, *, origin: bool) -> list[str]:
        """The phases a probe of ``url`` reports, in order (no TLS for plain http)."""
        plain = url.strip().lower().startswith("http://")
        return [
            "dns",
            "connect",
            *([] if plain else ["tls"]),
            "http",
            *(["origin"] if origin else []),
        ]

    async def phase(self, name: str) -> None:
        """The probe's progress callback: ``name`` has completed."""
        self._done.append(name)
        if self._shown:
            self._draw()

    async def run(self) -> None:
        """Draw the line once the delay has passed, then keep the elapsed time current."""
        await asyncio.sleep(self._delay)
        while True:
            self._draw()
            await asyncio.sleep(self._tick)

    def line(self) -> str:
        # No per-phase times here: the report's phase bar has the exact ones.
        _ = texts(self._language)
        parts = [f"{phase(name, self._language)} ✓" for name in self._done]
        waiting = next((p for p in self._phases if p not in self._done), None)
        elapsed = self._clock() - self._started
        now = f"{phase(waiting, self._language)} …" if waiting else _("finishing …")
        return _("probing {url}: {phases} {elapsed} s").format(
            url=self._url, phases="  ".join([*parts, now]), elapsed=f"{elapsed:.1f}"
        )

    def _draw(self) -> None:
        # One terminal line, cut to the width: a wrapped line could not be redrawn in place.
        width = shutil.get_terminal_size(fallback=(80, 24)).columns
        text = self.line()
        if cells(text) > width - 1:
            while text and cells(text) > width - 2:
                text = text[:-1]
            text += "…"
        self._stream.write("\r\x1b[K" + text)
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False


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


def run_probe_command(
    args: argparse.Namespace, out: TextIO, *, style: Style, language: Choice = "auto"
) -> int:
    """Run ``eo-bot probe``; ``language`` ``auto`` is English (there is no question to read)."""
    lang: Language = "en" if language == "auto" else language
    try:
        settings = settings_from_args(args, dict(os.environ))
        api = EdgeOneSettings.from_env(os.environ)  # None without credentials
    except ValueError as exc:  # SettingsError too: it names the variable
        print(f"eo-bot probe: {exc}", file=sys.stderr)
        return EXIT_USAGE
    kb = load_matcher().kb
    names = frozenset(n for e in kb.entries for n in e.names)
    settings = replace(settings, error_names=names)
    if getattr(args, "regions", None) is not None:
        from bot.regions_cli import run_regional_probe  # NATS loads only with --from

        status = run_regional_probe(args, out, settings, style=style, language=lang)
        if status is not None:
            return status
    progress = None
    if not args.json and sys.stderr.isatty() and os.environ.get("TERM") != "dumb":
        phases = TerminalProgress.phases_for(args.url, origin=args.origin is not None)
        progress = TerminalProgress(sys.stderr, args.url, phases, language=lang)
    try:
        report = asyncio.run(_probe(args, settings, progress))
    except TargetRefused as exc:
        if args.json:
            json.dump({"error": "refused", "reason": exc.reason}, out)
            out.write("\n")
        print(f"eo-bot probe: refused: {exc.reason}", file=sys.stderr)
        return EXIT_USAGE
    diagnosis = diagnoser_of(diagnose, kb)(report, args.code, lang)
    if not args.json:
        print(render_probe(report, diagnosis, style=style, language=lang), file=out, flush=True)
    if api is not None:
        from bot.edgeone_cli import print_probe_view  # the API stack loads only with credentials

        print_probe_view(
            report,
            diagnosis,
            out,
            settings=api,
            probe_settings=settings,
            kb=kb,
            stated_code=args.code,
            as_json=args.json,
            style=style,
            language=lang,
        )
        return EXIT_OK
    if args.json:
        json.dump(probe_dict(report, diagnosis), out, indent=2, ensure_ascii=False)
        out.write("\n")
    return EXIT_OK


async def _probe(
    args: argparse.Namespace, settings: ProbeSettings, progress: TerminalProgress | None
) -> ProbeReport:
    if progress is None:
        return await probe(args.url, origin=args.origin, settings=settings)
    ticker = asyncio.create_task(progress.run())
    try:
        return await probe(
            args.url, origin=args.origin, settings=settings, on_progress=progress.phase
        )
    finally:
        ticker.cancel()
        progress.clear()
