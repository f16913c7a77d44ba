"""EdgeOne API settings, read from the environment once and validated.

The feature is optional: without ``TENCENTCLOUD_SECRET_ID`` and ``TENCENTCLOUD_SECRET_KEY``
:func:`EdgeOneSettings.from_env` returns None and the bot works as it does without the API. A
malformed value raises :class:`SettingsError` whose message starts with the variable's name and says
what a good value looks like; no message, ``repr`` or ``str`` ever shows a secret (only the last
four characters of the SecretId, which is how Tencent Cloud's console identifies a key too).

- TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY: an API key pair (CAM); both or neither.
- TENCENTCLOUD_SESSION_TOKEN: the token of temporary credentials (STS), optional.
- EO_API_SITE: ``intl`` (default: teo.intl.tencentcloudapi.com) or ``china``
  (teo.tencentcloudapi.com).
- EO_API_ENDPOINT: another endpoint, ``host[:port]`` or a URL; plain http only when the URL says
  ``http://`` or the host is a loopback address (tests and local fakes).
- EO_ZONES: zone IDs (``zone-…``, comma separated) to use instead of every zone the key can list.
- EO_API_TIMEOUT: seconds one API call may take (default 3).
- EO_API_BUDGET: seconds all the calls behind one answer may take together (default 6).
- EO_ALLOW_PURGE: ``1``/``true``/``yes``/``on`` lets listed people purge EdgeOne's cache.
- EO_PURGE_USERS / EO_PURGE_GROUPS: Slack user IDs (``U…``/``W…``) and user group IDs (``S…``)
  who may purge; required when EO_ALLOW_PURGE is on.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

Site = Literal["intl", "china"]
Scheme = Literal["http", "https"]

ENDPOINTS: dict[Site, str] = {
    "intl": "teo.intl.tencentcloudapi.com",
    "china": "teo.tencentcloudapi.com",
}
DEFAULT_TIMEOUT = 3.0
DEFAULT_BUDGET = 6.0
# How long what the API said stays good: the host → zone mapping changes rarely, the facts about a
# host are re-read after a short while so "Probe again" soon sees a configuration change.
DEFAULT_ZONE_TTL = 300.0
DEFAULT_FACT_TTL = 30.0

# Tencent Cloud SecretIds are 36 characters (AKID…), keys 32; allow some room, never whitespace.
_SECRET = re.compile(r"[A-Za-z0-9+/=_.-]{8,128}")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.:-]{8,4096}")
_ZONE_ID = re.compile(r"zone-[0-9a-z]{4,40}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting is malformed. ``variable`` names it; str(exc) is ``"VARIABLE: what to do"``."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key pair (and STS token); ``repr`` and ``str`` show only the SecretId's last 4."""

    secret_id: SecretStr = field(repr=False)
    secret_key: SecretStr = field(repr=False)
    token: SecretStr | None = field(default=None, repr=False)

    @property
    def hint(self) -> str:
        """``…ABCD``: enough to tell keys apart, never enough to use one."""
        return secret_id_hint(self.secret_id.get_secret_value())

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never reach a log line or a message."""
        values = [self.secret_id, self.secret_key, self.token]
        return tuple(v.get_secret_value() for v in values if v is not None)

    def __repr__(self) -> str:
        return f"Credentials(secret_id={self.hint!r}, token={'set' if self.token else 'unset'})"

    __str__ = __repr__


def secret_id_hint(secret_id: str) -> str:
    """The last four characters of a SecretId, as ``…ABCD`` (``…`` alone for a short one)."""
    return "…" + secret_id[-4:] if len(secret_id) >= 12 else "…"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the API is: ``scheme`` and ``host[:port]`` as the SDK's HttpProfile wants them."""

    scheme: Scheme
    host: str
    port: int | None = None

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}"


