"""Command line: `eo-bot ask | kb check | probe | serve | console`.

Without a subcommand: `serve` when SLACK_BOT_TOKEN is set, otherwise the local `console`.

Each subcommand parses its arguments, calls the core and renders; exit codes are part of the
interface (0 answered, 1 nothing matched, 2 bad usage or invalid input).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from bot.knowledge import KnowledgeError, Matcher, load
from bot.knowledge.loader import default_dir
from bot.render.json import answer_dict
from bot.render.text import Style, render_answer

EXIT_OK, EXIT_NO_MATCH, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="eo-bot", description="EdgeOne troubleshooting from Slack or a terminal.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    ask = sub.add_parser("ask", help="explain a status code, error name or symptom")
    ask.add_argument("query", nargs="+", help="e.g. 524, NODE_FUNCTION_INVOCATION_TIMEOUT, ...")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument("--limit", type=int, default=5, help="most matches to list (default 5)")

    probe = sub.add_parser("probe", help="probe a failing URL and diagnose it")
    probe.add_argument("url", help="http(s) URL, or a bare host (https is assumed)")
    probe.add_argument(
        "--origin",
        metavar="HOST_OR_IP[:PORT]",
        help="also probe the origin directly with the public Host and SNI",
    )
    probe.add_argument("--json", action="store_true", help="machine-readable output")
    probe.add_argument("--method", default="GET", help="HTTP method (default GET)")
    probe.add_argument(
        "--code",
        type=int,
        metavar="STATUS",
        help="the status you saw, e.g. 522: compared with what the probe finds",
    )
    probe.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        help="DNS server to ask (repeatable; default: EO_PROBE_NAMESERVERS or the system's)",
    )
    probe.add_argument(
        "--allow-port",
        action="append",
        default=[],
        metavar="PORT[-PORT]",
        help="allow more ports than 80, 443, 8080, 8443 (repeatable)",
    )
    probe.add_argument(
        "--allow-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="allow an internal network, e.g. 10.0.0.0/8 (repeatable)",
    )
    probe.add_argument(
        "--deadline", type=float, metavar="SECONDS", help="hard cap on the whole probe (default 20)"
    )
    probe.add_argument("--ca-file", metavar="PEM", help="extra trusted CA certificates")

    sub.add_parser(
        "serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT)"
    )
    sub.add_parser(
        "console",
        help="type what you would type in Slack and see the same answers (reads a pipe too)",
    )

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", parser_class=_Parser, required=True)
    check = kb_sub.add_parser("check", help="validate knowledge files")
    check.add_argument("dirs", nargs="*", type=Path, help="extra knowledge directories")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    stdout = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ask":
            return _ask(args, stdout)
        if args.command == "kb":
            return _kb_check(args.dirs, stdout)
        if args.command == "probe":
            from bot.probe_cli import run_probe_command  # the probe stack loads only when used

            return run_probe_command(args, stdout, style=_style(stdout))
        if args.command == "serve" or (args.command is None and _slack_configured()):
            from bot.slack.server import serve_main  # slack_bolt loads only for the bot

            return serve_main(os.environ)
        from bot.console import console_main  # the default without Slack settings

        return console_main(out=stdout)
    except KnowledgeError as exc:
        print("eo-bot: the knowledge base is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _slack_configured() -> bool:
    return bool(os.environ.get("SLACK_BOT_TOKEN"))


def _style(stream: TextIO) -> Style:
    return Style(color=stream.isatty() and "NO_COLOR" not in os.environ)


def _ask(args: argparse.Namespace, out: TextIO) -> int:
    if args.limit < 1:
        print("eo-bot ask: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    matcher = Matcher(load())
    answer = matcher.ask(" ".join(args.query), limit=args.limit)
    if args.json:
        json.dump(answer_dict(answer), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        print(render_answer(answer, style=_style(out)), file=out)
    if answer.problem:
        return EXIT_USAGE
    return EXIT_OK if answer.matched else EXIT_NO_MATCH


def _kb_check(dirs: list[Path], out: TextIO) -> int:
    # Extra directories are checked on top of the built-in knowledge, as they would be loaded.
    kb = load([default_dir(), *dirs], with_env=False) if dirs else load()
    files = sorted({str(p) for p in kb.sources.values()})
    print(f"ok: {len(kb.entries)} entries from {len(files)} files", file=out)
    for path in files:
        count = sum(1 for p in kb.sources.values() if str(p) == path)
        print(f"  {path}: {count}", file=out)
    missing = [e for e in kb.entries if e.zh is None]
    if missing:
        print(f"missing Chinese text (zh) in {len(missing)} entries:", file=out)
        for path in files:
            ids = [e.id for e in missing if str(kb.sources[e.id]) == path]
            if ids:
                print(f"  {path}: {', '.join(ids)}", file=out)
    return EXIT_OK
