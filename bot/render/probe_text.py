"""Terminal rendering of a probe report and its diagnosis, in English or Chinese.

The layout follows httpstat: a header line, a bar of phase durations with cumulative marks, then
the TLS and header details, the origin probe when there is one, and the diagnosis last so it is
what stays on screen. Every value from the network is shown with ``bot.untrusted.visible``: an
escape sequence in a header must not drive the terminal, a right-to-left override must not
reorder a name. Columns are laid out in terminal cells, so Chinese labels line up too; the bar's
marks (``namelookup``, ``starttransfer``...) are curl's names and stay as they are.
"""

from __future__ import annotations

from dataclasses import replace

from bot.diagnosis import Diagnosis, iso_utc
from bot.i18n.catalogue import N_, Translate, texts
from bot.i18n.language import Language
from bot.probe.models import INTERESTING_HEADERS, ProbeReport, ProbeResult, Timings
from bot.render.probe_words import status_word, verify_word
from bot.render.text import Style, cells, pad
from bot.untrusted import visible

_SEGMENTS = (
    N_("DNS Lookup"),
    N_("TCP Connection"),
    N_("TLS Handshake"),
    N_("Server Processing"),
    N_("Content Transfer"),
)
_MARKS = ("namelookup", "connect", "pretransfer", "starttransfer", "total")
_PHASE_SEGMENT = {"dns": 0, "connect": 1, "tls": 2, "http": 3}
_HEADER_LABELS = {
    "eo-log-uuid": "EO-LOG-UUID",
    "eo-cache-status": "EO-Cache-Status",
    "cdn-loop": "CDN-Loop",
    "x-nws-log-uuid": "X-NWS-LOG-UUID",
}
_FAULTS = {
    "origin": N_("origin"),
    "edge": N_("EdgeOne"),
    "network": N_("network path"),
    "dns": N_("DNS"),
    "client": N_("client"),
    "none": N_("none"),
}
_LABEL_WIDTH = 10
_INDENT = "  "
MAX_LISTED = 10  # addresses of a name, names of a certificate: the rest are counted


def render_probe(
    report: ProbeReport,
    diagnosis: Diagnosis,
    *,
    style: Style | None = None,
    language: Language = "en",
) -> str:
    words = _Words(style or Style(), language)
    lines = words.result(report.edge, title=False)
    if report.origin is not None:
        lines += ["", *words.result(report.origin, title=True)]
    lines += ["", *words.diagnosis(diagnosis)]
    return "\n".join(lines)


def segments(language: Language = "en") -> tuple[str, ...]:
    """The titles of the bar's cells."""
    _ = texts(language)
    return tuple(_(name) for name in _SEGMENTS)


