"""Command line: `eo-bot ask | probe | zone | logs | console | serve | agent | regions | kb check`.

Without a subcommand: `serve` when SLACK_BOT_TOKEN is set, otherwise the local `console`.

Each subcommand parses its arguments, calls the core and renders; exit codes are part of the
interface (0 answered, 1 nothing matched, 2 bad usage or invalid input).

Start-up time is part of the interface too: this module imports only the standard library, and
each command imports what it uses when it runs. `--help` and `ask` never load the Slack or HTTP
stack, and `ask` answers from the compiled knowledge base (``bot.knowledge.compiled``);
``bench/startup.py`` measures it and tests/test_cli_startup.py checks what gets imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from bot import __version__

if TYPE_CHECKING:
    from bot.i18n.language import Choice
    from bot.render.text import Style

EXIT_OK, EXIT_NO_MATCH, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
EdgeOne troubleshooting from Slack or a terminal: explain a status code, error name or symptom,
probe a failing URL and diagnose it, or run the Slack bot."""

EPILOG = """\
Without a command, eo-bot runs `serve` when SLACK_BOT_TOKEN is set and the local `console`
otherwise. `eo-bot COMMAND --help` shows a command's options.

exit status: 0 answered, 1 nothing matched well (ask), 2 bad usage or invalid input."""

