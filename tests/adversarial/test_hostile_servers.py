"""Hostile and broken HTTP servers on loopback: every answer ends in a worded result.

Each server here sends something a well-behaved server never would. The probe must return data
(never raise), say what was wrong in its own words, and the report must render in the terminal,
in Slack and as JSON.
"""

from __future__ import annotations

import json

import pytest

from bot.knowledge import KnowledgeBase
from bot.probe.http import MAX_BODY, MAX_HEADER_VALUE
from bot.probe.runner import probe
from bot.render.blocks import probe_summary_message
from tests.adversarial.conftest import render_all, settings
from tests.servers import (
    FullBacklogServer,
    RawResponseServer,
    SilentServer,
    TLSFixtures,
)


def head(status_line: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [status_line, *headers, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def probe_raw(payload: bytes | list[bytes], **kw: object):  # type: ignore[no-untyped-def]
    with RawResponseServer(payload) as server:
        return await probe(f"http://127.0.0.1:{server.port}/", settings=settings(**kw))


# ---------------------------------------------------------------- redirects httpx cannot parse


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://[::1", id="unclosed-ipv6"),
        pytest.param("http://[zz]/", id="bad-ipv6"),
        pytest.param("http://xn--zz/", id="bad-punycode"),
        pytest.param("https://x:99999/", id="port-out-of-range"),
        pytest.param("//[", id="bracket-only"),
        pytest.param("http://exa\u202emple.test/", id="bidi-in-host"),
        pytest.param("http://" + "a" * 300 + ".test/", id="label-too-long"),
    ],
)
async def test_redirect_with_a_location_no_client_accepts_is_reported(
    kb: KnowledgeBase, location: str
) -> None:
    report = await probe_raw(head(b"HTTP/1.1 301 Moved", b"Location: " + location.encode("utf-8")))
    edge = report.edge
    assert edge.failed_phase is None
    assert edge.connect.status == "ok"
    assert edge.http.status == "ok"
    assert edge.http.status_code == 301
    assert edge.http.headers["location"] == location
    rendered = render_all(report, kb)
    assert "redirect: 301" in rendered.diagnosis.summary


# ---------------------------------------------------------------- answers that are not HTTP


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        pytest.param(
            head(b"HTTP/1.1 2000 OK"), "error", "status line is not valid", id="status-2000"
        ),
        pytest.param(head(b"HTTP/1.1 000 Zero"), "error", "status code", id="status-000"),
        pytest.param(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nxx",
            "error",
            "switched protocols",
            id="unasked-101",
        ),
        pytest.param(
            head(b"HTTP/1.1 200 OK", b"Server: a\x00b"), "error", "header line", id="nul-header"
        ),
        pytest.param(
            head(b"HTTP/1.1 200 OK", b"Bad Name: x"), "error", "header line", id="space-in-name"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000) for i in range(200))
            + b"\r\n",
            "error",
            "larger than",
            id="huge-head",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
            "error",
            "Content-Length",
            id="bad-content-length",
        ),
        pytest.param(b"", "closed", "closed the connection", id="nothing"),
        pytest.param(b"HTTP/1.1 100 Continue\r\n\r\n", "closed", "closed", id="only-100"),
    ],
)
async def test_invalid_answers_are_named_in_our_words(
    kb: KnowledgeBase, payload: bytes, status: str, words: str
) -> None:
    report = await probe_raw(payload)
    http = report.edge.http
    assert report.edge.failed_phase == "http"
    assert http.status == status
    assert http.error is not None
    assert words in http.error
    rendered = render_all(report, kb)
    assert rendered.diagnosis.code == 520
    assert any(words in line for line in rendered.diagnosis.evidence)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
            "closed before the whole body",
            id="short-body",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
            "chunked body is not valid",
            id="bad-chunk",
        ),
    ],
)
async def test_a_broken_body_keeps_the_status_and_says_what_broke(
    kb: KnowledgeBase, payload: bytes, words: str
) -> None:
    report = await probe_raw(payload)
    http = report.edge.http
    assert (http.status, http.status_code) == ("ok", 200)
    assert http.error is not None
    assert words in http.error
    rendered = render_all(report, kb)
    assert words in rendered.terminal