class _Words:
    """The report's lines in one language."""

    def __init__(self, st: Style, language: Language) -> None:
        self.st = st
        self.language = language
        self._: Translate = texts(language)

    # ------------------------------------------------------------ one probed address

    def result(self, result: ProbeResult, *, title: bool) -> list[str]:
        _, st = self._, self.st
        head = f"{result.http.method} {result.url}"
        if title:
            head = _("Origin: {target} (Host {host}) — {request}").format(
                target=result.target, host=result.host, request=head
            )
        where = _("{address} at {time}").format(
            address=self.address(result), time=iso_utc(result.started_at)
        )
        lines = [st.bold(_shown(head)) + st.dim(f"  → {_shown(where)}")]
        lines += [_INDENT + line for line in self.dns(result)]
        lines.append(_INDENT + self.http(result))
        if result.failed_phase:
            lines.append(_INDENT + self.failed(result))
        lines.append("")
        bar = phase_bar(_bar_timings(result), failed=result.failed_phase, language=self.language)
        lines += [_INDENT + line for line in bar]
        lines.append("")
        lines += [_INDENT + line for line in tls_lines(result, self.language)]
        lines += [_INDENT + line for line in self.headers(result)]
        return lines

    def address(self, result: ProbeResult) -> str:
        ip = result.connect.ip
        if ip is None:
            return self._("{target} (no connection)").format(target=result.target)
        return f"[{ip}]:{result.port}" if ":" in ip else f"{ip}:{result.port}"

    def dns(self, result: ProbeResult) -> list[str]:
        _ = self._
        dns = result.dns
        if dns.status == "skipped":
            return [_field("DNS", _("not needed (an IP address)"))]
        hops = [result.target, *dns.cname_chain]
        chain = " → ".join(hops)
        if dns.status != "ok":
            if self.language == "en":
                outcome = dns.status.upper().replace("_", " ")
            else:
                outcome = status_word(dns.status, self.language)
            lines = [_field("DNS", f"{chain}: {outcome}{_ms_suffix(dns.ms)}")]
            if dns.error:
                lines.append(_field("", self.raw(dns.error)))
            return lines
        on_eo = ""
        if dns.on_edgeone:
            on_eo = " " + _("(EdgeOne: {suffix})").format(suffix=dns.edgeone_suffix or _("yes"))
        addresses = _listed(dns.addresses, self.language) or _("no addresses")
        lines = [_field("DNS", f"{chain} → {addresses}{on_eo}{_ms_suffix(dns.ms)}")]
        # A query type that failed while the other answered (NODATA is normal and not shown).
        for lookup in dns.lookups:
            if lookup.status not in ("ok", "no_answer"):
                why = self.raw(lookup.error) if lookup.error else lookup.status
                lines.append(_field("", f"{lookup.rtype}: {why}"))
        return lines

    def http(self, result: ProbeResult) -> str:
        _ = self._
        http = result.http
        if http.status == "ok":
            version = http.http_version or "HTTP"
            error = f" ({http.error_name})" if http.error_name else ""
            parts = [f"{version} {http.status_code}{error}"]
            if http.ttfb_ms is not None:
                parts.append(_("first byte after {time}").format(time=_ms(http.ttfb_ms)))
            size = _("{count} bytes").format(count=http.body_bytes)
            if http.content_encoding:
                if http.decoded_bytes is not None:
                    size += " " + _("({encoding}, {count} decoded)").format(
                        encoding=http.content_encoding, count=http.decoded_bytes
                    )
                else:
                    size += f" ({http.content_encoding})"
            parts.append(size)
            text = _(", ").join(parts)
            if http.error:
                text += _("; ") + self.raw(http.error)
            return _field("HTTP", text)
        if http.status == "skipped":
            return _field("HTTP", _("not reached"))
        text = _("no response ({status})").format(status=status_word(http.status, self.language))
        if http.error:
            text += _(": ") + self.raw(http.error)
        return _field("HTTP", text)

    def failed(self, result: ProbeResult) -> str:
        _ = self._
        phase = result.failed_phase or ""
        names = segments(self.language)
        segment = names[_PHASE_SEGMENT[phase]] if phase in _PHASE_SEGMENT else phase
        if result.deadline_hit:
            text = _("at {phase} (the probe's deadline was reached)").format(phase=segment)
        else:
            text = _("at {phase}").format(phase=segment)
        return _field(_("Failed"), text)

    def headers(self, result: ProbeResult) -> list[str]:
        headers = result.http.headers
        present = [name for name in INTERESTING_HEADERS if name in headers]
        lines = []
        for index, name in enumerate(present):
            label = self._("Headers") if index == 0 else ""
            lines.append(_field(label, f"{_header_label(name)}: {headers[name]}"))
        return lines

    def raw(self, text: str) -> str:
        return _raw(text, self.language)

    # ------------------------------------------------------------ diagnosis

    def diagnosis(self, diagnosis: Diagnosis) -> list[str]:
        _, st = self._, self.st
        fault: str = diagnosis.fault
        if self.language != "en":
            fault = _(_FAULTS[fault]) if fault in _FAULTS else fault
        lines = [
            st.bold(_("EdgeOne code: {code}").format(code=self.code(diagnosis))),
            st.bold(_("Fault: {fault}").format(fault=fault)),
        ]
        lines.append(_shown(diagnosis.summary))
        if diagnosis.evidence:
            lines += ["", st.bold(_("Evidence"))]
            lines += [f"{_INDENT}- {_shown(item)}" for item in diagnosis.evidence]
        if diagnosis.next_steps:
            lines += ["", st.bold(_("Next steps"))]
            lines += [f"{_INDENT}- {_shown(item)}" for item in diagnosis.next_steps]
        lines += ["", st.bold(_("For support"))]
        lines += [_INDENT + line for line in self.support(diagnosis)]
        return lines

    def code(self, diagnosis: Diagnosis) -> str:
        _ = self._
        if diagnosis.code is None:
            return _("none")
        if diagnosis.kb_id is None:
            return _("{code} (no knowledge entry)").format(code=diagnosis.code)
        product = diagnosis.product.value if diagnosis.product else _("unknown product")
        return f"{diagnosis.code} ({product}, {diagnosis.kb_id})"

    def support(self, diagnosis: Diagnosis) -> list[str]:
        _ = self._
        support = diagnosis.support
        code = support.status_code
        status = str(code) if code is not None else _("no response")
        # "Edge IP" only labels an address that answered as EdgeOne.
        if support.edge_ip:
            where = _field(_("Edge IP"), support.edge_ip, width=12)
        else:
            where = _field(_("Address"), support.address or _("none (no connection)"), width=12)
        uuid = support.eo_log_uuid or _("none (no EdgeOne answer)")
        return [
            _field("EO-LOG-UUID", uuid, width=12),
            where,
            _field(_("Time (UTC)"), support.time_utc, width=12),
            _field("URL", support.url, width=12),
            _field(_("Status"), status, width=12),
        ]


