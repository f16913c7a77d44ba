"""`eo-bot serve` as a real child process: environment in, signals and HTTP out, stderr kept.

``ServeProcess.start(env)`` runs ``serve_main(os.environ)`` in a fresh interpreter with exactly
``env`` (plus PATH); its stderr is read as it comes (``log``), so a test can wait for a line and
the pipe never fills. ``wait_health(200)`` polls ``/healthz`` on the chosen port; ``stop()`` sends
a signal and returns the exit status (the process is killed if it outlives ``limit``: a test then
fails on the status, not on a hang).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent.parent
CODE = "import os, sys; from bot.slack.server import serve_main; sys.exit(serve_main(os.environ))"
# Short back-off and heartbeat so that reconnection tests take fractions of a second.
FAST = {"EO_SLACK_RETRY_MIN": "0.05", "EO_SLACK_RETRY_MAX": "0.2"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServeProcess:
    proc: asyncio.subprocess.Process
    port: int
    stderr: bytearray = field(default_factory=bytearray)
    _reader: asyncio.Task[None] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return self.stderr.decode(errors="replace")

    @classmethod
    async def start(
        cls, env: dict[str, str], *, preexec_fn: Callable[[], Any] | None = None
    ) -> ServeProcess:
        port = int(env.get("PORT") or free_port())
        full = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), **env}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CODE,
            cwd=ROOT,
            env=full,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=preexec_fn,
        )
        served = cls(proc, port)
        served._reader = asyncio.create_task(served._read())
        return served

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.stderr += chunk

    async def wait_log(self, text: str, *, count: int = 1, limit: float = 10.0) -> None:
        """Until ``text`` has been logged ``count`` times."""
        deadline = time.monotonic() + limit
        while self.log.count(text) < count:
            if self.proc.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged; stderr:\n{self.log[-3000:]}")
            await asyncio.sleep(0.02)

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{self.base}/healthz") as response,
        ):
            return response.status, await response.json()

    async def wait_health(self, status: int = 200, *, limit: float = 15.0) -> dict[str, Any]:
        """Poll /healthz until it answers ``status``; its JSON."""
        deadline = time.monotonic() + limit
        seen: object = None
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                break
            try:
                got, body = await self.health()
                if got == status:
                    return body
                seen = (got, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                seen = exc
            await asyncio.sleep(0.05)
        raise AssertionError(f"/healthz never answered {status} (last: {seen}); {self.log[-3000:]}")

    async def wait_exit(self, *, limit: float = 15.0) -> int:
        try:
            async with asyncio.timeout(limit):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            await self._reader
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def stop(self, sig: int = signal.SIGTERM, *, limit: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit status (killed after ``limit``: status -9)."""
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await self.wait_exit(limit=limit)


@contextlib.asynccontextmanager
async def serving(
    env: dict[str, str], *, preexec_fn: Callable[[], Any] | None = None
) -> AsyncIterator[ServeProcess]:
    """A ServeProcess that is stopped (SIGTERM, then SIGKILL) whatever the test did."""
    served = await ServeProcess.start(env, preexec_fn=preexec_fn)
    try:
        yield served
    finally:
        if served.proc.returncode is None:
            await served.stop(limit=10.0)
        elif served._reader is not None:
            await served._reader
