"""The last hour of a host's traffic as EdgeOne counted it, and what stands out in it.

Built from DescribeTimingL7AnalysisData (requests per minute: all, and 5xx) and
DescribeTopL7AnalysisData (requests per status code). :func:`outbreak` finds the run of minutes in
which 5xx answers stand out; pure, so it is tested with hand-made series. :func:`describe` words it
(a ``Phrase``: said in the reader's language).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.edgeone.shapes import TimingDataRecordShape, TopDataRecordShape
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, phrase

# A minute counts as failing when at least this share of its requests were 5xx.
FAILING_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class TrendFact:
    start: datetime
    step: timedelta
    total: tuple[int, ...]  # requests per step
    server_errors: tuple[int, ...]  # 5xx per step
    top_codes: tuple[tuple[str, int], ...] = ()  # status code -> requests over the window

    @property
    def end(self) -> datetime:
        return self.start + self.step * len(self.total)

    @property
    def requests(self) -> int:
        return sum(self.total)

    def share_of(self, digit: str) -> float:
        """The share of the window's requests whose code starts with ``digit`` (from the top
        codes, so a class spread over many rare codes may be counted short)."""
        if not self.requests:
            return 0.0
        return sum(n for code, n in self.top_codes if code.startswith(digit)) / self.requests

    def at(self, index: int) -> datetime:
        return self.start + self.step * index


@dataclass(frozen=True, slots=True)
class Outbreak:
    """A run of minutes with 5xx: when it began, how much of the traffic it took, its main code."""

    since: datetime
    until: datetime | None  # None: still going at the newest minute EdgeOne has counted
    requests: int
    errors: int
    top_code: str | None = None
    top_code_share: float | None = None  # of the 5xx answers over the window

    @property
    def share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def series(
    records: Iterable[TimingDataRecordShape], *, start: datetime, step: timedelta, count: int
) -> tuple[int, ...]:
    """One metric's points, summed over the records, on a grid of ``count`` steps from ``start``
    (a point off the grid is dropped, a missing one counts 0)."""
    values = [0] * count
    first = start.timestamp()
    width = step.total_seconds()
    for record in records:
        for metric in record.TypeValue:
            for item in metric.Detail:
                index = int((item.Timestamp - first) // width)
                if 0 <= index < count:
                    values[index] += int(item.Value)
    return tuple(values)


def top_codes(records: Iterable[TopDataRecordShape]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for record in records:
        for item in record.DetailData:
            totals[item.Key] = totals.get(item.Key, 0) + int(item.Value)
    return tuple(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def window(now: datetime, *, minutes: int = 60) -> tuple[datetime, datetime]:
    """The last ``minutes`` whole minutes before ``now`` (UTC)."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    return end - timedelta(minutes=minutes), end


def outbreak(trend: TrendFact, *, threshold: float = FAILING_SHARE) -> Outbreak | None:
    """The latest run of failing minutes, or None when no minute had 5xx worth naming.

    Minutes EdgeOne has not counted yet (no requests at the end of the window: its analytics lag a
    few minutes) are skipped, so a run that reaches the newest counted minute is "still going".
    """
    failing = [
        total > 0 and errors > 0 and errors / total >= threshold
        for total, errors in zip(trend.total, trend.server_errors, strict=True)
    ]
    counted = [i for i, total in enumerate(trend.total) if total > 0]
    if not counted or not any(failing):
        return None
    last = max(i for i, bad in enumerate(failing) if bad)
    first = last
    while first > 0 and (failing[first - 1] or trend.total[first - 1] == 0):
        first -= 1
    while not failing[first]:  # do not start the run on an uncounted minute
        first += 1
    ongoing = last == counted[-1]
    requests = sum(trend.total[first : last + 1])
    errors = sum(trend.server_errors[first : last + 1])
    code, share = _main_5xx(trend)
    return Outbreak(
        since=trend.at(first),
        until=None if ongoing else trend.at(last + 1),
        requests=requests,
        errors=errors,
        top_code=code,
        top_code_share=share,
    )


def describe(run: Outbreak) -> Phrase:
    """``5xx since 10:02, 4.1 % of requests, 98 % of them 524`` (times in UTC)."""
    values = {"since": run.since, "share": run.share * 100}
    top = bool(run.top_code) and run.top_code_share is not None
    if top:
        values |= {"code": run.top_code, "code_share": (run.top_code_share or 0.0) * 100}
    if run.until is None:
        if top:
            return phrase(
                N_(
                    "5xx since {since:%H:%M}, {share:.1f} % of requests, {code_share:.0f} % "
                    "of them {code}"
                ),
                **values,
            )
        return phrase(N_("5xx since {since:%H:%M}, {share:.1f} % of requests"), **values)
    values["until"] = run.until
    if top:
        return phrase(
            N_(
                "5xx from {since:%H:%M} to {until:%H:%M}, {share:.1f} % of requests, "
                "{code_share:.0f} % of them {code}"
            ),
            **values,
        )
    return phrase(
        N_("5xx from {since:%H:%M} to {until:%H:%M}, {share:.1f} % of requests"), **values
    )


def _main_5xx(trend: TrendFact) -> tuple[str | None, float | None]:
    fives = [(code, n) for code, n in trend.top_codes if code.startswith("5") and n > 0]
    if not fives:
        return None, None
    code, count = max(fives, key=lambda kv: kv[1])
    all_5xx = sum(trend.server_errors) or sum(n for _, n in fives)
    return code, min(1.0, count / all_5xx)


def downsample(values: Sequence[int], width: int) -> list[int]:
    """Sum ``values`` into at most ``width`` buckets of equal length (the last may be shorter)."""
    if width <= 0 or len(values) <= width:
        return list(values)
    size = -(-len(values) // width)
    return [sum(values[i : i + size]) for i in range(0, len(values), size)]