def _bar_timings(result: ProbeResult) -> Timings:
    """The timings, with a failed phase's own duration where the timings leave it out."""
    timings = result.timings
    return replace(
        timings,
        dns_ms=timings.dns_ms if timings.dns_ms is not None else result.dns.ms,
        connect_ms=timings.connect_ms if timings.connect_ms is not None else result.connect.ms,
        tls_ms=timings.tls_ms if timings.tls_ms is not None else result.tls.ms,
    )


# ---------------------------------------------------------------- the phase bar


def phase_bar(
    timings: Timings, *, failed: str | None = None, language: Language = "en"
) -> list[str]:
    """httpstat's bar: one cell per phase, then one line per cumulative mark.

    A phase that did not run shows "-"; so does a mark whose phase did not run. Each cell is its
    title plus one space each side, in terminal cells, so titles and values line up.
    """
    names = segments(language)
    widths = tuple(cells(name) + 2 for name in names)
    values = (
        timings.dns_ms,
        timings.connect_ms,
        timings.tls_ms,
        timings.server_ms,
        timings.transfer_ms,
    )
    failed_at = _PHASE_SEGMENT.get(failed or "")
    shown = [_bar_value(value, failed=index == failed_at) for index, value in enumerate(values)]
    lines = [
        " " + " ".join(_center(name, width) for name, width in zip(names, widths, strict=True)),
        "[" + "|".join(c.center(w) for c, w in zip(shown, widths, strict=True)) + "]",
    ]
    lines[0] = lines[0].rstrip()
    columns = _boundaries(widths)
    lines.append(_overlay(columns, pipes_from=0))
    for index, label in enumerate(_mark_labels(timings, values)):
        lines.append(_overlay(columns, pipes_from=index + 1, label=label, label_end=columns[index]))
    return lines


def _center(text: str, width: int) -> str:
    """``str.center`` by terminal cells: a wide character counts twice."""
    return text.center(width - (cells(text) - len(text)))


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


def _boundaries(widths: tuple[int, ...]) -> list[int]:
    """Column of each "|" after a cell, and of the closing "]"."""
    columns, col = [], 0
    for width in widths:
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


def tls_lines(result: ProbeResult, language: Language = "en") -> list[str]:
    _ = texts(language)
    tls = result.tls
    if tls.status == "skipped":
        why = _("not used (plain HTTP)") if result.scheme == "http" else _("not reached")
        return [_field("TLS", why)]
    parts = [p for p in (tls.version, tls.cipher) if p]
    if tls.alpn:
        parts.append(f"ALPN {tls.alpn}")
    lines = [
        _field("TLS", ", ".join(parts) or status_word(tls.status, language) + _ms_suffix(tls.ms))
    ]
    if tls.cert is not None:
        cert = tls.cert
        if cert.days_left >= 0:
            left = _("{days} days left").format(days=cert.days_left)
        else:
            left = _("expired")
        sans = _listed(cert.sans, language) or _("none")
        lines += [
            _field(_("Cert"), cert.subject),
            _field("", _("issuer {issuer}").format(issuer=cert.issuer)),
            _field("", _("SANs {names}").format(names=sans)),
            _field(
                "", _("not after {date} ({left})").format(date=iso_utc(cert.not_after), left=left)
            ),
        ]
    lines.append(_field(_("Verify"), _verify_text(result, language)))
    return lines


def _verify_text(result: ProbeResult, language: Language) -> str:
    _ = texts(language)
    tls = result.tls
    detail = f" ({_raw(tls.error, language)})" if tls.error else ""
    if tls.status == "ok":
        return _("ok (trusted for {host})").format(host=result.host)
    if tls.status == "cert_invalid":
        return _("FAILED: {reason}").format(reason=verify_word(tls.verify_error, language)) + detail
    return (
        _("not reached: handshake {status}").format(status=status_word(tls.status, language))
        + detail
    )


def _header_label(name: str) -> str:
    return _HEADER_LABELS.get(name) or "-".join(part.capitalize() for part in name.split("-"))


# ---------------------------------------------------------------- small helpers


def _field(label: str, value: str, *, width: int = _LABEL_WIDTH) -> str:
    return pad(label, width) + _shown(value)


def _listed(items: tuple[str, ...], language: Language) -> str:
    """The first MAX_LISTED items, then how many more (a server decides how many there are)."""
    text = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        _ = texts(language)
        more = _("and {count} more").format(count=len(items) - MAX_LISTED)
        text += " " + more
    return text


def _raw(text: str, language: Language) -> str:
    """The probe's own English detail: as it is in English, quoted in another language."""
    return text if language == "en" else "`" + text.replace("`", "'") + "`"


def _shown(text: str) -> str:
    """One line of text that may come from the network, safe for a terminal."""
    return visible(text, keep_newlines=False)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _ms_suffix(value: float | None) -> str:
    return f" ({_ms(value)})" if value is not None else ""