async def test_an_unregistered_status_code_is_reported(kb: KnowledgeBase) -> None:
    report = await probe_raw(head(b"HTTP/1.1 999 Whatever"))
    assert report.edge.http.status_code == 999
    rendered = render_all(report, kb)
    assert "999" in rendered.diagnosis.summary


# ---------------------------------------------------------------- timeouts, in our words


async def test_silent_origin_names_the_read_timeout_and_its_length(kb: KnowledgeBase) -> None:
    with SilentServer() as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.status == "timeout"
    assert http.error == "no response within the read timeout (0.5 s)"
    rendered = render_all(report, kb)
    assert any("read timeout (0.5 s)" in line for line in rendered.diagnosis.evidence)
    for text in (rendered.terminal, rendered.slack.text, rendered.blocks):
        assert "Cancel" not in text
    assert "read timeout (0.5 s)" in rendered.terminal
    assert "read timeout (0.5 s)" in rendered.blocks


async def test_dropped_syn_names_the_connect_timeout(kb: KnowledgeBase) -> None:
    with FullBacklogServer() as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    assert report.edge.connect.status == "timeout"
    assert report.edge.connect.error is not None
    assert "connect timeout (0.5 s)" in report.edge.connect.error
    rendered = render_all(report, kb)
    assert "connect timeout (0.5 s)" in rendered.terminal


async def test_the_deadline_names_itself(kb: KnowledgeBase) -> None:
    with SilentServer() as server:
        report = await probe(
            f"http://127.0.0.1:{server.port}/", settings=settings(read_timeout=10, deadline=0.6)
        )
    assert report.edge.deadline_hit
    assert report.edge.http.error == "the probe's deadline (0.6 s) passed"
    render_all(report, kb)


async def test_silent_tls_server_names_the_handshake_timeout(kb: KnowledgeBase) -> None:
    with SilentServer(silent_before_read=True) as server:
        report = await probe(f"https://127.0.0.1:{server.port}/", settings=settings())
    tls = report.edge.tls
    assert tls.status == "timeout"
    assert tls.error is not None
    assert "TLS handshake within the connect timeout (0.5 s)" in tls.error
    render_all(report, kb)


async def test_plain_http_on_the_tls_port_is_worded(kb: KnowledgeBase) -> None:
    payload = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with RawResponseServer(payload) as server:
        report = await probe(f"https://127.0.0.1:{server.port}/", settings=settings())
    assert report.edge.tls.status == "handshake_failed"
    assert report.edge.tls.error is not None
    assert "does not speak TLS" in report.edge.tls.error
    render_all(report, kb)


async def test_certificate_failures_are_worded(kb: KnowledgeBase) -> None:
    from tests.servers import HTTPServer

    with TLSFixtures() as tls, HTTPServer(ssl_context=tls.server_context("expired")) as server:
        report = await probe(
            f"https://127.0.0.1:{server.port}/",
            settings=settings(ca_file=str(tls.client_ca_pem_path)),
        )
    assert report.edge.tls.status == "cert_invalid"
    assert report.edge.tls.error == "the certificate has expired"
    render_all(report, kb)


# ---------------------------------------------------------------- header bytes from the server


async def test_control_and_bidi_characters_in_headers_are_shown_not_obeyed(
    kb: KnowledgeBase,
) -> None:
    payload = head(
        b"HTTP/1.1 200 OK",
        b"Server: red\x1b[31m\x1b]0;pwned\x07",
        "Via: 1.1 evil\u202eexe.txt\u200b".encode(),
        b"Content-Type: \x9b31m",
    )
    report = await probe_raw(payload)
    headers = report.edge.http.headers
    assert headers["server"] == "red\x1b[31m\x1b]0;pwned\x07"  # the data stays raw
    rendered = render_all(report, kb)
    for text in (rendered.terminal, rendered.slack.text, rendered.blocks):
        for raw in ("\x1b", "\x07", "\u202e", "\u200b", "\x9b"):
            assert raw not in text
    assert "red<U+001B>[31m<U+001B>]0;pwned<U+0007>" in rendered.terminal
    assert "evil<U+202E>exe.txt<U+200B>" in rendered.terminal
    assert "evil&lt;U+202E&gt;exe.txt" in rendered.blocks
    assert rendered.json["http"]["headers"]["via"] == "1.1 evil\u202eexe.txt\u200b"