# The probe's own settings; flags of `eo-bot probe` add to or replace them.
PROBE_ENVIRONMENT = (
    ("EO_PROBE_ALLOW_NETWORKS", "networks the probe may reach besides public ones (CIDRs)"),
    ("EO_PROBE_ALLOW_PORTS", "more ports than 80, 443, 8080, 8443, e.g. 8000-9000,3000"),
    ("EO_PROBE_NAMESERVERS", "DNS servers to ask, IP[:PORT] (default: the system's)"),
    ("EO_PROBE_DEADLINE", "hard cap on one probe, seconds (default 20)"),
    ("EO_PROBE_READ_TIMEOUT", "wait for the first byte, seconds (default 15)"),
    ("EO_PROBE_CA_FILE", "extra trusted CA certificates (PEM file)"),
)
# EdgeOne's API (bot/edgeone/settings.py): optional, read by serve, the console, zone and logs.
EDGEONE_ENVIRONMENT = (
    ("TENCENTCLOUD_SECRET_ID", "API key of a CAM user (with SECRET_KEY; unset: no EdgeOne view)"),
    ("TENCENTCLOUD_SECRET_KEY", "its secret key"),
    ("TENCENTCLOUD_SESSION_TOKEN", "the token of temporary (STS) credentials"),
    ("EO_API_SITE", "intl (default, teo.intl.tencentcloudapi.com) or china"),
    ("EO_API_ENDPOINT", "another API endpoint, host[:port] or https://host[:port]"),
    ("EO_ZONES", "zone IDs to use, comma separated (default: every zone the key sees)"),
    ("EO_API_TIMEOUT", "seconds one API call may take (default 3)"),
    ("EO_API_BUDGET", "seconds all the calls behind one answer may take (default 6)"),
)
PURGE_ENVIRONMENT = (
    ("EO_ALLOW_PURGE", "1 lets the people below purge EdgeOne's cache, after a confirmation"),
    ("EO_PURGE_USERS", "Slack user IDs who may purge, comma separated"),
    ("EO_PURGE_GROUPS", "Slack user group IDs who may purge, comma separated"),
)
KNOWLEDGE_ENVIRONMENT = (
    ("EO_KNOWLEDGE_DIRS", "extra knowledge directories, separated by ':' (team runbooks)"),
)
LANGUAGE_ENVIRONMENT = (
    ("EO_LANGUAGE", "answer in: auto (the question's language; default), en or zh"),
)
LANGUAGES = ("auto", "en", "zh")
# Probing from other regions' agents (bot/agents/settings.py); the bot, `probe --from` and
# `regions` read them.
AGENTS_ENVIRONMENT = (
    ("EO_NATS_URL", "NATS of the regional probe agents, nats:// or tls://; unset: probe from here"),
    ("EO_NATS_TOKEN", "NATS login: a token, or"),
    ("EO_NATS_USER", "a user (with EO_NATS_PASSWORD), or"),
    ("EO_NATS_PASSWORD", "that user's password, or"),
    ("EO_NATS_CREDS", "a .creds file"),
    ("EO_NATS_CA_FILE", "CA of the NATS server's certificate (turns TLS on)"),
    ("EO_NATS_CERT_FILE", "a client certificate for NATS (with EO_NATS_KEY_FILE)"),
    ("EO_NATS_KEY_FILE", "the client certificate's key"),
    ("EO_NATS_PREFIX", "prefix of the NATS subjects, stream and bucket (default eo)"),
    ("EO_AGENT_HEARTBEAT", "seconds between two heartbeats of an agent (default 5)"),
    ("EO_AGENT_KEYS", "each region's agent public keys: fra=KEY,sin=KEY"),
)
# What `serve` reads (bot/config.py); tests/test_cli.py checks the list against the code.
SERVE_ENVIRONMENT = (
    ("SLACK_BOT_TOKEN", "bot token, xoxb-... (required)"),
    ("SLACK_APP_TOKEN", "app-level token, xapp-...; when set, Socket Mode is used"),
    ("SLACK_SIGNING_SECRET", "checks request signatures (required in HTTP mode)"),
    ("SLACK_API_URL", "Slack Web API base URL (default: Slack's)"),
    ("PORT", "HTTP port: events in HTTP mode, /healthz in both modes (default 3000)"),
    ("EO_ANSWER_VISIBILITY", "/eo answers: ephemeral (default) or in_channel"),
    ("EO_PROBE_RATE_PER_USER", "probes per user: N per minute or N/SECONDS (default 5/60)"),
    ("EO_PROBE_MAX_CONCURRENT", "probes running at once, for everyone (default 4)"),
    ("EO_WATCH_CHANNELS", "alert channel IDs the bot answers in, comma separated"),
    ("EO_WATCH_INTERVAL", "time between two probes of a watch (default 30s)"),
    ("EO_WATCH_MAX_DURATION", "the longest watch (default 2h)"),
    ("EO_WATCH_PER_USER", "watches running at once per person (default 3)"),
    ("EO_WATCH_PER_CHANNEL", "watches running at once per channel (default 5)"),
    ("EO_HTTP_HEADER_TIMEOUT", "seconds a client has to send a whole request (default 10)"),
    ("EO_HTTP_IDLE_TIMEOUT", "an idle keep-alive connection is closed after this (default 75 s)"),
    ("EO_HTTP_MAX_CONNECTIONS", "client connections open at once (default 1000)"),
    ("EO_SLACK_RETRY_MIN", "first back-off when Slack cannot be reached (default 1 s)"),
    ("EO_SLACK_RETRY_MAX", "longest back-off when Slack cannot be reached (default 60 s)"),
    ("EO_SLACK_PING_INTERVAL", "Socket Mode heartbeat; a silent link is replaced (default 10 s)"),
    ("EO_REDIS_URL", "Redis shared by several replicas, redis://HOST:PORT/DB (default: memory)"),
    ("EO_REDIS_PREFIX", "prefix of the bot's Redis keys (default eo-bot)"),
    ("EO_REDIS_TIMEOUT", "longest wait for Redis before answering from memory (default 0.5 s)"),
    ("EO_LOG_FORMAT", "text (default) or json: one object per line with a request id"),
    *AGENTS_ENVIRONMENT,
    *LANGUAGE_ENVIRONMENT,
    *EDGEONE_ENVIRONMENT,
    *PURGE_ENVIRONMENT,
    *KNOWLEDGE_ENVIRONMENT,
    *PROBE_ENVIRONMENT,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _environment(title: str, variables: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in variables) + 2
    lines = [f"{name:<{width}}{meaning}" for name, meaning in variables]
    return f"{title}:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="eo-bot", description=DESCRIPTION, epilog=EPILOG, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"eo-bot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = sub.add_parser(
        "ask",
        help="explain a status code, error name or symptom",
        description="Explain an EdgeOne status code, error name or symptom from the knowledge "
        "base. Exit status: 0 something matched, 1 nothing matched well (suggestions are "
        "offered), 2 bad usage or an empty question.",
        epilog=_environment("environment", (*LANGUAGE_ENVIRONMENT, *KNOWLEDGE_ENVIRONMENT)),
        formatter_class=raw,
    )
    ask.add_argument("query", nargs="+", help="e.g. 524, NODE_FUNCTION_INVOCATION_TIMEOUT, ...")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument("--limit", type=int, default=5, help="most matches to list (default 5)")
    _language_flag(ask, "auto: the question's language")

    probe = sub.add_parser(
        "probe",
        help="probe a failing URL and diagnose it",
        description="Probe a URL (DNS, TCP, TLS, HTTP), compare it with the origin if asked, "
        "and name the EdgeOne code, the side at fault and what to check; with EdgeOne API "
        "credentials, EdgeOne's own view follows and the verdict is weighed with it. On a "
        "terminal, a probe that takes more than a second shows its progress on stderr. With "
        "--from, the regional agents probe it at the same time and the answer is a table per "
        "region and a verdict across regions. Exit status: 0 the probe ran (whatever it found), "
        "2 invalid or refused input.",
        epilog=_environment(
            "environment (flags add to or replace these)",
            (*PROBE_ENVIRONMENT, *AGENTS_ENVIRONMENT, *LANGUAGE_ENVIRONMENT),
        )
        + "\n\n"
        + _environment("EdgeOne's view after the diagnosis (optional)", EDGEONE_ENVIRONMENT),
        formatter_class=raw,
    )
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
    probe.add_argument(
        "--from",
        dest="regions",
        metavar="REGIONS",
        help="also probe from these regions' agents: fra,sin or all (needs EO_NATS_URL)",
    )
    _language_flag(probe, "auto: English, as there is no question to read")

    zone = sub.add_parser(
        "zone",
        help="EdgeOne's status card of a host (needs API credentials)",
        description="EdgeOne's own view of a host, from its API: zone and domain status, "
        "origin settings, CNAME, edge certificate, origin protection and the last hour's "
        "traffic. Exit status: 0 EdgeOne serves the host, 1 it does not or the API did not "
        "answer, 2 bad usage, malformed settings or no credentials.",
        epilog=_environment("environment", (*EDGEONE_ENVIRONMENT, *LANGUAGE_ENVIRONMENT)),
        formatter_class=raw,
    )
    zone.add_argument("host", help="a host name, e.g. shop.example.com (or a URL)")
    zone.add_argument("--json", action="store_true", help="machine-readable output")
    _language_flag(zone, "auto: English, as there is no question to read")
    logs = sub.add_parser(
        "logs",
        help="the edge's log line of one request, by its EO-LOG-UUID (needs API credentials)",
        description="What EdgeOne logged for one request (the EO-LOG-UUID response header): "
        "from log analysis, or a link to the hourly offline package that holds it. Without "
        "--host every zone that delivers to log analysis is searched. Exit status: 0 found "
        "(or its package), 1 not found or not yet there, 2 bad usage, malformed settings or no "
        "credentials.",
        epilog=_environment("environment", (*EDGEONE_ENVIRONMENT, *LANGUAGE_ENVIRONMENT)),
        formatter_class=raw,
    )
    logs.add_argument("request_id", metavar="EO-LOG-UUID", help="e.g. 4105283880544427145")
    logs.add_argument("--host", help="the host the request was for (searches its zone only)")
    logs.add_argument("--json", action="store_true", help="machine-readable output")
    _language_flag(logs, "auto: English, as there is no question to read")

    sub.add_parser(
        "serve",
        help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT)",
        description="Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP "
        "on PORT (POST /slack/events, GET /healthz). A missing or malformed setting stops "
        "start-up with a message naming the variable.",
        epilog=_environment("environment", SERVE_ENVIRONMENT),
        formatter_class=raw,
    )
    console = sub.add_parser(
        "console",
        help="type what you would type in Slack and see the same answers (reads a pipe too)",
        description="The Slack experience in a terminal: /eo 524, @eo URL gives 522, again, "
        "compare HOST[:PORT], watch URL for 10m, unwatch, help, quit. Reads one message per "
        "line from a pipe too. EO_PROBE_*, EO_WATCH_* and EO_LANGUAGE settings apply as in "
        "Slack.",
    )
    _language_flag(console, "auto: each line's own language")

    regions = sub.add_parser(
        "regions",
        help="list the regional probe agents that are running",
        description="List the regional probe agents with a current heartbeat, region by region, "
        "and the trusted regions that have none. Exit status: 0 listed, 2 regional probing is not "
        "set up (EO_NATS_URL) or NATS cannot be reached.",
        epilog=_environment("environment", (*AGENTS_ENVIRONMENT, *LANGUAGE_ENVIRONMENT)),
        formatter_class=raw,
    )
    regions.add_argument("--json", action="store_true", help="machine-readable output")
    _language_flag(regions, "auto: English")

    from bot.agents.command import add_agent_parser  # argparse only: the agent loads when run

    add_agent_parser(sub)

    kb = sub.add_parser(
        "kb",
        help="knowledge base tools (kb check)",
        description="Knowledge base tools.",
    )
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", parser_class=_Parser)
    check = kb_sub.add_parser(
        "check",
        help="validate the built-in knowledge and extra directories",
        description="Validate the built-in knowledge plus the given directories (default: "
        "EO_KNOWLEDGE_DIRS) and list what was read. Exit status 2 with one line per problem.",
    )
    check.add_argument("dirs", nargs="*", type=Path, help="extra knowledge directories")
    kb.set_defaults(kb_parser=kb)  # `eo-bot kb` alone prints its help
    return parser


