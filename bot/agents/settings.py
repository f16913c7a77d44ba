"""Settings of the regional probe agents and of the side that calls them, from the environment.

Everything is validated once, up front; a wrong value raises ``ValueError`` whose message starts
with the variable's name and says what a right value looks like.

=========================  ======================================================================
``EO_NATS_URL``            NATS server(s), ``nats://host:4222`` or ``tls://host:4222``, comma
                           separated; unset means regional probing is off
``EO_NATS_TOKEN``          a token, or
``EO_NATS_USER`` +         a user and password, or
``EO_NATS_PASSWORD``
``EO_NATS_CREDS``          a ``.creds`` file (JWT + nkey seed; needs the ``nkeys`` package)
``EO_NATS_CA_FILE``        CA bundle that signed the server's certificate (turns TLS on)
``EO_NATS_CERT_FILE`` +    a client certificate and its key, for servers that verify clients
``EO_NATS_KEY_FILE``
``EO_NATS_PREFIX``         prefix of every subject, stream and bucket (default ``eo``)
``EO_AGENT_HEARTBEAT``     seconds between two heartbeats of an agent (default 5); an agent that
                           misses three is gone
``EO_AGENT_KEYS``          (caller) the public key of each region's agents: ``fra=KEY,sin=KEY``
                           (a region may list several keys)
``EO_AGENT_KEY_FILE``      (agent) the agent's private signing key (``eo-bot agent --new-key``)
``EO_AGENT_CONCURRENCY``   (agent) probes one agent runs at once (default 8)
``EO_AGENT_ID``            (agent) a stable name for this agent (default: host name + process id)
=========================  ======================================================================

Credentials never go in the URL (URLs end up in logs) and never appear in a repr.
"""

from __future__ import annotations

import importlib.util
import os
import re
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.agents.keys import SigningKey, load_signing_key, parse_public_key
from bot.agents.names import parse_region

_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,32}")
_AGENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCHEMES = frozenset({"nats", "tls"})

DEFAULT_PREFIX = "eo"
DEFAULT_HEARTBEAT_S = 5.0
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 256