async def test_a_huge_header_value_is_cut(kb: KnowledgeBase) -> None:
    report = await probe_raw(head(b"HTTP/1.1 200 OK", b"Server: " + b"A" * 50_000))
    server = report.edge.http.headers["server"]
    assert server == "A" * MAX_HEADER_VALUE + "…"
    rendered = render_all(report, kb)
    assert len(rendered.slack.text) <= 3000


async def test_a_header_that_only_looks_like_eo_log_uuid_is_not_edgeone(
    kb: KnowledgeBase,
) -> None:
    report = await probe_raw(head(b"HTTP/1.1 502 Bad Gateway", b"EO-LOG-UUID: 1, 2"))
    assert report.edge.http.eo_log_uuid is None
    rendered = render_all(report, kb)
    assert rendered.diagnosis.support.eo_log_uuid is None
    assert "no EdgeOne markers" in rendered.diagnosis.summary


# ---------------------------------------------------------------- mentions from the network


EVIL = "<@U0EVIL>"


async def test_a_mention_sent_by_the_server_never_reaches_slack_live(kb: KnowledgeBase) -> None:
    payload = head(
        b"HTTP/1.1 302 Found",
        f"Location: https://x.test/{EVIL}<!channel>".encode(),
        f"Server: {EVIL} <!here>".encode(),
        f"EO-LOG-UUID: {EVIL}".encode(),
    )
    report = await probe_raw(payload)
    rendered = render_all(report, kb)
    assert EVIL in rendered.diagnosis.summary  # the diagnosis quotes the server as it is
    message = rendered.slack
    for text in (message.text, rendered.blocks):
        assert EVIL not in text
        assert "<!channel>" not in text
        assert "<!here>" not in text
    assert "&lt;@U0EVIL&gt;" in message.text
    # A mention the bot means (who asked) stays live next to it.
    summary = probe_summary_message(report.edge.url, rendered.diagnosis, user="U0ASKER")
    assert "<@U0ASKER>" in summary.text
    assert "<@U0ASKER>" in json.dumps(summary.block_dicts())


async def test_hostile_server_through_the_slack_app(bot, kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    """The whole way: a mention in Slack, a probe of a hostile server, what Slack is sent."""
    from tests.slack.conftest import fixture

    payload = head(
        b"HTTP/1.1 301 Moved",
        b"Location: http://xn--zz/",
        f"Server: {EVIL} <!channel> \u202eevil".encode(),
    )
    with RawResponseServer(payload) as server:
        url = f"http://127.0.0.1:{server.port}/cart"
        envelope = fixture("app_mention.json")
        envelope["event"].update(text=f"<@UBOT> <{url}|127.0.0.1/cart> gives 522")
        response = await bot.event(envelope)
        assert response.status == 200
        await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
    sent = [*bot.fake.of("chat.postMessage"), *bot.fake.of("chat.update")]
    final = bot.fake.of("chat.update")[-1]
    assert "Something went wrong" not in final.text
    assert "301" in final.block_text()
    for call in sent:
        body = json.dumps(call.body, ensure_ascii=False)
        assert EVIL not in body
        assert "<!channel>" not in body
        assert "\u202e" not in body


# ---------------------------------------------------------------- the CLI


def test_cli_probe_of_a_redirect_it_cannot_parse_exits_0() -> None:
    from tests.test_cli import run

    payload = head(b"HTTP/1.1 301 Moved", b"Location: http://xn--zz/")
    with RawResponseServer(payload) as server:
        result = run(
            "probe",
            f"http://127.0.0.1:{server.port}/",
            "--allow-network",
            "127.0.0.0/8",
            "--allow-port",
            str(server.port),
        )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "redirect: 301" in result.stdout


def test_body_cap_is_the_documented_64_kib() -> None:
    assert MAX_BODY == 64 * 1024
