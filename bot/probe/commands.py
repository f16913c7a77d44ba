"""Fill the knowledge base's check commands with what a probe found: validated, then shell-quoted.

People paste these commands into a shell, and some values come from the probed server (its
EO-LOG-UUID) or from whoever asked for the probe (the host, the path). So a value enters a command
only when it has the shape its placeholder stands for (an EO-LOG-UUID is digits, a host is a DNS
name or an IP address, a port is a number), and every value is quoted for the shell where it
lands: unquoted, inside '...' or inside "..." in the template. A value that fails its check leaves
the placeholder in place, to be replaced by hand.

Two conveniences keep the commands looking like the probed URL: ``SCHEME://HOST:PORT`` loses the
``:PORT`` when it is the scheme's default, and an IPv6 address next to a ``:`` or after ``//`` is
written in brackets (``[2001:db8::1]:443``, ``https://[2001:db8::1]/``).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable, Mapping
from typing import NamedTuple

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
# What parse_target leaves in a path and query: RFC 3986 characters, existing %-escapes.
_PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/%?\[\]-]{0,2048}")


def _host(value: str) -> bool:
    if _ip(value):
        return True
    name = value.removesuffix(".")
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def _ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _port(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= 65535


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


# Each placeholder a probe can fill, and the shape its value must have.
CHECKS: dict[str, Callable[[str], bool]] = {
    "SCHEME": _pattern(r"https?"),
    "HOST": _host,
    "PORT": _port,
    "PATH": lambda value: _PATH.fullmatch(value) is not None,
    "ORIGIN_HOST": _host,
    "ORIGIN_IP": _ip,
    "ORIGIN_PORT": _port,
    "NODE_IP": _ip,
    "EO_LOG_UUID": _pattern(r"[0-9]{1,40}"),
    "EO_LOG_UUID_VALUE": _pattern(r"[0-9]{1,40}"),
    "METHOD": _pattern(r"[A-Z]{3,7}"),
}
# Placeholders only a person can fill.
MANUAL = ("ZONE_ID", "TIMESTAMP", "LOGFILE", "CONVERSATION_ID", "FILE")
PLACEHOLDERS = (*CHECKS, *MANUAL)
# Longest first, so EO_LOG_UUID_VALUE is not read as EO_LOG_UUID followed by "_VALUE".
_NAMES = sorted(PLACEHOLDERS, key=len, reverse=True)
PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(_NAMES) + r")(?![A-Za-z0-9_])")
_AUTHORITY = re.compile(r"SCHEME://HOST:PORT(?![A-Za-z0-9_])")


class Filled(NamedTuple):
    text: str
    missing: tuple[str, ...]  # placeholders left for a person, in order of appearance


def placeholders_in(command: str) -> tuple[str, ...]:
    """The placeholders a command uses, once each, in order."""
    return tuple(dict.fromkeys(PLACEHOLDER_RE.findall(command)))


def fill(template: str, values: Mapping[str, str]) -> Filled:
    """``template`` with each placeholder whose value passes its check replaced, shell-quoted."""
    checked = {
        name: value
        for name, value in values.items()
        if name in CHECKS and isinstance(value, str) and CHECKS[name](value)
    }
    scheme, port = checked.get("SCHEME"), checked.get("PORT")
    if scheme is not None and port is not None and _DEFAULT_PORTS[scheme] == port:
        template = _AUTHORITY.sub("SCHEME://HOST", template)
    out: list[str] = []
    missing: list[str] = []
    quote: str | None = None  # the shell quote open at this point of the template
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\" and quote != "'":
            out.append(template[i : i + 2])  # an escaped character is never a quote
            i += 2
            continue
        if char in "'\"" and quote in (None, char):
            quote = None if quote == char else char
            out.append(char)
            i += 1
            continue
        found = PLACEHOLDER_RE.match(template, i)
        if found is None:
            out.append(char)
            i += 1
            continue
        name = found.group(1)
        if name in checked:
            value = _bracketed(checked[name], template, found.start(), found.end())
            out.append(_quoted(value, quote))
        else:
            out.append(name)
            missing.append(name)
        i = found.end()
    return Filled("".join(out), tuple(dict.fromkeys(missing)))


def _bracketed(value: str, template: str, start: int, end: int) -> str:
    """An IPv6 address written where a host:port or URL host goes needs brackets."""
    if ":" not in value or not _ip(value):
        return value
    before, after = template[max(0, start - 2) : start], template[end : end + 1]
    if before.endswith(":") or before == "//" or after == ":":
        return f"[{value}]"
    return value


def _quoted(value: str, quote: str | None) -> str:
    """``value`` quoted for the shell, given the quote that is open where it goes."""
    safe = shlex.quote(value)
    if safe == value:
        return value  # only characters no shell context treats specially
    if quote is None:
        return safe
    # Inside '...' or "...": close the quote, add the quoted value, open it again.
    return f"{quote}{safe}{quote}"