@dataclass(frozen=True, slots=True)
class NatsSettings:
    """How to reach NATS, shared by the agents and the caller."""

    servers: tuple[str, ...]
    token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    creds_file: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    prefix: str = DEFAULT_PREFIX
    heartbeat_s: float = DEFAULT_HEARTBEAT_S
    connect_timeout_s: float = 2.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> NatsSettings | None:
        """None when EO_NATS_URL is unset or empty: regional probing is off."""
        raw = environ.get("EO_NATS_URL", "").strip()
        if not raw:
            return None
        servers = tuple(_server_url(item) for item in raw.split(",") if item.strip())
        if not servers:
            raise ValueError("EO_NATS_URL: no server given; e.g. nats://127.0.0.1:4222")
        token = _opt(environ, "EO_NATS_TOKEN")
        user = _opt(environ, "EO_NATS_USER")
        password = _opt(environ, "EO_NATS_PASSWORD")
        creds = _opt(environ, "EO_NATS_CREDS")
        if (user is None) != (password is None):
            missing = "EO_NATS_PASSWORD" if password is None else "EO_NATS_USER"
            raise ValueError(f"{missing}: EO_NATS_USER and EO_NATS_PASSWORD go together")
        chosen = [n for n, v in (("token", token), ("user", user), ("creds", creds)) if v]
        if len(chosen) > 1:
            raise ValueError(
                "EO_NATS_TOKEN / EO_NATS_USER / EO_NATS_CREDS: set one way to log in, not "
                + " and ".join(chosen)
            )
        if creds is not None:
            _readable("EO_NATS_CREDS", creds)
            if importlib.util.find_spec("nkeys") is None:
                raise ValueError(
                    "EO_NATS_CREDS: reading a .creds file needs the Python package nkeys, which "
                    "is not installed; use EO_NATS_TOKEN or EO_NATS_USER/EO_NATS_PASSWORD"
                )
        ca = _opt(environ, "EO_NATS_CA_FILE")
        cert = _opt(environ, "EO_NATS_CERT_FILE")
        key = _opt(environ, "EO_NATS_KEY_FILE")
        if (cert is None) != (key is None):
            missing = "EO_NATS_KEY_FILE" if key is None else "EO_NATS_CERT_FILE"
            raise ValueError(f"{missing}: EO_NATS_CERT_FILE and EO_NATS_KEY_FILE go together")
        for var, path in (("EO_NATS_CA_FILE", ca), ("EO_NATS_CERT_FILE", cert)):
            if path is not None:
                _readable(var, path)
        if key is not None:
            _readable("EO_NATS_KEY_FILE", key)
        prefix = environ.get("EO_NATS_PREFIX", "").strip() or DEFAULT_PREFIX
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"EO_NATS_PREFIX: {prefix[:40]!r} must be 1-32 letters, digits, '_' or '-'"
            )
        heartbeat = _seconds(environ, "EO_AGENT_HEARTBEAT", DEFAULT_HEARTBEAT_S, 0.2, 20.0)
        settings = cls(
            servers=servers,
            token=token,
            user=user,
            password=password,
            creds_file=creds,
            ca_file=ca,
            cert_file=cert,
            key_file=key,
            prefix=prefix,
            heartbeat_s=heartbeat,
        )
        settings.tls_context()  # a certificate that does not load is a settings error
        return settings

    @property
    def display(self) -> str:
        """The servers, for messages (credentials are never part of them)."""
        return ", ".join(self.servers)

    @property
    def uses_tls(self) -> bool:
        return self.ca_file is not None or any(s.startswith("tls://") for s in self.servers)

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.uses_tls:
            return None
        try:
            ctx = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"EO_NATS_CA_FILE: cannot load {self.ca_file}: {exc}") from None
        if self.cert_file is not None and self.key_file is not None:
            try:
                ctx.load_cert_chain(self.cert_file, self.key_file)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"EO_NATS_CERT_FILE / EO_NATS_KEY_FILE: cannot load the client certificate: "
                    f"{exc}"
                ) from None
        return ctx

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect`` (login and TLS only)."""
        options: dict[str, Any] = {"servers": list(self.servers)}
        if self.token is not None:
            options["token"] = self.token
        if self.user is not None and self.password is not None:
            options["user"] = self.user
            options["password"] = self.password
        if self.creds_file is not None:
            options["user_credentials"] = self.creds_file
        tls = self.tls_context()
        if tls is not None:
            options["tls"] = tls
        return options


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """What an agent needs besides its region and its probe settings."""

    nats: NatsSettings
    key: SigningKey = field(repr=False)
    concurrency: int = DEFAULT_CONCURRENCY
    agent_id: str | None = None  # None: host name + process id, chosen at start

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AgentSettings:
        nats = NatsSettings.from_env(environ)
        if nats is None:
            raise ValueError("EO_NATS_URL: an agent needs the NATS server, e.g. nats://host:4222")
        key_file = _opt(environ, "EO_AGENT_KEY_FILE")
        if key_file is None:
            raise ValueError(
                "EO_AGENT_KEY_FILE: an agent signs its results; create a key with "
                "`eo-bot agent --region NAME --new-key PATH` and point this variable at it"
            )
        key = load_signing_key(key_file, what="EO_AGENT_KEY_FILE")
        raw_conc = environ.get("EO_AGENT_CONCURRENCY", "").strip()
        concurrency = DEFAULT_CONCURRENCY
        if raw_conc:
            if not raw_conc.isdigit() or not 1 <= int(raw_conc) <= MAX_CONCURRENCY:
                raise ValueError(
                    f"EO_AGENT_CONCURRENCY: {raw_conc[:20]!r} must be a whole number "
                    f"from 1 to {MAX_CONCURRENCY}"
                )
            concurrency = int(raw_conc)
        agent_id = _opt(environ, "EO_AGENT_ID")
        if agent_id is not None and not _AGENT_ID.fullmatch(agent_id):
            raise ValueError(
                f"EO_AGENT_ID: {agent_id[:40]!r} must be 1-64 letters, digits, '_' or '-'"
            )
        return cls(nats=nats, key=key, concurrency=concurrency, agent_id=agent_id)


@dataclass(frozen=True, slots=True)
class CallerSettings:
    """What the bot needs to send probes to agents and trust what comes back."""

    nats: NatsSettings
    trusted: Mapping[str, frozenset[bytes]]  # region -> raw Ed25519 public keys of its agents

    @property
    def regions(self) -> tuple[str, ...]:
        """Every region the caller can trust results from, sorted: what "all" means."""
        return tuple(sorted(self.trusted))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CallerSettings | None:
        """None when EO_NATS_URL is unset: only the local probe runs."""
        nats = NatsSettings.from_env(environ)
        if nats is None:
            return None
        raw = environ.get("EO_AGENT_KEYS", "").strip()
        if not raw:
            raise ValueError(
                "EO_AGENT_KEYS: with EO_NATS_URL set, list the public key of each region's "
                "agents as REGION=KEY,REGION=KEY (`eo-bot agent --new-key` prints the line)"
            )
        return cls(nats=nats, trusted=parse_trusted_keys(raw))


def parse_trusted_keys(raw: str) -> dict[str, frozenset[bytes]]:
    """``fra=KEY,sin=KEY,fra=KEY2`` -> {region: keys}; ValueError names EO_AGENT_KEYS."""
    trusted: dict[str, set[bytes]] = {}
    owner: dict[bytes, str] = {}
    for item in (i.strip() for i in re.split(r"[,\s]+", raw)):
        if not item:
            continue
        region_text, sep, key_text = item.partition("=")
        if not sep:
            raise ValueError(f"EO_AGENT_KEYS: {item[:60]!r} is not REGION=KEY")
        region = parse_region(region_text, what="EO_AGENT_KEYS")
        try:
            key = parse_public_key(key_text)
        except ValueError as exc:
            raise ValueError(f"EO_AGENT_KEYS: {region}: {exc}") from None
        # One key for two regions would let that region's agents answer for the other one.
        if owner.setdefault(key, region) != region:
            raise ValueError(
                f"EO_AGENT_KEYS: the same key is listed for {owner[key]} and {region}; "
                "give each region its own key"
            )
        trusted.setdefault(region, set()).add(key)
    if not trusted:
        raise ValueError("EO_AGENT_KEYS: no REGION=KEY given")
    return {region: frozenset(keys) for region, keys in trusted.items()}


def _server_url(item: str) -> str:
    text = item.strip()
    parsed = urllib.parse.urlsplit(text if "://" in text else f"nats://{text}")
    if parsed.scheme not in _SCHEMES:
        raise ValueError(
            f"EO_NATS_URL: {parsed.scheme}:// is not supported; use nats://HOST:PORT or "
            "tls://HOST:PORT"
        )
    if parsed.username is not None or parsed.password is not None:
        raise ValueError(
            "EO_NATS_URL: put credentials in EO_NATS_USER/EO_NATS_PASSWORD or EO_NATS_TOKEN, "
            "not in the URL (URLs end up in logs)"
        )
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(f"EO_NATS_URL: {text[:80]!r} has an invalid port") from None
    if not parsed.hostname or parsed.path not in ("", "/") or parsed.query:
        raise ValueError(f"EO_NATS_URL: {text[:80]!r} is not SCHEME://HOST[:PORT]")
    host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
    return f"{parsed.scheme}://{host}:{port or 4222}"


def _opt(environ: Mapping[str, str], var: str) -> str | None:
    value = environ.get(var, "").strip()
    return value or None


def _readable(var: str, path: str) -> None:
    if not Path(path).is_file() or not os.access(path, os.R_OK):
        raise ValueError(f"{var}: {path} is not a readable file")


def _seconds(
    environ: Mapping[str, str], var: str, default: float, low: float, high: float
) -> float:
    raw = environ.get(var, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.removesuffix("s"))
    except ValueError:
        raise ValueError(f"{var}: {raw[:20]!r} is not a number of seconds") from None
    if not low <= value <= high:
        raise ValueError(f"{var}: {value:g} s is outside {low:g}-{high:g} s")
    return value
