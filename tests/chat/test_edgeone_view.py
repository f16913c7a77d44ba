"""add_view on its own, with a recording surface: the view goes in the thread when the message has
no room for it, a failure while adding it is told in the thread (never raised), and nothing
happens without credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from bot.chat.edgeone import EdgeOneChat, add_view
from bot.chat.edgeone_replies import ViewReply
from bot.chat.probing import observe
from bot.chat.replies import Notice, ProbeOutcome, ProbeRequest, Reply
from bot.chat.services import Services
from bot.knowledge import KnowledgeBase, Matcher
from tests.edgeone.conftest import settings_for
from tests.servers import DNSServer, FakeEdge, HTTPServer, OriginSpec
from tests.servers.teo import HOST, ZONE_ID, FakeTeo, domain
from tests.slack.conftest import loopback_settings


@dataclass
class Recorder:
    """A surface that writes down what it was asked to do; ``room`` says whether a reply fits."""

    room: bool | None = None
    sent: list[tuple[str, str | None, Reply]] = field(default_factory=list)

    async def reply(self, turn: object, reply: Reply, *, public: bool = False) -> None:
        self.sent.append(("reply", None, reply))

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        self.sent.append(("post", thread, reply))
        return f"ref-{len(self.sent)}"

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        self.sent.append(("update", ref, reply))


class RoomySurface(Recorder):
    def fits(self, reply: Reply) -> bool:
        return bool(self.room)


class Broken(EdgeOneChat):
    async def revise(self, kb: KnowledgeBase, outcome: ProbeOutcome) -> ProbeOutcome | None:
        raise RuntimeError("boom")


@pytest.fixture
def site() -> Iterator[tuple[str, FakeTeo, DNSServer]]:
    with (
        FakeTeo() as teo,
        DNSServer({HOST: "127.0.0.1"}) as ns,
        HTTPServer(status=200, body=b"shop") as origin,
        FakeEdge({HOST: OriginSpec("127.0.0.1", origin.port)}) as edge,
    ):
        teo.world.edge_ips = {"127.0.0.1"}
        teo.world.domains[ZONE_ID] = [domain(HOST, origin="127.0.0.1", http_port=origin.port)]
        yield f"http://{HOST}:{edge.port}/", teo, ns


@pytest.fixture
async def services(
    kb: KnowledgeBase, matcher: Matcher, site: tuple[str, FakeTeo, DNSServer]
) -> AsyncIterator[Services]:
    _, teo, ns = site
    probe = loopback_settings(nameservers=(ns.nameserver,))
    link = EdgeOneChat.build(settings_for(teo, EO_API_TIMEOUT="1", EO_API_BUDGET="2"), probe)
    yield Services.build(kb, probe, matcher=matcher, edgeone=link)
    await link.aclose()


async def first_answer(services: Services, url: str) -> ProbeOutcome:
    return await observe(services, ProbeRequest(url))


async def test_the_view_goes_in_the_thread_when_the_message_has_no_room(
    services: Services, site: tuple[str, FakeTeo, DNSServer]
) -> None:
    outcome = await first_answer(services, site[0])
    surface = RoomySurface(room=False)
    shown = await add_view(services, surface, outcome, channel="C1", ref="d1", thread="t1")
    assert shown is not None
    assert shown.edgeone is not None
    (update, post) = surface.sent
    assert update[:2] == ("update", "d1")
    assert isinstance(update[2], ProbeOutcome)
    assert update[2].edgeone is None  # the revised diagnosis, without the view
    assert update[2].diagnosis == shown.diagnosis
    assert post[:2] == ("post", "t1")
    assert isinstance(post[2], ViewReply)
    assert post[2].addendum == shown.edgeone


async def test_the_view_joins_the_message_when_it_fits(
    services: Services, site: tuple[str, FakeTeo, DNSServer]
) -> None:
    outcome = await first_answer(services, site[0])
    surface = RoomySurface(room=True)
    shown = await add_view(services, surface, outcome, channel="C1", ref="d1", thread="t1")
    assert surface.sent == [("update", "d1", shown)]


async def test_a_failure_while_adding_the_view_is_told_not_raised(
    services: Services, site: tuple[str, FakeTeo, DNSServer]
) -> None:
    outcome = await first_answer(services, site[0])
    assert services.edgeone is not None
    good = services.edgeone
    services.edgeone = Broken(good.edge, good.probe_origin)
    surface = Recorder()
    assert await add_view(services, surface, outcome, channel="C1", ref="d1", thread="t1") is None
    ((kind, thread, note),) = surface.sent
    assert (kind, thread) == ("post", "t1")
    assert isinstance(note, Notice)
    assert "could not add EdgeOne's view" in note.text
    assert "boom" not in note.text


async def test_without_credentials_nothing_happens(
    kb: KnowledgeBase, matcher: Matcher, site: tuple[str, FakeTeo, DNSServer]
) -> None:
    url, teo, ns = site
    services = Services.build(kb, loopback_settings(nameservers=(ns.nameserver,)), matcher=matcher)
    outcome = await first_answer(services, url)
    surface = Recorder()
    assert await add_view(services, surface, outcome, channel="C1", ref="d1", thread=None) is None
    assert surface.sent == []
    assert teo.calls == []
