"""One reading of a probe seen from several regions (pure functions, no I/O).

Input: each region's ProbeReport and its Diagnosis (``bot.diagnosis.diagnose``), plus the regions
that gave no report and why. Output: a :class:`RegionalVerdict`, the per-region table rows and the
pattern they form:

* ``all_ok`` - it works in every region that answered;
* ``fails_everywhere`` - the origin or the site's configuration (one place every region meets);
* ``fails_in_some`` - a regional cause: the nodes serving those regions, an origin ACL or firewall
  that lets some nodes in and not others, or DNS answering differently there;
* ``slow_in_some`` - it works everywhere, but one region (or a few) is much slower: its path;
* ``no_data`` - no region gave a report.

Only ``code``, ``fault`` and ``summary`` of a Diagnosis are read, plus the report itself.
Everything a row holds that came from the network (node IP, EO-LOG-UUID, summaries quoting
headers) is raw text: renderers escape it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.agents.outcomes import RegionalRun
from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge.loader import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult, Timings

Pattern = Literal["all_ok", "fails_everywhere", "fails_in_some", "slow_in_some", "no_data"]
RowState = Literal["ok", "failing", "slow", "no_data"]

# A region is slow when its total time is this many times the median of the other healthy
# regions AND at least SLOW_MARGIN_MS more: loopback-fast regions must not make 40 ms look slow.
SLOW_FACTOR = 3.0
SLOW_MARGIN_MS = 500.0
_PHASES = (("dns_ms", "DNS"), ("connect_ms", "connect"), ("tls_ms", "TLS"), ("server_ms", "TTFB"))


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One line of the regional table."""

    region: str
    state: RowState
    status: str  # "200", "connect refused", "DNS nxdomain", ... or "-" without data
    status_code: int | None
    code: int | None  # the EdgeOne code the diagnosis names
    fault: str | None
    timings: Timings | None
    node_ip: str | None  # the address that answered (raw network text)
    eo_log_uuid: str | None  # raw network text
    summary: str  # the diagnosis summary, or why the region gave no data


@dataclass(frozen=True, slots=True)
class RegionalVerdict:
    pattern: Pattern
    reading: str  # the pattern in words
    rows: tuple[RegionRow, ...]
    ok: tuple[str, ...]
    failing: tuple[str, ...]
    slow: tuple[str, ...]
    no_data: tuple[str, ...]


def read_regions(
    seen: Mapping[str, tuple[ProbeReport, Diagnosis]],
    missing: Mapping[str, str] | None = None,
    *,
    order: Sequence[str] = (),
) -> RegionalVerdict:
    """The verdict for the regions in ``seen`` (with a report) and ``missing`` (region -> why
    there is none). Rows follow ``order`` (regions it does not name come last), else ``seen``
    then ``missing`` as given."""
    missing = dict(missing or {})
    rows = [_row(region, report, diagnosis) for region, (report, diagnosis) in seen.items()]
    slow = _slow_regions({r.region: seen[r.region][0].edge for r in rows if r.state == "ok"})
    rows = [_with_state(r, "slow") if r.region in slow else r for r in rows]
    rows += [_no_data_row(region, why) for region, why in missing.items() if region not in seen]
    if order:
        rank = {region: i for i, region in enumerate(order)}
        rows.sort(key=lambda r: rank.get(r.region, len(rank)))
    ok = tuple(r.region for r in rows if r.state == "ok")
    failing = tuple(r.region for r in rows if r.state == "failing")
    slow_regions = tuple(r.region for r in rows if r.state == "slow")
    silent = tuple(r.region for r in rows if r.state == "no_data")
    if not seen:
        pattern: Pattern = "no_data"
    elif failing and not ok and not slow_regions:
        pattern = "fails_everywhere"
    elif failing:
        pattern = "fails_in_some"
    elif slow_regions:
        pattern = "slow_in_some"
    else:
        pattern = "all_ok"
    by_region = {r.region: r for r in rows}
    reading = _reading(pattern, by_region, ok, failing, slow_regions, seen)
    if silent and pattern != "no_data":
        reading += f" No result from {_names(silent)}."
    return RegionalVerdict(
        pattern=pattern,
        reading=reading,
        rows=tuple(rows),
        ok=ok,
        failing=failing,
        slow=slow_regions,
        no_data=silent,
    )


def read_run(
    run: RegionalRun, kb: KnowledgeBase, *, stated_code: int | None = None
) -> tuple[RegionalVerdict, dict[str, Diagnosis]]:
    """Diagnose each region's report and read them together; the diagnoses come back too
    (region -> Diagnosis) for renderers that show one region in full."""
    diagnoses = {
        region: diagnose(report, kb, stated_code=stated_code)
        for region, report in run.reports().items()
    }
    seen = {region: (run.reports()[region], d) for region, d in diagnoses.items()}
    order = [o.region for o in run.outcomes]
    return read_regions(seen, run.missing(), order=order), diagnoses