def _language_flag(parser: argparse.ArgumentParser, auto: str) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language of the answer: auto, en or zh (default: EO_LANGUAGE, else auto; {auto})",
    )


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    stdout = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return _run(args, stdout)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _run(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.command == "kb" and args.kb_command is None:
        args.kb_parser.print_help(stdout)  # `eo-bot kb` alone: say what it can do
        return EXIT_USAGE

    from bot.knowledge.loader import KnowledgeError  # every command reads the knowledge base

    try:
        if args.command == "ask":
            return _ask(args, stdout)
        if args.command == "kb":
            return _kb_check(args.dirs, stdout)
        if args.command == "probe":
            from bot.probe_cli import run_probe_command  # the probe stack loads only when used

            if (choice := _language(args)) is None:
                return EXIT_USAGE
            return run_probe_command(args, stdout, style=_style(stdout), language=choice)
        if args.command in ("zone", "logs"):
            from bot import edgeone_cli  # the API stack loads only when used

            if (choice := _language(args)) is None:
                return EXIT_USAGE
            run = (
                edgeone_cli.run_zone_command
                if args.command == "zone"
                else edgeone_cli.run_logs_command
            )
            return run(args, stdout, style=_style(stdout), language=choice)
        if args.command == "regions":
            from bot.regions_cli import run_regions_command

            if (choice := _language(args)) is None:
                return EXIT_USAGE
            lang = "en" if choice == "auto" else choice
            return run_regions_command(args, stdout, style=_style(stdout), language=lang)
        if args.command == "agent":
            from bot.agents.command import run_agent_command

            return run_agent_command(args)
        if args.command == "serve" or (args.command is None and _slack_configured()):
            from bot.slack.server import serve_main  # slack_bolt loads only for the bot

            return serve_main(os.environ)
        from bot.console import console_main  # the default without Slack settings

        if (choice := _language(args)) is None:
            return EXIT_USAGE
        return console_main(out=stdout, language=choice)
    except KnowledgeError as exc:
        print("eo-bot: the knowledge base is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE


def _language(args: argparse.Namespace) -> Choice | None:
    """``--lang``, else ``EO_LANGUAGE``, else auto; None (said on stderr) when EO_LANGUAGE is
    malformed."""
    from bot.i18n.language import language_setting

    flag: Choice | None = getattr(args, "lang", None)
    if flag is not None:
        return flag
    try:
        return language_setting(os.environ)
    except ValueError as exc:
        print(f"eo-bot: {exc}", file=sys.stderr)
        return None


def _slack_configured() -> bool:
    return bool(os.environ.get("SLACK_BOT_TOKEN"))


def _style(stream: TextIO) -> Style:
    from bot.render.text import Style

    return Style(color=stream.isatty() and "NO_COLOR" not in os.environ)


def _ask(args: argparse.Namespace, out: TextIO) -> int:
    if args.limit < 1:
        print("eo-bot ask: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    choice = _language(args)
    if choice is None:
        return EXIT_USAGE
    from bot.i18n.language import choose
    from bot.knowledge.compiled import load_matcher

    question = " ".join(args.query)
    language = choose(question, choice)
    answer = load_matcher().ask(question, limit=args.limit)
    if args.json:
        import json

        from bot.render.json import answer_dict

        json.dump(answer_dict(answer, language=language), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        from bot.render.text import render_answer

        print(render_answer(answer, style=_style(out), language=language), file=out)
    if answer.problem:
        return EXIT_USAGE
    return EXIT_OK if answer.matched else EXIT_NO_MATCH


def _kb_check(dirs: list[Path], out: TextIO) -> int:
    from bot.knowledge.loader import default_dir, load

    # Always validated from the files (never the compiled copy): this is the check.
    # Extra directories are checked on top of the built-in knowledge, as they would be loaded.
    kb = load([default_dir(), *dirs], with_env=False) if dirs else load()
    files = sorted({str(p) for p in kb.sources.values()})
    print(f"ok: {len(kb.entries)} entries from {len(files)} files", file=out)
    for path in files:
        count = sum(1 for p in kb.sources.values() if str(p) == path)
        print(f"  {path}: {count}", file=out)
    missing = [e for e in kb.entries if e.zh is None]
    if missing:
        # Only a team's own entries can get here (the built-in ones must carry zh).
        print(
            f"note: {len(missing)} entries have no Chinese text (zh); "
            "Chinese questions about them are answered in English:",
            file=out,
        )
        for path in files:
            ids = [e.id for e in missing if str(kb.sources[e.id]) == path]
            if ids:
                print(f"  {path}: {', '.join(ids)}", file=out)
    return EXIT_OK
