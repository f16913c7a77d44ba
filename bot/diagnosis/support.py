"""What EdgeOne support asks for when a request fails: request id, node, time and URL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.diagnosis.model import SupportBundle
from bot.diagnosis.probe import answered, eo_log_uuid, has_edge_markers
from bot.probe.models import ProbeReport


def support_bundle(report: ProbeReport, *, node_refuted: bool = False) -> SupportBundle:
    """The bundle for the public URL's probe.

    ``node_refuted``: EdgeOne's API says the address that answered is not an EdgeOne node, so it
    is not offered as one.
    """
    edge = report.edge
    # "Edge IP" names an EdgeOne node: only an address whose answer carried EdgeOne's markers.
    answered_as_edgeone = answered(edge) and has_edge_markers(edge) and not node_refuted
    return SupportBundle(
        eo_log_uuid=eo_log_uuid(edge),
        edge_ip=edge.connect.ip if answered_as_edgeone else None,
        time_utc=iso_utc(edge.started_at),
        url=edge.url,
        status_code=edge.http.status_code,
        address=edge.connect.ip,
    )


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the form support asks for (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
