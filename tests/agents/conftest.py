from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agents.harness import require_nats


@pytest.fixture(scope="module")
def shared_nats() -> Iterator[str]:
    """The machine's NATS with JetStream (127.0.0.1:4222); never stopped by a test."""
    require_nats()
    return "nats://127.0.0.1:4222"