# -- rows ---------------------------------------------------------------------------------------


def _row(region: str, report: ProbeReport, diagnosis: Diagnosis) -> RegionRow:
    edge = report.edge
    answered = edge.http.status == "ok" and edge.http.status_code is not None
    state: RowState = "ok" if answered and diagnosis.fault == "none" else "failing"
    return RegionRow(
        region=region,
        state=state,
        status=status_text(edge),
        status_code=edge.http.status_code,
        code=diagnosis.code,
        fault=diagnosis.fault,
        timings=edge.timings,
        node_ip=edge.connect.ip,
        eo_log_uuid=edge.http.eo_log_uuid or edge.http.headers.get("eo-log-uuid"),
        summary=diagnosis.summary,
    )


def _no_data_row(region: str, why: str) -> RegionRow:
    return RegionRow(
        region=region,
        state="no_data",
        status="-",
        status_code=None,
        code=None,
        fault=None,
        timings=None,
        node_ip=None,
        eo_log_uuid=None,
        summary=why,
    )


def _with_state(row: RegionRow, state: RowState) -> RegionRow:
    return RegionRow(
        region=row.region,
        state=state,
        status=row.status,
        status_code=row.status_code,
        code=row.code,
        fault=row.fault,
        timings=row.timings,
        node_ip=row.node_ip,
        eo_log_uuid=row.eo_log_uuid,
        summary=row.summary,
    )


def status_text(result: ProbeResult) -> str:
    """'200', or the phase that failed and how: 'connect refused', 'DNS nxdomain'."""
    if result.http.status == "ok" and result.http.status_code is not None:
        return str(result.http.status_code)
    phase = result.failed_phase
    if phase == "dns":
        return f"DNS {result.dns.status}"
    if phase == "connect":
        return f"connect {result.connect.status}"
    if phase == "tls":
        return f"TLS {result.tls.status.replace('_', ' ')}"
    if phase == "http":
        return f"HTTP {result.http.status}"
    return "no response"


def _slow_regions(healthy: Mapping[str, ProbeResult]) -> set[str]:
    """Healthy regions far slower than the median of the other healthy ones (not all of them)."""
    if len(healthy) < 2:
        return set()
    slow = set()
    for region, result in healthy.items():
        others = [r.timings.total_ms for name, r in healthy.items() if name != region]
        typical = statistics.median(others)
        total = result.timings.total_ms
        if total >= typical * SLOW_FACTOR and total - typical >= SLOW_MARGIN_MS:
            slow.add(region)
    return slow if len(slow) < len(healthy) else set()


# -- words --------------------------------------------------------------------------------------


def _reading(
    pattern: Pattern,
    rows: Mapping[str, RegionRow],
    ok: tuple[str, ...],
    failing: tuple[str, ...],
    slow: tuple[str, ...],
    seen: Mapping[str, tuple[ProbeReport, Diagnosis]],
) -> str:
    if pattern == "no_data":
        return "No region gave a result, so there is nothing to compare."
    if pattern == "all_ok":
        return f"It works in every region that answered ({_names(ok)})."
    if pattern == "slow_in_some":
        return _slow_reading(slow, ok, seen)
    failed = [rows[r] for r in failing]
    if pattern == "fails_everywhere":
        return _everywhere_reading(failed)
    return _some_reading(failed, ok, slow)


def _everywhere_reading(failed: list[RegionRow]) -> str:
    if all(r.status.startswith("DNS ") for r in failed):
        return (
            "The name does not resolve in any region: the DNS records themselves (the zone, the "
            "CNAME to EdgeOne) are at fault, not one place on the way."
        )
    outcomes = {_failure_words(r) for r in failed}
    if len(outcomes) == 1:
        return (
            f"It fails the same way in every region ({outcomes.pop()}): the origin or the "
            "site's configuration, which every region shares, not a regional path."
        )
    return (
        f"It fails in every region ({_per_region(failed)}): the origin or the site's "
        "configuration is more likely than any one path."
    )


def _some_reading(failed: list[RegionRow], ok: tuple[str, ...], slow: tuple[str, ...]) -> str:
    names = [r.region for r in failed]
    working = _names((*ok, *slow))
    text = f"It fails in {_names(names)} ({_per_region(failed)}) but works in {working}: "
    text += "the cause is regional. "
    if all(r.status.startswith("DNS ") for r in failed):
        text += (
            f"DNS answers differently in {_names(names)}: a regional (GeoDNS) record or "
            "the resolvers there."
        )
    elif all(r.status_code is None for r in failed):
        text += (
            f"The address reached from {_names(names)} does not answer: an origin firewall or "
            f"ACL that lets some EdgeOne nodes in but not those serving {_names(names)}, those "
            "nodes themselves, or DNS sending that region elsewhere. Compare the node IPs."
        )
    else:
        text += (
            f"The EdgeOne nodes serving {_names(names)} answer differently: a problem on those "
            "nodes, a rule scoped by region, or an origin that refuses their addresses. Quote "
            "the EO-LOG-UUID of a failing region to support."
        )
    if slow:
        text += f" {_names(slow)} also {'is' if len(slow) == 1 else 'are'} slow."
    return text


