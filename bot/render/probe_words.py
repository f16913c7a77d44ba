"""The probe's own words (phase outcomes, certificate problems) for people, in either language.

English output shows the probe's status words as they are (``refused``, ``handshake_failed``:
what ``--json`` says too); other languages get them translated.
"""

from __future__ import annotations

from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language

STATUS = {
    "ok": N_("ok"),
    "nxdomain": N_("NXDOMAIN"),
    "servfail": N_("SERVFAIL"),
    "timeout": N_("timed out"),
    "no_answer": N_("no address"),
    "cname_loop": N_("CNAME loop"),
    "cname_too_long": N_("CNAME chain too long"),
    "refused": N_("refused"),
    "unreachable": N_("unreachable"),
    "error": N_("failed"),
    "handshake_failed": N_("handshake failed"),
    "cert_invalid": N_("certificate rejected"),
    "reset": N_("connection reset"),
    "closed": N_("connection closed"),
    "skipped": N_("skipped"),
}
VERIFY = {
    "expired": N_("the certificate has expired"),
    "not_yet_valid": N_("the certificate is not valid yet"),
    "hostname_mismatch": N_("the certificate does not cover the host name"),
    "untrusted": N_("the certificate is not issued by an authority the probe trusts"),
    "other": N_("verification failed"),
}


def status_word(status: str, language: Language) -> str:
    """A phase's status: the probe's word in English, translated otherwise."""
    if language == "en" or status not in STATUS:
        return status
    return texts(language)(STATUS[status])


def verify_word(reason: str | None, language: Language) -> str:
    """Why a certificate was rejected: the probe's word in English, a sentence otherwise."""
    if language == "en":
        return (reason or "other").replace("_", " ")
    return texts(language)(VERIFY.get(reason or "other", VERIFY["other"]))
