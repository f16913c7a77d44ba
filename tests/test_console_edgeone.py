"""EdgeOne's view in the console (the same conversation as Slack) and on the command line
(`eo-bot zone`, `eo-bot logs`), against the fake Tencent Cloud API on loopback; in English and
in Chinese (Chinese lines, `--lang zh`, `EO_LANGUAGE=zh`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cli import main
from bot.console import console_main
from tests.i18n.mixing import english_runs
from tests.servers import DNSServer, FakeEdge, HTTPServer, OriginSpec
from tests.servers.teo import HOST, SECRET_ID, SECRET_KEY, ZONE_ID, FakeTeo, domain, log_line

UUID = "4105283880544427145"
LOOPBACK = {
    "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
    "EO_PROBE_ALLOW_PORTS": "1-65535",
    "EO_PROBE_DEADLINE": "3",
    "EO_API_TIMEOUT": "1",
    "EO_API_BUDGET": "2",
    "NO_COLOR": "1",
}


@pytest.fixture
def teo() -> Iterator[FakeTeo]:
    with FakeTeo() as server:
        server.world.edge_ips = {"127.0.0.1"}
        yield server


def console(lines: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = console_main(env, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_a_probe_in_the_console_gets_edgeones_view_after_its_diagnosis(teo: FakeTeo) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
        DNSServer({HOST: "127.0.0.1"}) as ns,
    ):
        teo.world.domains[ZONE_ID] = [domain(HOST, origin="127.0.0.1", http_port=origin.port)]
        env = teo.env(**LOOPBACK, EO_PROBE_NAMESERVERS=f"{ns.host}:{ns.port}")
        status, out, _ = console([f"/eo probe http://{HOST}:{edge.port}/cart", "/eo 524"], env)
    assert status == 0
    diagnosis, _, rest = out.partition("Verdict with EdgeOne's view:")
    assert "For support" in diagnosis  # printed first, as it came
    assert "EdgeOne's view" not in diagnosis
    view, _, answer = rest.partition("Origin response timeout (524")
    assert " 502: fault at the origin (unchanged)" in view
    assert "✓ confirms: EdgeOne's API lists 127.0.0.1 as an EdgeOne node" in view
    assert "EdgeOne's view: shop.example.com (zone example.com)" in view
    assert f"The configured origin 127.0.0.1:{origin.port} answers 502" in view
    assert answer  # the next line was answered after the view came in


def test_zone_and_logs_in_the_console(teo: FakeTeo) -> None:
    teo.world.logs.append(
        log_line(UUID, at=datetime.now(UTC) - timedelta(minutes=20), edge_status=524)
    )
    status, out, _ = console([f"zone {HOST}", f"logs {UUID} {HOST}", "help"], teo.env(**LOOPBACK))
    assert status == 0
    assert f"EdgeOne zone card: {HOST} (zone example.com)" in out
    assert f"EdgeOne's log of {UUID}: 524 at node sg-3f2a9c (SG)" in out
    assert "zone HOST" in out  # help lists the commands
    assert "logs EO-LOG-UUID [HOST]" in out


def test_console_without_credentials_says_what_to_set() -> None:
    status, out, _ = console(["zone shop.example.com"], dict(LOOPBACK))
    assert status == 0
    assert "A zone card comes from EdgeOne's API, which is not set up here" in out
    assert "TENCENTCLOUD_SECRET_ID" in out


def test_console_names_a_malformed_api_setting(teo: FakeTeo) -> None:
    status, _, err = console(["/eo 524"], teo.env(**(LOOPBACK | {"EO_API_TIMEOUT": "soon"})))
    assert status == 2
    assert "EO_API_TIMEOUT" in err
    assert SECRET_KEY not in err


# ---------------------------------------------------------------- eo-bot zone / logs


def cli(
    args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "EO_API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    status = main(args, out=out)
    return status, out.getvalue(), err.getvalue()


def test_cli_zone(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, _ = cli(["zone", f"https://{HOST}/cart"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    assert f"EdgeOne zone card: {HOST} (zone example.com)" in out
    assert "Origin" in out


def test_cli_zone_json(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, _ = cli(["zone", HOST, "--json"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    data: dict[str, Any] = json.loads(out)
    assert (data["version"], data["host"]) == (1, HOST)
    card = data["card"]
    assert card["zone"]["zone"]["zone_id"] == ZONE_ID
    assert card["domain"]["origin"] == "203.0.113.10"
    assert card["origin_acl"]["status"] == "online"
    assert "problem" not in json.dumps(card["trend"])


def test_cli_zone_of_a_host_in_no_zone(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, _ = cli(["zone", "www.elsewhere.org"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 1
    assert "is not served by these EdgeOne zones" in out


def test_cli_logs(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    teo.world.logs.append(log_line(UUID, at=datetime.now(UTC) - timedelta(minutes=20)))
    status, out, _ = cli(["logs", UUID, "--host", HOST, "--json"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    data = json.loads(out)
    assert data["logs"]["state"] == "found"
    assert data["logs"]["record"]["edge_status"] == 522
    status, out, _ = cli(["logs", "1234567890123"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 1
    assert "no log line for 1234567890123" in out


def test_cli_problems_are_worded(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    teo.fail("DescribeZones", "AuthFailure.SignatureFailure")
    status, out, err = cli(["zone", HOST], teo.env(**LOOPBACK), monkeypatch)
    assert status == 1
    assert "the SecretKey does not belong to this SecretId" in out
    assert SECRET_ID not in out + err
    assert "Traceback" not in out + err


def test_cli_probe_prints_the_view_after_the_diagnosis(
    teo: FakeTeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
        DNSServer({HOST: "127.0.0.1"}) as ns,
    ):
        teo.world.domains[ZONE_ID] = [domain(HOST, origin="127.0.0.1", http_port=origin.port)]
        teo.world.cnames[HOST] = ("moved", "shop.example.com.eo.dnse1.com")
        args = [
            "probe",
            f"http://{HOST}:{edge.port}/cart",
            "--nameserver",
            f"{ns.host}:{ns.port}",
            "--allow-network",
            "127.0.0.0/8",
            "--allow-port",
            "1-65535",
        ]
        status, out, _ = cli(args, teo.env(**LOOPBACK), monkeypatch)
        assert status == 0
        diagnosis, _, view = out.partition("Verdict with EdgeOne's view:")
        assert "EdgeOne code: 502" in diagnosis
        assert "→ sharpens: EdgeOne's API says shop.example.com is online, its CNAME not" in view
        assert f"The configured origin 127.0.0.1:{origin.port} answers 502" in view
        status, out, _ = cli([*args, "--json"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    data = json.loads(out)
    assert data["origin"]["port"] == origin.port  # the configured origin, compared by itself
    assert [w["effect"] for w in data["diagnosis"]["weighed"] if w["source"] == "edgeone"]
    kinds = [f["kind"] for f in data["edgeone"]["findings"]]
    assert "cname_moved" in kinds
    assert "origin_answers" in kinds


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["zone", HOST], "A zone card comes from EdgeOne's API", id="zone"),
        pytest.param(["logs", UUID], "Request logs come from EdgeOne's API", id="logs"),
    ],
)
def test_cli_without_credentials(
    args: list[str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = cli(args, {}, monkeypatch)
    assert status == 2
    assert out == ""
    assert says in err
    assert "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["zone", "10.0.0.1"], "is an IP address", id="ip"),
        pytest.param(["logs", "x' OR 1"], "EO-LOG-UUID", id="bad-id"),
    ],
)
def test_cli_bad_input(
    teo: FakeTeo, args: list[str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = cli(args, teo.env(**LOOPBACK), monkeypatch)
    assert status == 2
    assert says in err
    assert teo.calls == []


# ---------------------------------------------------------------- in Chinese


def test_chinese_lines_in_the_console_get_edgeone_in_chinese(teo: FakeTeo) -> None:
    teo.world.logs.append(
        log_line(UUID, at=datetime.now(UTC) - timedelta(minutes=20), edge_status=524)
    )
    lines = [
        f"站点 {HOST}",
        f"日志 {UUID} {HOST}",
        "刷新缓存 https://shop.example.com/a.js",
        "帮助",
    ]
    status, out, _ = console(lines, teo.env(**LOOPBACK))
    assert status == 0
    assert f"EdgeOne 站点状态卡：{HOST}（站点 example.com）" in out
    assert "源站防护" in out
    assert f"EdgeOne 日志 {UUID}：524，节点 sg-3f2a9c (SG)" in out
    assert "不能刷新缓存：这里没有开启刷新缓存" in out
    assert "站点 HOST" in out  # the help's Chinese commands
    assert "日志 EO-LOG-UUID [HOST]" in out
    assert english_runs(out, terminal=True) == [], out


def test_a_chinese_probe_in_the_console_gets_the_view_in_chinese(teo: FakeTeo) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
        DNSServer({HOST: "127.0.0.1"}) as ns,
    ):
        teo.world.domains[ZONE_ID] = [domain(HOST, origin="127.0.0.1", http_port=origin.port)]
        env = teo.env(**LOOPBACK, EO_PROBE_NAMESERVERS=f"{ns.host}:{ns.port}")
        status, out, _ = console([f"探测 http://{HOST}:{edge.port}/cart"], env)
    assert status == 0
    diagnosis, _, view = out.partition("结合 EdgeOne 视角的结论：")
    assert "EdgeOne 错误码：502" in diagnosis
    assert "（未变）" in view
    assert "✓ 证实：EdgeOne API 确认 127.0.0.1 是 EdgeOne 节点" in view
    assert "EdgeOne 视角：shop.example.com（站点 example.com）" in view
    assert f"配置的源站 127.0.0.1:{origin.port} 通过 http 对 HOST {HOST} 返回 502" in view
    assert english_runs(view, terminal=True) == [], view


@pytest.mark.parametrize(
    ("how", "env"),
    [
        pytest.param(["--lang", "zh"], {}, id="flag"),
        pytest.param([], {"EO_LANGUAGE": "zh"}, id="EO_LANGUAGE"),
    ],
)
def test_cli_zone_and_logs_in_chinese(
    teo: FakeTeo, monkeypatch: pytest.MonkeyPatch, how: list[str], env: dict[str, str]
) -> None:
    teo.world.logs.append(log_line(UUID, at=datetime.now(UTC) - timedelta(minutes=20)))
    status, out, _ = cli(["zone", HOST, *how], teo.env(**LOOPBACK, **env), monkeypatch)
    assert status == 0
    assert f"EdgeOne 站点状态卡：{HOST}（站点 example.com）" in out
    assert english_runs(out, terminal=True) == [], out
    status, out, _ = cli(
        ["logs", UUID, "--host", HOST, *how], teo.env(**LOOPBACK, **env), monkeypatch
    )
    assert status == 0
    assert f"EdgeOne 日志 {UUID}：522，节点 sg-3f2a9c (SG)" in out
    assert english_runs(out, terminal=True) == [], out
    status, out, _ = cli(
        ["zone", "www.elsewhere.org", *how], teo.env(**LOOPBACK, **env), monkeypatch
    )
    assert status == 1
    assert "这些 EdgeOne 站点都没有加速 www.elsewhere.org（example.com）" in out


def test_cli_zone_json_in_chinese(teo: FakeTeo, monkeypatch: pytest.MonkeyPatch) -> None:
    teo.world.cnames[HOST] = ("moved", "shop.example.com.eo.dnse1.com")
    status, out, _ = cli(["zone", HOST, "--json", "--lang", "zh"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    data: dict[str, Any] = json.loads(out)
    assert data["language"] == "zh"
    (moved,) = [f for f in data["card"]["findings"] if f["kind"] == "cname_moved"]
    assert moved["text"].startswith(f"{HOST} 已不再指向 EdgeOne 分配的 CNAME")
    assert moved["fix"] == "在 DNS 服务商处把这条记录的 CNAME 改回 EdgeOne 分配的值"


def test_cli_chinese_without_credentials_and_with_bad_input(
    teo: FakeTeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = cli(["zone", HOST, "--lang", "zh"], {}, monkeypatch)
    assert out == ""
    assert status == 2
    assert "站点状态卡来自 EdgeOne API，这里还没有配置。" in err
    status, _, err = cli(["zone", "10.0.0.1", "--lang", "zh"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 2
    assert "10.0.0.1 是 IP 地址；EdgeOne 加速的是域名" in err
    status, _, err = cli(["logs", "x' OR 1", "--lang", "zh"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 2
    assert "EO-LOG-UUID 是响应头 EO-LOG-UUID 的值" in err


def test_cli_probe_in_chinese_prints_the_view_in_chinese(
    teo: FakeTeo, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        HTTPServer(status=502, body=b"bad gateway") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
        DNSServer({HOST: "127.0.0.1"}) as ns,
    ):
        teo.world.domains[ZONE_ID] = [domain(HOST, origin="127.0.0.1", http_port=origin.port)]
        teo.world.cnames[HOST] = ("moved", "shop.example.com.eo.dnse1.com")
        args = [
            "probe",
            f"http://{HOST}:{edge.port}/cart",
            "--lang",
            "zh",
            "--nameserver",
            f"{ns.host}:{ns.port}",
            "--allow-network",
            "127.0.0.0/8",
            "--allow-port",
            "1-65535",
        ]
        status, out, _ = cli(args, teo.env(**LOOPBACK), monkeypatch)
        assert status == 0
        diagnosis, _, view = out.partition("结合 EdgeOne 视角的结论：")
        assert "EdgeOne 错误码：502" in diagnosis
        assert f"{HOST} 已不再指向 EdgeOne 分配的 CNAME" in view
        assert english_runs(view, terminal=True) == [], view
        status, out, _ = cli([*args, "--json"], teo.env(**LOOPBACK), monkeypatch)
    assert status == 0
    data = json.loads(out)
    (moved,) = [f for f in data["edgeone"]["findings"] if f["kind"] == "cname_moved"]
    assert moved["text"].startswith(f"{HOST} 已不再指向")
