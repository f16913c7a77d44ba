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

The reading is worded in the language asked for (``language``, from the message catalogue); the
rows' ``status`` and the states of ``region_states`` stay language-neutral (they are compared and
carried in buttons), and ``status_label`` words a status for people.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.agents.outcomes import RegionalRun
from bot.diagnosis import Diagnosis, diagnose
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language
from bot.knowledge.loader import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult, Timings
from bot.render.probe_words import status_word

Pattern = Literal["all_ok", "fails_everywhere", "fails_in_some", "slow_in_some", "no_data"]
RowState = Literal["ok", "failing", "slow", "no_data"]

# A region is slow when its total time is this many times the median of the other healthy
# regions AND at least SLOW_MARGIN_MS more: loopback-fast regions must not make 40 ms look slow.
SLOW_FACTOR = 3.0
SLOW_MARGIN_MS = 500.0
_PHASES = ("dns_ms", "connect_ms", "tls_ms", "server_ms")
_PHASE_NAMES = {
    "dns_ms": N_("DNS"),
    "connect_ms": N_("connect"),
    "tls_ms": N_("TLS"),
    "server_ms": N_("TTFB"),
}
_FAILED_PHASES = {"dns": N_("DNS"), "connect": N_("connect"), "tls": N_("TLS"), "http": N_("HTTP")}


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
    failed_phase: str | None = None  # the phase that failed when no status came back
    failure: str | None = None  # that phase's status word ("refused", "nxdomain", "reset")


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
    language: Language = "en",
) -> RegionalVerdict:
    """The verdict for the regions in ``seen`` (with a report) and ``missing`` (region -> why
    there is none), its reading in ``language``. Rows follow ``order`` (regions it does not name
    come last), else ``seen`` then ``missing`` as given."""
    missing = dict(missing or {})
    rows = [_row(region, report, diagnosis) for region, (report, diagnosis) in seen.items()]
    slow = _slow_regions({r.region: seen[r.region][0].edge for r in rows if r.state == "ok"})
    rows = [replace(r, state="slow") if r.region in slow else r for r in rows]
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
    reading = _reading(pattern, by_region, ok, failing, slow_regions, seen, language)
    if silent and pattern != "no_data":
        _ = texts(language)
        more = _("No result from {regions}.")
        reading = _sentences(language, reading, more.format(regions=names(silent, language)))
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
    run: RegionalRun,
    kb: KnowledgeBase,
    *,
    stated_code: int | None = None,
    language: Language = "en",
) -> tuple[RegionalVerdict, dict[str, Diagnosis]]:
    """Diagnose each region's report and read them together, in ``language``; the diagnoses
    come back too (region -> Diagnosis) for renderers that show one region in full."""
    diagnoses = {
        region: diagnose(report, kb, stated_code=stated_code, language=language)
        for region, report in run.reports().items()
    }
    seen = {region: (run.reports()[region], d) for region, d in diagnoses.items()}
    order = [o.region for o in run.outcomes]
    return read_regions(seen, run.missing(), order=order, language=language), diagnoses


# -- rows ---------------------------------------------------------------------------------------


def _row(region: str, report: ProbeReport, diagnosis: Diagnosis) -> RegionRow:
    edge = report.edge
    answered = edge.http.status == "ok" and edge.http.status_code is not None
    state: RowState = "ok" if answered and diagnosis.fault == "none" else "failing"
    phase = None if answered else edge.failed_phase
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
        failed_phase=phase,
        failure=_failure_of(edge, phase),
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


def _failure_of(result: ProbeResult, phase: str | None) -> str | None:
    return {
        "dns": result.dns.status,
        "connect": result.connect.status,
        "tls": result.tls.status,
        "http": result.http.status,
    }.get(phase or "")


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
    language: Language,
) -> str:
    _ = texts(language)
    if pattern == "no_data":
        return _("No region gave a result, so there is nothing to compare.")
    if pattern == "all_ok":
        return _("It works in every region that answered ({regions}).").format(
            regions=names(ok, language)
        )
    if pattern == "slow_in_some":
        return _slow_reading(slow, ok, seen, language)
    failed = [rows[r] for r in failing]
    if pattern == "fails_everywhere" and len(failed) == 1 and len(rows) > 1:
        # One failing result and silence elsewhere is not a pattern across regions.
        return _(
            "It fails in {region} ({failure}), the only region that gave a result: with nothing"
            " to compare it with, this does not tell a regional path from the origin."
        ).format(region=failed[0].region, failure=_failure_words(failed[0], language))
    if pattern == "fails_everywhere":
        return _everywhere_reading(failed, language)
    return _some_reading(failed, ok, slow, language)


def _everywhere_reading(failed: list[RegionRow], language: Language) -> str:
    _ = texts(language)
    if all(r.failed_phase == "dns" for r in failed):
        return _(
            "The name does not resolve in any region: the DNS records themselves (the zone, the "
            "CNAME to EdgeOne) are at fault, not one place on the way."
        )
    outcomes = {_failure_words(r, language) for r in failed}
    if len(outcomes) == 1:
        return _(
            "It fails the same way in every region ({failure}): the origin or the site's "
            "configuration, which every region shares, not a regional path."
        ).format(failure=outcomes.pop())
    return _(
        "It fails in every region ({failures}): the origin or the site's configuration is more "
        "likely than any one path."
    ).format(failures=_per_region(failed, language))


