"""Compressed bodies: the probe asks for gzip and deflate, so it must read them (up to the cap,
never beyond it), and a body that lies about its encoding is a worded result, not a crash."""

from __future__ import annotations

import gzip
import zlib

import pytest

from bot.knowledge import KnowledgeBase
from bot.probe.http import ACCEPT_ENCODING, MAX_BODY
from bot.probe.runner import probe
from tests.adversarial.conftest import render_all, settings
from tests.servers import HTTPServer, RawResponseServer, Response

NAME = b"NODE_FUNCTION_INVOCATION_TIMEOUT"
PAGE = b"<html><h1>504</h1><p>" + NAME + b"</p></html>"


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _pages_error(body: bytes, encoding: str) -> Response:
    return Response(
        status=504,
        headers={"Server": "edgeone-pages", "Content-Encoding": encoding},
        body=body,
    )


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        pytest.param("gzip", gzip.compress(PAGE), id="gzip"),
        pytest.param("x-gzip", gzip.compress(PAGE), id="x-gzip"),
        pytest.param("deflate", zlib.compress(PAGE), id="deflate-zlib"),
        pytest.param("deflate", _raw_deflate(PAGE), id="deflate-raw"),
        pytest.param(
            "gzip", gzip.compress(PAGE[:20]) + gzip.compress(PAGE[20:]), id="gzip-two-members"
        ),
    ],
)
async def test_a_compressed_pages_error_page_is_read(
    kb: KnowledgeBase, encoding: str, body: bytes
) -> None:
    with HTTPServer(sequence=[_pages_error(body, encoding)]) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/api", settings=settings())
        sent = server.requests[0].header("accept-encoding")
    assert sent == ACCEPT_ENCODING  # only what the probe can decode itself
    http = report.edge.http
    assert http.error_name == NAME.decode()
    assert http.content_encoding == encoding
    assert http.decoded_bytes == len(PAGE)
    assert http.body_bytes == len(body)
    rendered = render_all(report, kb)
    assert rendered.diagnosis.kb_id == "pages-504"


async def test_a_gzip_bomb_stops_at_the_cap(kb: KnowledgeBase) -> None:
    # 300 gzip members of 1 MiB of zeros each (about 300 KiB that expand to 300 MiB), with an
    # error name only at the very end, far past the cap.
    bomb = gzip.compress(b"\0" * (1 << 20), compresslevel=9) * 300 + gzip.compress(NAME)
    with HTTPServer(sequence=[_pages_error(bomb, "gzip")]) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.decoded_bytes == MAX_BODY  # decoded exactly up to the cap, not a byte more
    assert http.body_bytes < len(bomb)  # and the rest was never read
    assert http.error_name is None  # what lies beyond the cap is not looked at
    assert http.error is None
    render_all(report, kb)


async def test_the_raw_read_is_capped_as_well(kb: KnowledgeBase) -> None:
    # Incompressible data: the cap on bytes read off the wire is what stops the read.
    noise = bytes((i * 7919 + 13) % 251 for i in range(3 * MAX_BODY))
    packed = gzip.compress(noise, compresslevel=0)
    with HTTPServer(sequence=[_pages_error(packed, "gzip")]) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.body_bytes == MAX_BODY
    assert http.decoded_bytes is not None
    assert http.decoded_bytes <= MAX_BODY
    render_all(report, kb)


async def test_a_body_that_is_not_what_it_claims_is_worded(kb: KnowledgeBase) -> None:
    body = b"this is not gzip at all, " + NAME
    with HTTPServer(sequence=[_pages_error(body, "gzip")]) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.status_code == 504
    assert http.error == "the body is declared gzip but does not decompress"
    render_all(report, kb)


async def test_an_encoding_the_probe_did_not_ask_for_is_scanned_as_it_is(
    kb: KnowledgeBase,
) -> None:
    payload = (
        b"HTTP/1.1 504 Gateway Timeout\r\nContent-Encoding: br\r\nContent-Length: %d\r\n\r\n%s"
        % (len(PAGE), PAGE)
    )
    with RawResponseServer(payload) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.content_encoding == "br"
    assert http.decoded_bytes is None
    assert http.error_name == NAME.decode()
    render_all(report, kb)
