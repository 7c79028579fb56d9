"""The trust report: every client of a freelancer, worst trust health first, with the reasons and next steps.

`manage.py trust_report` prints it and the API's trust health endpoints answer its entries, so both say the same
thing. The JSON form is documented in docs/trust-model.md ("The trust_report JSON") and versioned by its
"version" key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crm.models import ClientHealth
from crm.models.health import Band
from crm.trust.reasons import describe, side_label

# 2: "sides" (my word, the client's word) on every client and "side" on every reason and component; an overdue
# invoice's "amount" became "amounts" (one per currency, never added together).
REPORT_VERSION = 2


# Each side's responsiveness component: my answers to the client's messages, the client's to my questions.
RESPONSIVENESS_OF = {"mine": "responsiveness", "client": "client_responsiveness"}


def _side(health: ClientHealth, side: str) -> dict[str, Any]:
    band = health.side_band(side)
    component = (health.components or {}).get(RESPONSIVENESS_OF[side]) or {}
    return {
        "score": health.my_score if side == "mine" else health.client_score,
        "band": str(band),
        "band_label": str(Band(band).label),
        "label": side_label(side),
        # That side's answers on their own (0-100, null without any), and the points they move the overall by.
        "responsiveness": {
            "score": component.get("score"),
            "contribution": component.get("contribution", 0.0),
            "evidence": component.get("evidence", 0),
        },
    }


def client_report(health: ClientHealth, today: date | None = None) -> dict[str, Any]:
    """Return one client's entry of the report (the stable JSON shape); day counts as of `today`."""
    reasons = []
    for reason in health.reasons:
        explained = describe(reason, today)
        reasons.append(
            {
                **reason,
                "side": explained.side,
                "text": str(explained.text),
                "next_step": str(explained.next_step),
            }
        )
    return {
        "id": health.client_id,
        "name": health.client.name,
        "company": health.client.company,
        "score": health.score,
        "band": health.band,
        "band_label": str(health.get_band_display()),
        "score_week_ago": health.score_week_ago,
        "trend": health.trend,
        "evidence_count": health.evidence_count,
        "sides": {side: _side(health, side) for side in ("mine", "client")},
        "computed_at": health.computed_at.isoformat(),
        "components": health.components,
        "reasons": reasons,
    }


def owner_report(owner: Any, today: date | None = None) -> list[dict[str, Any]]:
    """Return the owner's clients, worst first (lowest score; ties by name)."""
    healths = (
        ClientHealth.objects.filter(owner=owner).select_related("client").order_by("score", "client__name")
    )
    return [client_report(health, today) for health in healths]


def _side_cell(side: dict[str, Any]) -> str:
    """Return a side's score for the table, marked "!" when that side is at risk ("–" without events)."""
    if side["score"] is None:
        return "–"
    return f"{side['score']}{'!' if side['band'] == 'at_risk' else ''}"


def _trend(value: int | None) -> str:
    if value is None:
        return "   ·"
    return f"{value:+4d}" if value else "   ="


def render_table(report: dict[str, Any]) -> str:
    """Return the report as plain text: one line per client, then its reasons and next steps."""
    lines = []
    for freelancer in report["freelancers"]:
        lines.append(f"== {freelancer['username']} ({len(freelancer['clients'])} clients)")
        lines.append(f"{'score':>5}  {'band':<20} {'trend':>5}  {'mine':>4}  {'client':>6}  client")
        for client in freelancer["clients"]:
            name = client["name"] + (f" ({client['company']})" if client["company"] else "")
            mine, theirs = (_side_cell(client["sides"][side]) for side in ("mine", "client"))
            lines.append(
                f"{client['score']:>5}  {client['band_label']:<20} {_trend(client['trend']):>5}"
                f"  {mine:>4}  {theirs:>6}  {name}"
            )
            # What hurts (and "not enough history"); a client with nothing against it shows its best reason.
            shown = [r for r in client["reasons"] if r["impact"] <= 0] or client["reasons"][-1:]
            for reason in shown:
                impact = f"{reason['impact']:+.1f}" if reason["impact"] else "   "
                side = f"[{client['sides'][reason['side']]['label']}] " if reason.get("side") else ""
                lines.append(f"{'':>7}{impact:>6}  {side}{reason['text']}")
                if reason["next_step"]:
                    lines.append(f"{'':>15}→ {reason['next_step']}")
        lines.append("")
    return "\n".join(lines)