def _some_reading(
    failed: list[RegionRow], ok: tuple[str, ...], slow: tuple[str, ...], language: Language
) -> str:
    _ = texts(language)
    where = names([r.region for r in failed], language)
    text = _(
        "It fails in {failing} ({failures}) but works in {working}: the cause is regional."
    ).format(
        failing=where,
        failures=_per_region(failed, language),
        working=names((*ok, *slow), language),
    )
    if all(r.failed_phase == "dns" for r in failed):
        more = _(
            "DNS answers differently in {regions}: a regional (GeoDNS) record or the resolvers "
            "there."
        )
    elif all(r.status_code is None for r in failed):
        more = _(
            "The address reached from {regions} does not answer: an origin firewall or ACL that "
            "lets some EdgeOne nodes in but not those serving {regions}, those nodes themselves, "
            "or DNS sending that region elsewhere. Compare the node IPs."
        )
    else:
        more = _(
            "The EdgeOne nodes serving {regions} answer differently: a problem on those nodes, a "
            "rule scoped by region, or an origin that refuses their addresses. Quote the "
            "EO-LOG-UUID of a failing region to support."
        )
    text = _sentences(language, text, more.format(regions=where))
    if slow:
        ngettext = plural(language)
        also = ngettext("{regions} is also slow.", "{regions} are also slow.", len(slow))
        also = also.format(regions=names(slow, language))
        text = _sentences(language, text, also)
    return text


def _slow_reading(
    slow: tuple[str, ...],
    ok: tuple[str, ...],
    seen: Mapping[str, tuple[ProbeReport, Diagnosis]],
    language: Language,
) -> str:
    _ = texts(language)
    healthy = [seen[r][0].edge.timings for r in ok]
    parts = []
    for region in slow:
        timings = seen[region][0].edge.timings
        typical = statistics.median(t.total_ms for t in healthy) if healthy else 0.0
        values = {"region": region, "time": _ms(timings.total_ms), "typical": _ms(typical)}
        phase = _slowest_phase(timings, healthy)
        if phase is not None:
            part = _("{region} takes {time} against {typical} elsewhere, most of it in {phase}")
            parts.append(part.format(**values, phase=_(_PHASE_NAMES[phase])))
        else:
            parts.append(_("{region} takes {time} against {typical} elsewhere").format(**values))
    return _(
        "It works everywhere, but {details}: the network path of {regions} (to the EdgeOne node, "
        "or from that node to the origin for TTFB)."
    ).format(details=_("; ").join(parts), regions=names(slow, language))


def _slowest_phase(timings: Timings, others: list[Timings]) -> str | None:
    best: tuple[float, str] | None = None
    for attr in _PHASES:
        mine = getattr(timings, attr)
        theirs = [getattr(t, attr) for t in others if getattr(t, attr) is not None]
        if mine is None or not theirs:
            continue
        extra = mine - statistics.median(theirs)
        if best is None or extra > best[0]:
            best = (extra, attr)
    return best[1] if best is not None and best[0] > 0 else None


def status_label(row: RegionRow, language: Language = "en") -> str:
    """``row.status`` for people: as it is in English ('connect refused'), translated otherwise."""
    if language == "en" or row.failed_phase is None or row.status_code is not None:
        return row.status
    _ = texts(language)
    if row.failed_phase not in _FAILED_PHASES:
        return _("no response")
    word = status_word(row.failure or "error", language)
    return _("{phase} {failure}").format(phase=_(_FAILED_PHASES[row.failed_phase]), failure=word)


def _failure_words(row: RegionRow, language: Language) -> str:
    status = status_label(row, language)
    if row.code is None:
        return status
    _ = texts(language)
    return _("{status}, EdgeOne {code}").format(status=status, code=row.code)


def _per_region(rows: list[RegionRow], language: Language) -> str:
    if len(rows) == 1:
        return _failure_words(rows[0], language)
    _ = texts(language)
    return _(", ").join(
        _("{region}: {failure}").format(region=r.region, failure=_failure_words(r, language))
        for r in rows
    )


def names(regions: Sequence[str], language: Language = "en") -> str:
    """'fra', 'fra and sin', 'fra, iad and sin' (in ``language``)."""
    items = list(regions)
    _ = texts(language)
    if not items:
        return _("no region")
    if len(items) == 1:
        return items[0]
    return _("{regions} and {last}").format(regions=_(", ").join(items[:-1]), last=items[-1])


def _sentences(language: Language, *sentences: str) -> str:
    """Sentences one after the other: with a space between them, but none in Chinese."""
    return ("" if language == "zh" else " ").join(sentences)


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
    # Nothing fails or is slow any more, something answered, and no region that failed or was
    # slow before has gone silent (a region whose agent died has not recovered).
    all_recovered: bool

    @property
    def any(self) -> bool:
        return bool(self.recovered or self.broke or self.changed or self.slowed)

    def text(self, language: Language = "en") -> str:
        """ "recovered in sin; still failing in fra", in ``language``."""
        _ = texts(language)
        parts = [
            _(words).format(regions=names(regions, language))
            for words, regions in (
                (N_("recovered in {regions}"), self.recovered),
                (N_("now failing in {regions}"), self.broke),
                (N_("failing differently in {regions}"), self.changed),
                (N_("now slow in {regions}"), self.slowed),
                (N_("still failing in {regions}"), self.still_failing),
            )
            if regions
        ]
        return _("; ").join(parts) or _("no change in any region")


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
    now = region_states(after)
    silenced = [
        region
        for region, state in before.items()
        if (state.startswith("fail:") or state == "slow") and now.get(region, "none") == "none"
    ]
    return RegionChanges(
        recovered=tuple(recovered),
        broke=tuple(broke),
        changed=tuple(changed),
        still_failing=tuple(still),
        slowed=tuple(slowed),
        all_recovered=after.pattern == "all_ok" and not silenced,
    )