@dataclass(frozen=True, slots=True)
class PurgeSettings:
    """Who may purge EdgeOne's cache from the bot: nobody unless ``allowed`` and listed."""

    allowed: bool = False
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class EdgeOneSettings:
    credentials: Credentials
    endpoint: Endpoint
    site: Site = "intl"
    zones: tuple[str, ...] = ()  # pinned zone IDs; () means every zone the key can list
    call_timeout: float = DEFAULT_TIMEOUT
    budget: float = DEFAULT_BUDGET
    purge: PurgeSettings = field(default_factory=PurgeSettings)
    zone_ttl: float = DEFAULT_ZONE_TTL
    fact_ttl: float = DEFAULT_FACT_TTL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EdgeOneSettings | None:
        """The settings, or None when no credentials are set (the feature is off).

        Raises SettingsError naming the first malformed variable.
        """
        credentials = _credentials(environ)
        if credentials is None:
            return None
        site = _site(environ.get("EO_API_SITE"))
        timeout = _seconds(environ, "EO_API_TIMEOUT", DEFAULT_TIMEOUT, low=0.1, high=60.0)
        budget = _seconds(environ, "EO_API_BUDGET", DEFAULT_BUDGET, low=0.1, high=120.0)
        if budget < timeout:
            raise SettingsError(
                "EO_API_BUDGET",
                f"is shorter than EO_API_TIMEOUT ({budget:g} s < {timeout:g} s): no call could "
                "use its own time; make the budget at least as long as one call",
            )
        return cls(
            credentials=credentials,
            endpoint=_endpoint(environ.get("EO_API_ENDPOINT"), site),
            site=site,
            zones=_zones(environ.get("EO_ZONES")),
            call_timeout=timeout,
            budget=budget,
            purge=_purge(environ),
        )


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _credentials(environ: Mapping[str, str]) -> Credentials | None:
    secret_id = _get(environ, "TENCENTCLOUD_SECRET_ID")
    secret_key = _get(environ, "TENCENTCLOUD_SECRET_KEY")
    token = _get(environ, "TENCENTCLOUD_SESSION_TOKEN")
    if secret_id is None and secret_key is None:
        if token is not None:
            raise SettingsError(
                "TENCENTCLOUD_SECRET_ID",
                "is not set but TENCENTCLOUD_SESSION_TOKEN is; temporary credentials need the "
                "SecretId and SecretKey that came with the token",
            )
        return None
    if secret_id is None:
        raise SettingsError(
            "TENCENTCLOUD_SECRET_ID",
            "is not set but TENCENTCLOUD_SECRET_KEY is; set both (CAM > API keys) or neither",
        )
    if secret_key is None:
        raise SettingsError(
            "TENCENTCLOUD_SECRET_KEY",
            f"is not set but TENCENTCLOUD_SECRET_ID ({secret_id_hint(secret_id)}) is; set both "
            "or neither",
        )
    # Never echo the value: say what is wrong with it in terms that reveal nothing.
    if not _SECRET.fullmatch(secret_id):
        raise SettingsError(
            "TENCENTCLOUD_SECRET_ID",
            f"is malformed ({_shape(secret_id)}); expected the SecretId shown under CAM > API "
            "keys, letters and digits like AKID…",
        )
    if not _SECRET.fullmatch(secret_key):
        raise SettingsError(
            "TENCENTCLOUD_SECRET_KEY",
            f"is malformed ({_shape(secret_key)}); expected the SecretKey that belongs to "
            f"SecretId {secret_id_hint(secret_id)}",
        )
    if token is not None and not _TOKEN.fullmatch(token):
        raise SettingsError(
            "TENCENTCLOUD_SESSION_TOKEN",
            f"is malformed ({_shape(token)}); expected the token of temporary credentials (STS)",
        )
    return Credentials(
        secret_id=SecretStr(secret_id),
        secret_key=SecretStr(secret_key),
        token=SecretStr(token) if token is not None else None,
    )


def _shape(value: str) -> str:
    """What is wrong with a secret, without any of its characters."""
    if any(ch.isspace() for ch in value):
        return f"{len(value)} characters including whitespace"
    if len(value) < 8:
        return f"only {len(value)} characters"
    if len(value) > 128:
        return f"{len(value)} characters, too long"
    return f"{len(value)} characters including ones a key never has"


