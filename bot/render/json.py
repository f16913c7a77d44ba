"""JSON shapes for `eo-bot ask --json` and `eo-bot probe --json` (and anything else that wants
machine-readable output).

Keys are English and stable whatever the language; ``language`` (top level) says which language
the text values (titles, notes, the diagnosis's sentences) are in.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.diagnosis import Diagnosis, Producer, iso_utc
from bot.i18n.language import Language
from bot.knowledge.localized import localize
from bot.knowledge.matcher import MAX_QUERY_CHARS, Answer, Match
from bot.knowledge.notes import answer_notes, answer_problem
from bot.probe.models import SCHEMA_VERSION, ProbeReport, ProbeResult, TLSResult


def match_dict(match: Match, language: Language = "en") -> dict[str, Any]:
    entry = match.entry
    return {
        "id": entry.id,
        "product": entry.product.value,
        "code": entry.code,
        "codes": list(entry.codes),
        "name": entry.name,
        "title": localize(entry, language).title,
        "score": match.score,
    }


def answer_dict(answer: Answer, *, language: Language = "en") -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": answer.query,
        "language": language,
        "matches": [match_dict(m, language) for m in answer.matches],
    }
    if answer.suggestions:
        out["suggestions"] = [match_dict(m, language) for m in answer.suggestions]
    if answer.family:
        out["family"] = answer.family
    if answer.unknown_codes:
        out["unknown_codes"] = list(answer.unknown_codes)
    notes = answer_notes(answer, language, limit=MAX_QUERY_CHARS)
    if notes:
        out["notes"] = list(notes)
    problem = answer_problem(answer, language)
    if problem:
        out["problem"] = problem
    return out


def probe_dict(report: ProbeReport, diagnosis: Diagnosis) -> dict[str, Any]:
    """`eo-bot probe --json`: the edge probe at the top level, the origin nested, the diagnosis.

    ``schema_version`` changes only when a key is removed or changes meaning; new keys may appear.
    Values are the raw data, as the server sent them (headers, certificate names): escaping them
    for a screen is the reader's job. ``language`` is the language of the diagnosis's sentences
    (``en`` or ``zh``); keys and codes stay English.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "language": diagnosis.language,
        **_result_dict(report.edge),
        "origin": _result_dict(report.origin) if report.origin is not None else None,
        "diagnosis": _diagnosis_dict(diagnosis),
    }


def _result_dict(result: ProbeResult) -> dict[str, Any]:
    dns, connect, http = result.dns, result.connect, result.http
    return {
        "url": result.url,
        "host": result.host,
        "target": result.target,
        "scheme": result.scheme,
        "port": result.port,
        "started_at": iso_utc(result.started_at),
        "failed_phase": result.failed_phase,
        "deadline_hit": result.deadline_hit,
        "dns": {
            "status": dns.status,
            "addresses": list(dns.addresses),
            "cname_chain": list(dns.cname_chain),
            "on_edgeone": dns.on_edgeone,
            "edgeone_suffix": dns.edgeone_suffix,
            "ms": dns.ms,
            "error": dns.error,
            "lookups": [
                {
                    "type": lookup.rtype,
                    "status": lookup.status,
                    "addresses": list(lookup.addresses),
                    "ms": lookup.ms,
                    "error": lookup.error,
                }
                for lookup in dns.lookups
            ],
        },
        "connect": {
            "status": connect.status,
            "ip": connect.ip,
            "port": connect.port,
            "ms": connect.ms,
            "error": connect.error,
        },
        "tls": _tls_dict(result.tls),
        "http": {
            "status": http.status,
            "method": http.method,
            "status_code": http.status_code,
            "http_version": http.http_version,
            "ttfb_ms": http.ttfb_ms,
            "transfer_ms": http.transfer_ms,
            "headers": dict(http.headers),
            "eo_log_uuid": http.eo_log_uuid,
            "error_name": http.error_name,
            "body_bytes": http.body_bytes,
            "content_encoding": http.content_encoding,
            "decoded_bytes": http.decoded_bytes,
            "body_marks": list(http.body_marks),
            "error": http.error,
        },
        "timings": asdict(result.timings),
    }


def _tls_dict(tls: TLSResult) -> dict[str, Any]:
    cert = tls.cert
    return {
        "status": tls.status,
        "version": tls.version,
        "cipher": tls.cipher,
        "alpn": tls.alpn,
        "cert": None
        if cert is None
        else {
            "subject": cert.subject,
            "sans": list(cert.sans),
            "issuer": cert.issuer,
            "not_before": iso_utc(cert.not_before),
            "not_after": iso_utc(cert.not_after),
            "days_left": cert.days_left,
        },
        "error": tls.error,
        "verify_error": tls.verify_error,
        "ms": tls.ms,
    }


def _diagnosis_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        "code": diagnosis.code,
        "product": diagnosis.product.value if diagnosis.product else None,
        "kb_id": diagnosis.kb_id,
        "fault": diagnosis.fault,
        "summary": diagnosis.summary,
        "evidence": list(diagnosis.evidence),
        "next_steps": list(diagnosis.next_steps),
        "support": asdict(diagnosis.support),
        "stated_code": diagnosis.stated_code,
        "reproduced": diagnosis.reproduced,
        "producer": _producer_dict(diagnosis.producer),
        "weighed": [asdict(item) for item in diagnosis.weighed],
    }


def _producer_dict(producer: Producer | None) -> dict[str, Any] | None:
    """Who produced the response: kind, vendor id, name, the marks that decided it, and the
    platforms it passed through."""
    if producer is None:
        return None
    return {
        "kind": producer.kind,
        "vendor": producer.vendor or None,
        "name": producer.name or None,
        "marks": [asdict(mark) for mark in producer.marks],
        "via": list(producer.via),
        "edgeone_marked": producer.edgeone_marked,
    }
