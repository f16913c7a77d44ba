"""A server that redirects to the URL it was asked for, probed for real on loopback.

The probe follows no redirect (it must not be steered to other addresses), so a loop shows as one
3xx whose Location names the probed URL again; the diagnosis calls it a loop, not a healthy
redirect, and points at the knowledge entry about redirect loops.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.diagnosis import diagnose
from bot.diagnosis.verdict.answer import redirects_to_itself
from bot.knowledge import KnowledgeBase
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy
from tests.servers import HTTPServer, redirect_to

LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.1/32"], ports=["1-65535"])


@pytest.mark.parametrize(
    ("location", "loop"),
    [
        pytest.param("/app/", True, id="relative-same-path"),
        pytest.param("/app/?next=1", False, id="same-path-other-query"),
        pytest.param("/login", False, id="elsewhere"),
    ],
)
async def test_probe_of_a_self_redirect_is_a_loop(
    kb: KnowledgeBase, location: str, loop: bool
) -> None:
    with HTTPServer(sequence=[redirect_to(location, status=301)]) as srv:
        report = await probe(
            f"http://127.0.0.1:{srv.port}/app/", settings=ProbeSettings(policy=LOOPBACK)
        )
    assert report.edge.http.status_code == 301
    d = diagnose(report, kb)
    if loop:
        # No EdgeOne marks on a bare loopback server: the server loops by itself.
        assert (d.code, d.kb_id, d.fault) == (301, "sa-redirect-loop", "origin")
        assert any("curl -sIL" in step for step in d.next_steps)
    else:
        assert (d.code, d.kb_id, d.fault) == (None, None, "none")


@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda scheme, host, rest: f"{scheme}://{host}{rest}",
            st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
            st.text(max_size=40),
            st.text(max_size=60),
        ),
    )
)
def test_any_location_is_read_without_raising(location: str) -> None:
    # A Location is whatever the probed server sent: never an exception, and only a URL that
    # names the probed one again is a loop.
    url = "https://www.example.com/app/"
    loop = redirects_to_itself(url, location)
    assert isinstance(loop, bool)
    if loop:
        assert urlsplit(urljoin(url, location.strip())).path in ("/app/", "")