def _site(raw: str | None) -> Site:
    value = (raw or "intl").strip().lower()
    if value in ("intl", "international", "global", "tencentcloud.com"):
        return "intl"
    if value in ("china", "cn", "mainland", "tencent.com"):
        return "china"
    raise SettingsError(
        "EO_API_SITE",
        f"must be intl (the international site, {ENDPOINTS['intl']}) or china "
        f"({ENDPOINTS['china']}), got {_printable(raw or '')!r}",
    )


def _endpoint(raw: str | None, site: Site) -> Endpoint:
    name = "EO_API_ENDPOINT"
    text = (raw or "").strip()
    if not text:
        return Endpoint("https", ENDPOINTS[site])
    explicit = "://" in text
    parts = urllib.parse.urlsplit(text if explicit else f"//{text}")
    scheme = parts.scheme.lower() if explicit else ""
    if explicit and scheme not in ("http", "https"):
        raise SettingsError(name, f"must be https://HOST[:PORT] or HOST[:PORT], got {scheme}://…")
    if parts.username is not None or parts.password is not None:
        raise SettingsError(name, "must not hold a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(
            name, "must be only a host and port (the API has no path), like teo.example.com:443"
        )
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise SettingsError(
            name, f"has a bad port in {_printable(text)!r}; use a number from 1 to 65535"
        ) from None
    if port == 0:
        raise SettingsError(name, "has port 0; use a number from 1 to 65535")
    if not _valid_host(host):
        raise SettingsError(
            name, f"has no valid host in {_printable(text)!r}; expected a name or an IP address"
        )
    endpoint = Endpoint("https", host.lower(), port)
    if scheme == "http" or (not explicit and endpoint.loopback):
        # Plain http sends signed requests (and a session token) in clear: only where asked for
        # in so many words, or to this machine.
        endpoint = Endpoint("http", endpoint.host, port)
    return endpoint


def _valid_host(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _zones(raw: str | None) -> tuple[str, ...]:
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    for item in items:
        if not _ZONE_ID.fullmatch(item):
            raise SettingsError(
                "EO_ZONES",
                f"expects zone IDs like zone-2noz78a8ev6k, comma separated; got "
                f"{_printable(item)[:60]!r} (a zone's ID is on its overview page, not its name)",
            )
    return tuple(dict.fromkeys(items))


def _seconds(
    environ: Mapping[str, str], name: str, default: float, *, low: float, high: float
) -> float:
    raw = _get(environ, name)
    if raw is None:
        return default
    text = raw.lower().removesuffix("s").strip()
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(
            name, f"must be a number of seconds like {default:g}, got {_printable(raw)!r}"
        ) from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low:g} and {high:g} seconds, got {value:g}")
    return value


def _purge(environ: Mapping[str, str]) -> PurgeSettings:
    raw = (environ.get("EO_ALLOW_PURGE") or "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise SettingsError(
            "EO_ALLOW_PURGE", f"must be 1/true/yes/on or 0/false/no/off, got {_printable(raw)!r}"
        )
    users = _ids(environ.get("EO_PURGE_USERS"), "EO_PURGE_USERS", _USER_ID, "U0123ABCD")
    groups = _ids(environ.get("EO_PURGE_GROUPS"), "EO_PURGE_GROUPS", _GROUP_ID, "S0123ABCD")
    allowed = raw in _TRUE
    if allowed and not users and not groups:
        raise SettingsError(
            "EO_PURGE_USERS",
            "is empty while EO_ALLOW_PURGE is on, so nobody could purge; list Slack user IDs "
            "here or user group IDs in EO_PURGE_GROUPS",
        )
    return PurgeSettings(allowed=allowed, users=users, groups=groups)


def _ids(raw: str | None, name: str, pattern: re.Pattern[str], example: str) -> frozenset[str]:
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    for item in items:
        if not pattern.fullmatch(item):
            hint = " (names change; use the ID)" if item.startswith("@") else ""
            raise SettingsError(
                name,
                f"expects IDs like {example}, comma separated; got {_printable(item)[:40]!r}{hint}",
            )
    return frozenset(items)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)