def _slow_reading(
    slow: tuple[str, ...], ok: tuple[str, ...], seen: Mapping[str, tuple[ProbeReport, Diagnosis]]
) -> str:
    healthy = [seen[r][0].edge.timings for r in ok]
    parts = []
    for region in slow:
        timings = seen[region][0].edge.timings
        typical = statistics.median(t.total_ms for t in healthy) if healthy else 0.0
        parts.append(f"{region} takes {_ms(timings.total_ms)} against {_ms(typical)} elsewhere")
        phase = _slowest_phase(timings, healthy)
        if phase is not None:
            parts[-1] += f", most of it in {phase}"
    return (
        f"It works everywhere, but {'; '.join(parts)}: the network path of "
        f"{_names(slow)} (to the EdgeOne node, or from that node to the origin for TTFB)."
    )


def _slowest_phase(timings: Timings, others: list[Timings]) -> str | None:
    best: tuple[float, str] | None = None
    for attr, label in _PHASES:
        mine = getattr(timings, attr)
        theirs = [getattr(t, attr) for t in others if getattr(t, attr) is not None]
        if mine is None or not theirs:
            continue
        extra = mine - statistics.median(theirs)
        if best is None or extra > best[0]:
            best = (extra, label)
    return best[1] if best is not None and best[0] > 0 else None


def _failure_words(row: RegionRow) -> str:
    return f"{row.status}, EdgeOne {row.code}" if row.code is not None else row.status


def _per_region(rows: list[RegionRow]) -> str:
    if len(rows) == 1:
        return _failure_words(rows[0])
    return ", ".join(f"{r.region}: {_failure_words(r)}" for r in rows)


def _names(regions: tuple[str, ...] | list[str]) -> str:
    items = list(regions)
    if len(items) <= 1:
        return "".join(items) or "no region"
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


# -- what changed between two runs (probe again, watches) ---------------------------------------


@dataclass(frozen=True, slots=True)
class RegionChanges:
    """How a run differs from the previous one, region by region."""

    recovered: tuple[str, ...]  # failing before and answering now, or slow before and not now
    broke: tuple[str, ...]  # answering before, failing now
    changed: tuple[str, ...]  # failing before and now, differently
    still_failing: tuple[str, ...]  # failing before and now, the same way
    slowed: tuple[str, ...]  # fine before, slow now
    all_recovered: bool  # nothing fails or is slow any more, and something answered

    @property
    def any(self) -> bool:
        return bool(self.recovered or self.broke or self.changed or self.slowed)

    def text(self) -> str:
        parts = []
        if self.recovered:
            parts.append(f"recovered in {_names(self.recovered)}")
        if self.broke:
            parts.append(f"now failing in {_names(self.broke)}")
        if self.changed:
            parts.append(f"failing differently in {_names(self.changed)}")
        if self.slowed:
            parts.append(f"now slow in {_names(self.slowed)}")
        if self.still_failing:
            parts.append(f"still failing in {_names(self.still_failing)}")
        return "; ".join(parts) or "no change in any region"


def region_states(verdict: RegionalVerdict) -> dict[str, str]:
    """A compact state per region ('ok', 'slow', 'fail:522', 'fail:connect refused', 'none'),
    small enough to carry in a button value and compare with the next run."""
    states = {}
    for row in verdict.rows:
        if row.state == "failing":
            states[row.region] = f"fail:{row.code if row.code is not None else row.status}"
        elif row.state == "no_data":
            states[row.region] = "none"
        else:
            states[row.region] = row.state
    return states


def regional_changes(before: Mapping[str, str], after: RegionalVerdict) -> RegionChanges:
    """What changed since ``before`` (a previous ``region_states``). A region without data in
    either run has neither recovered nor broken."""
    recovered: list[str] = []
    broke: list[str] = []
    changed: list[str] = []
    still: list[str] = []
    slowed: list[str] = []
    for region, state in region_states(after).items():
        old = before.get(region, "none")
        if state == "none" or old == "none" or state == old:
            if state == old and state.startswith("fail:"):
                still.append(region)
            continue
        was_failing, is_failing = old.startswith("fail:"), state.startswith("fail:")
        if was_failing and is_failing:
            changed.append(region)
        elif was_failing or (old == "slow" and state == "ok"):
            recovered.append(region)
        elif is_failing:
            broke.append(region)
        else:  # ok -> slow
            slowed.append(region)
    return RegionChanges(
        recovered=tuple(recovered),
        broke=tuple(broke),
        changed=tuple(changed),
        still_failing=tuple(still),
        slowed=tuple(slowed),
        all_recovered=after.pattern == "all_ok",
    )
