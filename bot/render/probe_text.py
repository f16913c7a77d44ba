"""Terminal rendering of a probe report and its diagnosis.

The layout follows httpstat: a header line, a bar of phase durations with cumulative marks, then
the TLS and header details, the origin probe when there is one, and the diagnosis last so it is
what stays on screen. Every value from the network is shown with ``bot.untrusted.visible``: an
escape sequence in a header must not drive the terminal, a right-to-left override must not
reorder a name.
"""

from __future__ import annotations

from dataclasses import replace

from bot.diagnosis import Diagnosis, iso_utc
from bot.probe.models import INTERESTING_HEADERS, ProbeReport, ProbeResult, Timings
from bot.render.text import Style
from bot.untrusted import visible

_SEGMENTS = (
    "DNS Lookup",
    "TCP Connection",
    "TLS Handshake",
    "Server Processing",
    "Content Transfer",
)
_MARKS = ("namelookup", "connect", "pretransfer", "starttransfer", "total")
# Each bar cell is its title plus one space each side, so titles and values line up.
_WIDTHS = tuple(len(name) + 2 for name in _SEGMENTS)
_PHASE_SEGMENT = {"dns": 0, "connect": 1, "tls": 2, "http": 3}
_HEADER_LABELS = {
    "eo-log-uuid": "EO-LOG-UUID",
    "eo-cache-status": "EO-Cache-Status",
    "cdn-loop": "CDN-Loop",
    "x-nws-log-uuid": "X-NWS-LOG-UUID",
}
_LABEL_WIDTH = 10
_INDENT = "  "
MAX_LISTED = 10  # addresses of a name, names of a certificate: the rest are counted


def render_probe(report: ProbeReport, diagnosis: Diagnosis, *, style: Style | None = None) -> str:
    st = style or Style()
    lines = _result_lines(report.edge, st, title=None)
    if report.origin is not None:
        lines += ["", *_result_lines(report.origin, st, title="Origin")]
    lines += ["", *_diagnosis_lines(diagnosis, st)]
    return "\n".join(lines)


# ---------------------------------------------------------------- one probed address


def _result_lines(result: ProbeResult, st: Style, *, title: str | None) -> list[str]:
    head = f"{result.http.method} {result.url}"
    if title:
        head = f"{title}: {result.target} (Host {result.host}) — {head}"
    where = f"{_address(result)} at {iso_utc(result.started_at)}"
    lines = [st.bold(_shown(head)) + st.dim(f"  → {_shown(where)}")]
    lines += [_INDENT + line for line in _dns_lines(result)]
    lines.append(_INDENT + _http_line(result))
    if result.failed_phase:
        lines.append(_INDENT + _failed_line(result))
    lines.append("")
    lines += [
        _INDENT + line for line in phase_bar(_bar_timings(result), failed=result.failed_phase)
    ]
    lines.append("")
    lines += [_INDENT + line for line in tls_lines(result)]
    lines += [_INDENT + line for line in _header_lines(result)]
    return lines


def _bar_timings(result: ProbeResult) -> Timings:
    """The timings, with a failed phase's own duration where the timings leave it out."""
    timings = result.timings
    return replace(
        timings,
        dns_ms=timings.dns_ms if timings.dns_ms is not None else result.dns.ms,
        connect_ms=timings.connect_ms if timings.connect_ms is not None else result.connect.ms,
        tls_ms=timings.tls_ms if timings.tls_ms is not None else result.tls.ms,
    )


def _address(result: ProbeResult) -> str:
    ip = result.connect.ip
    if ip is None:
        return f"{result.target} (no connection)"
    return f"[{ip}]:{result.port}" if ":" in ip else f"{ip}:{result.port}"


def _dns_lines(result: ProbeResult) -> list[str]:
    dns = result.dns
    if dns.status == "skipped":
        return [_field("DNS", "not needed (an IP address)")]
    hops = [result.target, *dns.cname_chain]
    chain = " → ".join(hops)
    if dns.status != "ok":
        outcome = dns.status.upper().replace("_", " ")
        lines = [_field("DNS", f"{chain}: {outcome}{_ms_suffix(dns.ms)}")]
        if dns.error:
            lines.append(_field("", dns.error))
        return lines
    on_eo = f" (EdgeOne: {dns.edgeone_suffix or 'yes'})" if dns.on_edgeone else ""
    addresses = _listed(dns.addresses) or "no addresses"
    lines = [_field("DNS", f"{chain} → {addresses}{on_eo}{_ms_suffix(dns.ms)}")]
    # A query type that failed while the other answered (NODATA is normal and not shown).
    for lookup in dns.lookups:
        if lookup.status not in ("ok", "no_answer"):
            lines.append(_field("", f"{lookup.rtype}: {lookup.error or lookup.status}"))
    return lines


