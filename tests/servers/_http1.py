"""Minimal HTTP/1.1 pieces shared by the HTTP server and the fake edge: parse, frame, serve."""

from __future__ import annotations

import asyncio
import http
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._loop import Conn

Action = Literal["respond", "reset", "close", "silent"]

HeaderItems = Mapping[str, str] | Sequence[tuple[str, str]]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_EXTRA_REASONS = {
    418: "I'm a Teapot",
    520: "Origin Error",
    521: "Origin Refused Connection",
    522: "Origin Connect Timeout",
    523: "Origin Not Resolvable",
    524: "Origin Response Timeout",
    525: "Origin TLS Handshake Failed",
}


class ProtocolError(Exception):
    """Malformed HTTP/1.x message."""


def reason_for(status: int) -> str:
    if status in _EXTRA_REASONS:
        return _EXTRA_REASONS[status]
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def header_items(headers: HeaderItems) -> list[tuple[str, str]]:
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def get_header(items: Sequence[tuple[str, str]], name: str) -> str | None:
    """Value of header ``name`` (case-insensitive); repeated headers are joined with ", "."""
    lname = name.lower()
    values = [v for k, v in items if k.lower() == lname]
    return ", ".join(values) if values else None


@dataclass
class RecordedRequest:
    """One HTTP request as a server received it."""

    method: str
    #: The request target exactly as sent (path plus query, or absolute form).
    target: str
    version: str
    #: Header (name, value) pairs in the order received, names as sent.
    raw_headers: list[tuple[str, str]]
    body: bytes
    #: (ip, port) of the client.
    client: tuple[str, int]
    tls: bool = False
    #: The TLS SNI name the client sent (None without TLS or without SNI).
    sni: str | None = None

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]

    @property
    def headers(self) -> dict[str, str]:
        """Headers keyed by lower-cased name; repeated headers joined with ", "."""
        out: dict[str, str] = {}
        for name, value in self.raw_headers:
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def header(self, name: str) -> str | None:
        return get_header(self.raw_headers, name)

    @property
    def host(self) -> str | None:
        """The Host header as sent (may include a port)."""
        return self.header("host")


@dataclass
class Response:
    """What a test server does with one request.

    ``action``: "respond" (send the response), "reset" (RST without answering), "close" (close
    without answering) or "silent" (never answer; wait until the client goes away).
    ``first_byte_delay`` delays everything; ``body_delay`` delays the body after the head was sent.
    A ``Content-Length`` is added unless ``headers`` has Content-Length or Transfer-Encoding.
    """

    status: int = 200
    headers: HeaderItems = field(default_factory=dict)
    body: bytes = b""
    reason: str | None = None
    first_byte_delay: float = 0.0
    body_delay: float = 0.0
    action: Action = "respond"


def redirect_to(url: str, status: int = 302) -> Response:
    """A redirect response to ``url``."""
    return Response(status=status, headers={"Location": url, "Content-Type": "text/plain"})


async def read_head(reader: asyncio.StreamReader) -> bytes | None:
    """Read up to and including the blank line; None on a clean EOF before any byte."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("connection closed inside the message head") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("message head too large") from exc


def parse_head(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Split a message head into its start line and header pairs."""
    lines = data.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"bad header line {line!r}")
        headers.append((name, value.strip()))
    return lines[0], headers


def parse_request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ProtocolError(f"bad request line {line!r}")
    return parts[0], parts[1], parts[2]


def parse_status_line(line: str) -> tuple[str, int, str]:
    version, _, rest = line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"bad status line {line!r}")
    return version, int(code), reason


async def read_body(
    reader: asyncio.StreamReader, headers: Sequence[tuple[str, str]], *, until_eof: bool
) -> bytes:
    """Read a message body framed by chunked encoding, Content-Length, or (responses) EOF."""
    te = get_header(headers, "transfer-encoding")
    if te is not None and "chunked" in te.lower():
        return await _read_chunked(reader)
    length = get_header(headers, "content-length")
    if length is not None:
        value = length.split(",")[0].strip()
        if not value.isdigit():
            raise ProtocolError(f"bad Content-Length {length!r}")
        return await reader.readexactly(int(value))
    if until_eof:
        return await reader.read()
    return b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size {line!r}") from exc
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def no_body_status(status: int) -> bool:
    return 100 <= status < 200 or status in (204, 304)


def render_response(
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    reason: str | None = None,
    head_only: bool = False,
    close: bool = False,
) -> tuple[bytes, bytes]:
    """Serialize a response as (head, body); adds Content-Length and Connection: close if needed."""
    items = list(headers)
    names = {k.lower() for k, _ in items}
    if (
        "content-length" not in names
        and "transfer-encoding" not in names
        and not no_body_status(status)
    ):
        items.append(("Content-Length", str(len(body))))
    if close and get_header(items, "connection") is None:
        items.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {status} {reason if reason is not None else reason_for(status)}"]
    lines += [f"{k}: {v}" for k, v in items]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if head_only or no_body_status(status):
        body = b""
    return head, body


def wants_close(req: RecordedRequest) -> bool:
    conn = (req.header("connection") or "").lower()
    if req.version == "HTTP/1.0":
        return "keep-alive" not in conn
    return "close" in conn


Responder = Callable[[RecordedRequest], Awaitable[Response]]


async def serve_http(
    conn: Conn, respond: Responder, record: Callable[[RecordedRequest], None]
) -> None:
    """Serve HTTP/1.1 requests on ``conn`` (keep-alive) until the client or a response closes."""
    reader, writer = conn.reader, conn.writer
    while True:
        try:
            head = await read_head(reader)
            if head is None:
                return
            start, headers = parse_head(head)
            method, target, version = parse_request_line(start)
            body = await read_body(reader, headers, until_eof=False)
        except ProtocolError:
            bad, _ = render_response(400, [("Content-Type", "text/plain")], b"", close=True)
            writer.write(bad + b"bad request")
            await writer.drain()
            return
        req = RecordedRequest(method, target, version, headers, body, conn.peer, conn.tls, conn.sni)
        record(req)
        resp = await respond(req)
        if not await write_response(conn, req, resp):
            return


async def write_response(conn: Conn, req: RecordedRequest, resp: Response) -> bool:
    """Carry out ``resp`` for ``req``; True if the connection may serve another request."""
    if resp.action == "reset":
        conn.reset()
        return False
    if resp.action == "close":
        return False
    if resp.action == "silent":
        while await conn.reader.read(65536):
            pass
        return False
    if resp.first_byte_delay > 0:
        await asyncio.sleep(resp.first_byte_delay)
    items = header_items(resp.headers)
    close = wants_close(req) or "close" in (get_header(items, "connection") or "").lower()
    head, body = render_response(
        resp.status,
        items,
        resp.body,
        reason=resp.reason,
        head_only=req.method == "HEAD",
        close=close,
    )
    if resp.body_delay > 0:
        conn.writer.write(head)
        await conn.writer.drain()
        await asyncio.sleep(resp.body_delay)
        conn.writer.write(body)
    else:
        conn.writer.write(head + body)
    await conn.writer.drain()
    return not close
