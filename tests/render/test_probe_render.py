"""render_probe (terminal) and probe_dict (JSON) on hand-built reports."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport, Timings, TLSResult
from bot.render.blocks import diagnosis_message, entry_blocks
from bot.render.json import probe_dict
from bot.render.probe_text import phase_bar, render_probe, tls_lines
from bot.render.text import Style, render_entry
from tests.test_diagnosis import (
    EDGE_IP,
    ORIGIN_IP,
    UUID,
    edge,
    failing,
    origin,
)

SEGMENTS = (
    "DNS Lookup",
    "TCP Connection",
    "TLS Handshake",
    "Server Processing",
    "Content Transfer",
)


def render(kb: KnowledgeBase, report: ProbeReport, *, style: Style | None = None) -> str:
    return render_probe(report, diagnose(report, kb), style=style)


# ---------------------------------------------------------------- the phase bar


def test_bar_shows_segments_and_cumulative_marks() -> None:
    timings = Timings(
        dns_ms=12.0, connect_ms=20.0, tls_ms=30.0, server_ms=84.0, transfer_ms=3.0, total_ms=149.0
    )
    lines = phase_bar(timings)
    assert all(name in lines[0] for name in SEGMENTS)
    bar = lines[1]
    assert bar.startswith("[")
    assert bar.endswith("]")
    assert [cell.strip() for cell in bar[1:-1].split("|")] == [
        "12ms",
        "20ms",
        "30ms",
        "84ms",
        "3ms",
    ]
    marks = "\n".join(lines[3:])
    for mark in ("namelookup:12ms", "connect:32ms", "pretransfer:62ms", "starttransfer:146ms"):
        assert mark in marks
    assert "total:149ms" in marks


def test_bar_cells_line_up_with_the_titles() -> None:
    lines = phase_bar(Timings(dns_ms=1.0, connect_ms=1.0, tls_ms=1.0, server_ms=1.0, total_ms=4.0))
    header, bar, pipes = lines[0], lines[1], lines[2]
    boundaries = [i for i, char in enumerate(bar) if char in "|]"]
    assert [i for i, char in enumerate(pipes) if char == "|"] == boundaries
    for col in boundaries[:-1]:
        assert header[col] == " "  # no title crosses a boundary
    # Each mark ends on its own boundary.
    for line, col in zip(lines[3:], boundaries, strict=True):
        label = line.split()[0]
        assert line.index(label) + len(label) - 1 == col


def test_phases_that_did_not_run_show_a_dash() -> None:
    lines = phase_bar(Timings(dns_ms=12.0, connect_ms=5000.0, total_ms=5012.0), failed="connect")
    cells = [cell.strip() for cell in lines[1][1:-1].split("|")]
    assert cells == ["12ms", "5000ms!", "-", "-", "-"]
    marks = "\n".join(lines[3:])
    assert "pretransfer:-" in marks
    assert "starttransfer:-" in marks
    assert "total:5012ms" in marks


# ---------------------------------------------------------------- TLS and the full report


def test_tls_section_lists_version_cipher_alpn_and_certificate() -> None:
    text = "\n".join(tls_lines(edge(200)))
    for part in ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "ALPN http/1.1", "CN=www.example.com"):
        assert part in text
    assert "issuer CN=Example CA" in text
    assert "SANs www.example.com" in text
    assert "not after 2025-04-30T12:30:05Z (60 days left)" in text
    assert "Verify    ok" in text


def test_tls_section_shows_a_failed_verification() -> None:
    text = "\n".join(tls_lines(failing("tls:cert_invalid:expired")))
    assert "FAILED: expired" in text
    assert "(expired)" in text


def test_plain_http_has_no_tls() -> None:
    probe = replace(edge(200), scheme="http", tls=TLSResult(status="skipped"))
    assert tls_lines(probe) == ["TLS       not used (plain HTTP)"]


def test_tls_not_reached_after_a_connect_failure() -> None:
    assert "not reached" in "\n".join(tls_lines(failing("connect:refused")))


def test_report_has_header_bar_headers_origin_and_diagnosis(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(522, headers={"eo-cache-status": "MISS"}), origin=origin(200))
    text = render(kb, report)
    first = text.splitlines()[0]
    assert "https://www.example.com/api/items" in first
    assert f"{EDGE_IP}:443" in first
    assert "2025-03-01T12:30:05Z" in first
    assert "[" in text
    assert "starttransfer:" in text
    assert f"EO-LOG-UUID: {UUID}" in text
    assert "EO-Cache-Status: MISS" in text
    assert f"Origin: {ORIGIN_IP}" in text
    assert "Server: nginx" in text
    assert "EdgeOne code: 522 (site-acceleration, sa-522)" in text
    assert "Fault: network" in text
    assert "Evidence" in text
    assert "Next steps" in text
    assert "Time (UTC)  2025-03-01T12:30:05Z" in text
    # The diagnosis comes last, after both probes.
    assert text.index("Origin: ") < text.index("EdgeOne code:")


def test_report_without_a_code(kb: KnowledgeBase) -> None:
    text = render(kb, ProbeReport(edge=edge(200)))
    assert "EdgeOne code: none" in text
    assert "Fault: none" in text


def test_style_is_honoured(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(522))
    plain = render(kb, report)
    assert "\033[" not in plain
    coloured = render(kb, report, style=Style(color=True))
    assert "\033[1mEdgeOne code: 522" in coloured
    assert "\033[2m" in coloured


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    "report",
    [
        pytest.param(ProbeReport(edge=edge(522), origin=origin(200)), id="edge-and-origin"),
        pytest.param(ProbeReport(edge=failing("dns:nxdomain")), id="dns-failure"),
        pytest.param(
            ProbeReport(edge=failing("tls:cert_invalid:expired", target=ORIGIN_IP)), id="cert"
        ),
    ],
)
def test_probe_dict_round_trips_with_the_required_keys(
    kb: KnowledgeBase, report: ProbeReport
) -> None:
    out = json.loads(json.dumps(probe_dict(report, diagnose(report, kb))))
    assert out["schema_version"] == 1
    for key in ("url", "dns", "connect", "tls", "http", "timings", "origin", "diagnosis"):
        assert key in out
    assert set(out["dns"]) >= {"status", "addresses", "cname_chain", "on_edgeone", "ms"}
    assert set(out["connect"]) >= {"status", "ip", "ms", "error"}
    assert set(out["tls"]) >= {
        "status",
        "version",
        "cipher",
        "alpn",
        "cert",
        "error",
        "verify_error",
    }
    http_keys = {
        "status",
        "status_code",
        "ttfb_ms",
        "headers",
        "eo_log_uuid",
        "error_name",
        "error",
    }
    assert set(out["http"]) >= http_keys
    diagnosis = out["diagnosis"]
    assert set(diagnosis) >= {
        "code",
        "product",
        "kb_id",
        "fault",
        "summary",
        "evidence",
        "next_steps",
        "support",
    }
    assert set(diagnosis["support"]) == {
        "eo_log_uuid",
        "edge_ip",
        "time_utc",
        "url",
        "status_code",
        "address",
    }
    if out["tls"]["cert"] is not None:
        assert set(out["tls"]["cert"]) >= {"subject", "sans", "issuer", "not_after", "days_left"}
        assert out["tls"]["cert"]["not_after"].endswith("Z")


def test_probe_dict_nests_the_origin_like_the_edge(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(522), origin=origin(200))
    out = probe_dict(report, diagnose(report, kb))
    assert set(out["origin"]) >= {"url", "dns", "connect", "tls", "http", "timings"}
    assert out["origin"]["connect"]["ip"] == ORIGIN_IP
    assert out["diagnosis"]["code"] == 522
    assert out["diagnosis"]["product"] == "site-acceleration"
    assert out["diagnosis"]["fault"] == "network"
    assert out["http"]["eo_log_uuid"] == UUID
    assert out["timings"]["total_ms"] == report.edge.timings.total_ms


def test_probe_dict_origin_is_null_without_origin(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(200))
    out = probe_dict(report, diagnose(report, kb))
    assert out["origin"] is None
    assert out["diagnosis"]["code"] is None


# ---------------------------------------------------------------- support labels and stated codes


def test_edge_ip_is_only_labelled_for_an_edgeone_answer(kb: KnowledgeBase) -> None:
    edgeone = render(kb, ProbeReport(edge=edge(524)))
    assert f"Edge IP     {EDGE_IP}" in edgeone
    plain = render(kb, ProbeReport(edge=failing("connect:refused")))
    assert "Edge IP" not in plain
    assert f"Address     {EDGE_IP}" in plain
    report = ProbeReport(edge=failing("connect:refused"))
    message = diagnosis_message(report, diagnose(report, kb))
    blocks = json.dumps(message.block_dicts())
    assert "Edge IP" not in blocks
    assert "Edge IP" not in message.text
    assert f"Address:     {EDGE_IP}" in message.text


def test_a_stated_code_not_reproduced_has_no_outage_steps(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(200))
    diagnosis = diagnose(report, kb, stated_code=522)
    entry = kb.get("sa-522")
    assert entry is not None
    message = diagnosis_message(report, diagnosis, entry=entry)
    blocks = json.dumps(message.block_dicts(), ensure_ascii=False)
    assert "not reproduced" in blocks
    assert "*Fix*" not in blocks
    for fix in entry.fixes:
        assert fix not in blocks
        assert fix not in message.text
    assert "sa-522" in blocks  # still pointed at
    text = render_probe(report, diagnosis)
    assert "EdgeOne code: none" in text
    for fix in entry.fixes:
        assert fix not in text


def test_a_reproduced_stated_code_keeps_its_entry(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(522))
    diagnosis = diagnose(report, kb, stated_code=522)
    entry = kb.get("sa-522")
    assert entry is not None
    blocks = json.dumps(diagnosis_message(report, diagnosis, entry=entry).block_dicts())
    assert "*Fix*" in blocks


def test_entry_views_name_the_placeholders_to_replace(kb: KnowledgeBase) -> None:
    entry = kb.get("sa-521")
    assert entry is not None
    text = render_entry(entry)
    note = next(line for line in text.splitlines() if "Replace " in line)
    for name in ("ORIGIN_IP", "ORIGIN_PORT", "HOST"):
        assert name in note
    blocks = json.dumps([b.to_dict() for b in entry_blocks(entry)])
    assert "Replace " in blocks


def test_long_lists_from_the_server_are_counted_not_printed(kb: KnowledgeBase) -> None:
    addresses = tuple(f"203.0.113.{i}" for i in range(1, 51))
    probe = edge(200, dns=replace(edge(200).dns, addresses=addresses))
    text = render(kb, ProbeReport(edge=probe))
    assert "203.0.113.10 and 40 more" in text
    assert "203.0.113.11," not in text