def _http_line(result: ProbeResult) -> str:
    http = result.http
    if http.status == "ok":
        version = http.http_version or "HTTP"
        ttfb = f", first byte after {_ms(http.ttfb_ms)}" if http.ttfb_ms is not None else ""
        error = f" ({http.error_name})" if http.error_name else ""
        size = f"{http.body_bytes} bytes"
        if http.content_encoding:
            decoded = f", {http.decoded_bytes} decoded" if http.decoded_bytes is not None else ""
            size += f" ({http.content_encoding}{decoded})"
        text = f"{version} {http.status_code}{error}{ttfb}, {size}"
        if http.error:
            text += f"; {http.error}"
        return _field("HTTP", text)
    if http.status == "skipped":
        return _field("HTTP", "not reached")
    detail = f": {http.error}" if http.error else ""
    return _field("HTTP", f"no response ({http.status}){detail}")


def _failed_line(result: ProbeResult) -> str:
    phase = result.failed_phase or ""
    segment = _SEGMENTS[_PHASE_SEGMENT[phase]] if phase in _PHASE_SEGMENT else phase
    deadline = " (the probe's deadline was reached)" if result.deadline_hit else ""
    return _field("Failed", f"at {segment}{deadline}")


# ---------------------------------------------------------------- the phase bar


def phase_bar(timings: Timings, *, failed: str | None = None) -> list[str]:
    """httpstat's bar: one cell per phase, then one line per cumulative mark.

    A phase that did not run shows "-"; so does a mark whose phase did not run.
    """
    segments = (
        timings.dns_ms,
        timings.connect_ms,
        timings.tls_ms,
        timings.server_ms,
        timings.transfer_ms,
    )
    failed_at = _PHASE_SEGMENT.get(failed or "")
    cells = [_bar_value(value, failed=index == failed_at) for index, value in enumerate(segments)]
    lines = [
        " "
        + " ".join(
            name.center(width) for name, width in zip(_SEGMENTS, _WIDTHS, strict=True)
        ).rstrip(),
        "[" + "|".join(c.center(w) for c, w in zip(cells, _WIDTHS, strict=True)) + "]",
    ]
    columns = _boundaries()
    lines.append(_overlay(columns, pipes_from=0))
    for index, label in enumerate(_mark_labels(timings, segments)):
        lines.append(_overlay(columns, pipes_from=index + 1, label=label, label_end=columns[index]))
    return lines


def _bar_value(value: float | None, *, failed: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}ms" + ("!" if failed else "")


def _mark_labels(timings: Timings, segments: tuple[float | None, ...]) -> list[str]:
    labels, elapsed = [], 0.0
    for name, value in zip(_MARKS[:-1], segments, strict=False):
        elapsed += value or 0.0
        labels.append(f"{name}:{elapsed:.0f}ms" if value is not None else f"{name}:-")
    labels.append(f"total:{timings.total_ms:.0f}ms")
    return labels


def _boundaries() -> list[int]:
    """Column of each "|" after a cell, and of the closing "]"."""
    columns, col = [], 0
    for width in _WIDTHS:
        col += width + 1
        columns.append(col)
    return columns


def _overlay(columns: list[int], *, pipes_from: int, label: str = "", label_end: int = 0) -> str:
    """A row of pipes under the later boundaries, with a label ending on its own boundary."""
    row = [" "] * (columns[-1] + 1)
    for col in columns[pipes_from:]:
        row[col] = "|"
    start = max(0, label_end - len(label) + 1)
    for offset, char in enumerate(label):
        if start + offset < len(row):
            row[start + offset] = char
        else:
            row.append(char)
    return "".join(row).rstrip()


# ---------------------------------------------------------------- TLS and headers


