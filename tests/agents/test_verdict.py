"""The cross-region reading, from hand-made reports diagnosed by the real diagnosis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.agents.outcomes import AgentInfo, RegionalRun, RegionOutcome
from bot.agents.verdict import (
    RegionalVerdict,
    read_regions,
    read_run,
    region_states,
    regional_changes,
)
from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import (
    ConnectResult,
    DNSResult,
    HTTPResult,
    ProbeReport,
    ProbeResult,
    Timings,
    TLSResult,
)
from bot.render.regions import headline


def report(
    *,
    status: int | None = 200,
    connect: str = "ok",
    dns: str = "ok",
    http: str = "ok",
    ip: str = "203.0.113.5",
    total: float = 60.0,
    connect_ms: float = 10.0,
    ttfb: float = 30.0,
    uuid: str | None = None,
) -> ProbeReport:
    failed = (
        "dns"
        if dns != "ok"
        else "connect"
        if connect != "ok"
        else ("http" if http != "ok" else None)
    )
    headers = {"server": "TencentEdgeOne"}
    if uuid:
        headers["eo-log-uuid"] = uuid
    answered = failed is None
    return ProbeReport(
        edge=ProbeResult(
            url="https://shop.example.com/cart",
            host="shop.example.com",
            scheme="https",
            port=443,
            target="shop.example.com",
            started_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC),
            dns=DNSResult(status=dns, addresses=(ip,) if dns == "ok" else (), ms=5.0),  # type: ignore[arg-type]
            connect=ConnectResult(
                status=connect,
                ip=ip if dns == "ok" else None,
                port=443,  # type: ignore[arg-type]
                ms=connect_ms,
            ),
            tls=TLSResult(status="ok" if connect == "ok" and dns == "ok" else "skipped", ms=15.0),
            http=HTTPResult(
                status=http if answered or http != "ok" else "skipped",  # type: ignore[arg-type]
                status_code=status if answered else None,
                ttfb_ms=ttfb if answered else None,
                headers=headers if answered else {},
                eo_log_uuid=uuid if answered else None,
            ),
            timings=Timings(
                dns_ms=5.0,
                connect_ms=connect_ms,
                tls_ms=15.0,
                server_ms=ttfb if answered else None,
                total_ms=total,
            ),
            failed_phase=failed,  # type: ignore[arg-type]
        )
    )


def seen(kb: KnowledgeBase, **reports: ProbeReport) -> dict[str, tuple[ProbeReport, Diagnosis]]:
    return {region: (r, diagnose(r, kb)) for region, r in reports.items()}


def test_all_ok(kb: KnowledgeBase) -> None:
    verdict = read_regions(seen(kb, fra=report(), sin=report(total=80)))
    assert verdict.pattern == "all_ok"
    assert verdict.ok == ("fra", "sin")
    assert verdict.reading == "It works in every region that answered (fra and sin)."


def test_fails_everywhere_the_same_way_points_at_the_origin_or_configuration(
    kb: KnowledgeBase,
) -> None:
    verdict = read_regions(
        seen(kb, fra=report(status=522, uuid="u1"), sin=report(status=522, uuid="u2"))
    )
    assert verdict.pattern == "fails_everywhere"
    assert verdict.failing == ("fra", "sin")
    assert "fails the same way in every region (522, EdgeOne 522)" in verdict.reading
    assert "the origin or the site's configuration" in verdict.reading
    assert [r.eo_log_uuid for r in verdict.rows] == ["u1", "u2"]
    assert [r.code for r in verdict.rows] == [522, 522]


def test_dns_failing_everywhere_names_the_records(kb: KnowledgeBase) -> None:
    verdict = read_regions(seen(kb, fra=report(dns="nxdomain"), sin=report(dns="nxdomain")))
    assert verdict.pattern == "fails_everywhere"
    assert verdict.reading.startswith("The name does not resolve in any region")
    assert verdict.rows[0].status == "DNS nxdomain"


def test_fails_in_some_regions_at_connect_points_at_acl_or_nodes(kb: KnowledgeBase) -> None:
    verdict = read_regions(
        seen(
            kb,
            fra=report(ip="203.0.113.5"),
            sin=report(connect="timeout", ip="198.51.100.7"),
            iad=report(ip="203.0.113.9"),
        ),
        {"syd": "no agent is running in syd: none has sent a heartbeat lately"},
    )
    assert verdict.pattern == "fails_in_some"
    assert (verdict.ok, verdict.failing, verdict.no_data) == (("fra", "iad"), ("sin",), ("syd",))
    assert verdict.reading.startswith(
        "It fails in sin (connect timeout, EdgeOne 522) but works in fra and iad: "
        "the cause is regional."
    )
    assert "firewall or ACL" in verdict.reading
    assert verdict.reading.endswith("No result from syd.")
    sin = verdict.rows[1]
    assert (sin.node_ip, sin.status, sin.code) == ("198.51.100.7", "connect timeout", 522)
    syd = verdict.rows[-1]
    assert (syd.state, syd.status, syd.timings) == ("no_data", "-", None)


def test_fails_in_some_regions_with_an_http_error_points_at_their_nodes(
    kb: KnowledgeBase,
) -> None:
    verdict = read_regions(seen(kb, fra=report(), sin=report(status=502, uuid="abc")))
    assert verdict.pattern == "fails_in_some"
    assert "The EdgeOne nodes serving sin answer differently" in verdict.reading


def test_dns_failing_in_one_region_points_at_regional_dns(kb: KnowledgeBase) -> None:
    verdict = read_regions(seen(kb, fra=report(), sin=report(dns="servfail")))
    assert verdict.pattern == "fails_in_some"
    assert "DNS answers differently in sin" in verdict.reading


def test_slow_in_one_region_names_the_region_and_the_phase(kb: KnowledgeBase) -> None:
    verdict = read_regions(
        seen(
            kb,
            fra=report(total=60),
            iad=report(total=80),
            sin=report(total=2400, connect_ms=2200),
        )
    )
    assert verdict.pattern == "slow_in_some"
    assert verdict.slow == ("sin",)
    assert verdict.ok == ("fra", "iad")
    assert "sin takes 2.4 s against 70 ms elsewhere, most of it in connect" in verdict.reading


@pytest.mark.parametrize(
    "totals",
    [
        pytest.param((60.0, 170.0), id="3x-but-only-110ms-more"),
        pytest.param((900.0, 1500.0), id="600ms-more-but-not-3x"),
        pytest.param((60.0,), id="one-region"),
    ],
)
def test_not_slow(kb: KnowledgeBase, totals: tuple[float, ...]) -> None:
    reports = {f"r{i}": report(total=t) for i, t in enumerate(totals)}
    assert read_regions(seen(kb, **reports)).pattern == "all_ok"


def test_no_data(kb: KnowledgeBase) -> None:
    verdict = read_regions({}, {"fra": "NATS unreachable (nats://x:4222): connection refused"})
    assert verdict.pattern == "no_data"
    assert verdict.no_data == ("fra",)
    assert verdict.rows[0].summary.startswith("NATS unreachable")


def test_rows_follow_the_order_asked(kb: KnowledgeBase) -> None:
    verdict = read_regions(
        seen(kb, sin=report(), fra=report()), {"iad": "none"}, order=("iad", "fra", "sin")
    )
    assert [r.region for r in verdict.rows] == ["iad", "fra", "sin"]


def test_read_run_diagnoses_each_region(kb: KnowledgeBase) -> None:
    agent = AgentInfo("fra", "fra-1", "0.1.0", "h", "Linux", "3.11", 1, 4)
    run = RegionalRun(
        job_id="0" * 32,
        url="https://shop.example.com/cart",
        origin=None,
        outcomes=(
            RegionOutcome("sin", "refused", "refused by the agent's policy: x", agent=agent),
            RegionOutcome("fra", "report", report=report(status=524), agent=agent),
        ),
    )
    verdict, diagnoses = read_run(run, kb, stated_code=524)
    assert [r.region for r in verdict.rows] == ["sin", "fra"]
    assert diagnoses["fra"].code == 524
    assert verdict.pattern == "fails_everywhere"  # the only region with data fails
    assert verdict.no_data == ("sin",)
    # ...which is said as it is, not as a pattern across regions.
    assert verdict.reading.startswith("It fails in fra (524, EdgeOne 524), the only region")
    assert "every region" not in verdict.reading
    assert verdict.reading.endswith("No result from sin.")
    assert headline(verdict) == "Fails in the only region that answered: fra"
    assert headline(read_run(run, kb, language="zh")[0], "zh") == "唯一有结果的地区失败：fra"


def test_two_failing_regions_and_a_silent_one_still_fail_everywhere(kb: KnowledgeBase) -> None:
    verdict = read_regions(
        seen(kb, fra=report(status=522), sin=report(status=522)), {"iad": "no agent"}
    )
    assert "fails the same way in every region" in verdict.reading
    assert headline(verdict) == "Fails in every region"


def _v(kb: KnowledgeBase, **reports: ProbeReport) -> RegionalVerdict:
    return read_regions(seen(kb, **reports))


def test_changes_between_runs_say_which_regions_recovered(kb: KnowledgeBase) -> None:
    before = _v(
        kb,
        fra=report(),
        sin=report(status=522),
        iad=report(status=502, uuid="x"),
        syd=report(connect="refused"),
    )
    states = region_states(before)
    assert states == {"fra": "ok", "sin": "fail:522", "iad": "fail:502", "syd": "fail:521"}
    after = _v(
        kb,
        fra=report(status=522),
        sin=report(),
        iad=report(status=502, uuid="x"),
        syd=report(connect="timeout"),
    )
    changes = regional_changes(states, after)
    assert changes.recovered == ("sin",)
    assert changes.broke == ("fra",)
    assert changes.still_failing == ("iad",)
    assert changes.changed == ("syd",)
    assert not changes.all_recovered
    assert changes.text() == (
        "recovered in sin; now failing in fra; failing differently in syd; still failing in iad"
    )
    healed = regional_changes(
        region_states(after), _v(kb, fra=report(), sin=report(), iad=report(), syd=report())
    )
    assert healed.all_recovered
    assert healed.recovered == ("fra", "iad", "syd")


def test_slow_and_silent_regions_in_changes(kb: KnowledgeBase) -> None:
    before = {"fra": "ok", "sin": "slow", "iad": "none"}
    after = _v(
        kb,
        fra=report(total=3000, connect_ms=2900),
        sin=report(total=70),
        iad=report(status=522),
        syd=report(total=60),
    )
    changes = regional_changes(before, after)
    assert changes.slowed == ("fra",)
    assert changes.recovered == ("sin",)
    assert changes.broke == ()  # iad had no data before: not "broken"
    assert region_states(after)["fra"] == "slow"


def test_a_failing_region_that_goes_silent_has_not_recovered(kb: KnowledgeBase) -> None:
    # sin failed; now its agent is gone and every region that answers works: not a recovery
    before = {"fra": "ok", "sin": "fail:520"}
    after = read_regions(seen(kb, fra=report()), {"sin": "no agent answered in sin in time"})
    assert after.pattern == "all_ok"
    changes = regional_changes(before, after)
    assert not changes.all_recovered
    assert changes.recovered == ()
    back = regional_changes(before, _v(kb, fra=report(), sin=report()))
    assert back.all_recovered
    assert back.recovered == ("sin",)