def tls_lines(result: ProbeResult) -> list[str]:
    tls = result.tls
    if tls.status == "skipped":
        why = "not used (plain HTTP)" if result.scheme == "http" else "not reached"
        return [_field("TLS", why)]
    parts = [p for p in (tls.version, tls.cipher) if p]
    if tls.alpn:
        parts.append(f"ALPN {tls.alpn}")
    lines = [_field("TLS", ", ".join(parts) or tls.status + _ms_suffix(tls.ms))]
    if tls.cert is not None:
        cert = tls.cert
        left = f"{cert.days_left} days left" if cert.days_left >= 0 else "expired"
        sans = _listed(cert.sans) or "none"
        lines += [
            _field("Cert", cert.subject),
            _field("", f"issuer {cert.issuer}"),
            _field("", "SANs " + sans),
            _field("", f"not after {iso_utc(cert.not_after)} ({left})"),
        ]
    lines.append(_field("Verify", _verify_text(result)))
    return lines


def _verify_text(result: ProbeResult) -> str:
    tls = result.tls
    if tls.status == "ok":
        return f"ok (trusted for {result.host})"
    if tls.status == "cert_invalid":
        reason = (tls.verify_error or "other").replace("_", " ")
        return f"FAILED: {reason}" + (f" ({tls.error})" if tls.error else "")
    return f"not reached: handshake {tls.status}" + (f" ({tls.error})" if tls.error else "")


def _header_lines(result: ProbeResult) -> list[str]:
    headers = result.http.headers
    present = [name for name in INTERESTING_HEADERS if name in headers]
    lines = []
    for index, name in enumerate(present):
        label = "Headers" if index == 0 else ""
        lines.append(_field(label, f"{_header_label(name)}: {headers[name]}"))
    return lines


def _header_label(name: str) -> str:
    return _HEADER_LABELS.get(name) or "-".join(part.capitalize() for part in name.split("-"))


# ---------------------------------------------------------------- diagnosis


def _diagnosis_lines(diagnosis: Diagnosis, st: Style) -> list[str]:
    lines = [
        st.bold(f"EdgeOne code: {_code_text(diagnosis)}"),
        st.bold(f"Fault: {diagnosis.fault}"),
    ]
    lines.append(_shown(diagnosis.summary))
    if diagnosis.evidence:
        lines += ["", st.bold("Evidence")]
        lines += [f"{_INDENT}- {_shown(item)}" for item in diagnosis.evidence]
    if diagnosis.next_steps:
        lines += ["", st.bold("Next steps")]
        lines += [f"{_INDENT}- {_shown(item)}" for item in diagnosis.next_steps]
    lines += ["", st.bold("For support")]
    lines += [_INDENT + line for line in _support_lines(diagnosis)]
    return lines


def _code_text(diagnosis: Diagnosis) -> str:
    if diagnosis.code is None:
        return "none"
    if diagnosis.kb_id is None:
        return f"{diagnosis.code} (no knowledge entry)"
    product = diagnosis.product.value if diagnosis.product else "unknown product"
    return f"{diagnosis.code} ({product}, {diagnosis.kb_id})"


def _support_lines(diagnosis: Diagnosis) -> list[str]:
    support = diagnosis.support
    status = str(support.status_code) if support.status_code is not None else "no response"
    # "Edge IP" only labels an address that answered as EdgeOne.
    where = (
        _field("Edge IP", support.edge_ip, width=12)
        if support.edge_ip
        else _field("Address", support.address or "none (no connection)", width=12)
    )
    return [
        _field("EO-LOG-UUID", support.eo_log_uuid or "none (no EdgeOne answer)", width=12),
        where,
        _field("Time (UTC)", support.time_utc, width=12),
        _field("URL", support.url, width=12),
        _field("Status", status, width=12),
    ]


# ---------------------------------------------------------------- small helpers


def _field(label: str, value: str, *, width: int = _LABEL_WIDTH) -> str:
    return f"{label:<{width}}{_shown(value)}"


def _listed(items: tuple[str, ...]) -> str:
    """The first MAX_LISTED items, then how many more (a server decides how many there are)."""
    text = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        text += f" and {len(items) - MAX_LISTED} more"
    return text


def _shown(text: str) -> str:
    """One line of text that may come from the network, safe for a terminal."""
    return visible(text, keep_newlines=False)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _ms_suffix(value: float | None) -> str:
    return f" ({_ms(value)})" if value is not None else ""
