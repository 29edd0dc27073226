"""What archive runs have seen (the ledger's summary) → a report: a plain table, Markdown, or JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

ReportFormat = Literal["table", "json", "markdown"]


def render_report(summary: dict[str, Any], fmt: ReportFormat) -> str:
    """The report, its times (``dead_since``, seconds since the epoch in the ledger) as ISO 8601 in UTC."""
    newly_dead = [{**row, "dead_since": _iso(row["dead_since"])} for row in summary["newly_dead"]]
    summary = {**summary, "newly_dead": newly_dead}
    if fmt == "json":
        return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    return _text(summary, markdown=fmt == "markdown")


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat(timespec="seconds")


def _text(summary: dict[str, Any], *, markdown: bool) -> str:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary["by_status"].items())) or "none"
    lines = [
        "# resolver report" if markdown else "resolver report",
        "",
        f"- articles seen: {summary['articles']}",
        f"- cited sources: {summary['sources']} ({statuses}); sightings: {summary['sightings']}",
        f"- archived in the Wayback Machine: {summary['archived']}",
        f"- newly dead: {len(summary['newly_dead'])}",
    ]
    if summary["newly_dead"]:
        lines += ["", "## Newly dead" if markdown else "Newly dead:", ""]
        if markdown:
            lines += ["| source | dead since | archived copy |", "|---|---|---|"]
        for row in summary["newly_dead"]:
            copy = row["wayback_url"] or "(no capture)"
            lines.append(
                f"| {row['source']} | {row['dead_since']} | {copy} |"
                if markdown
                else f"  {row['dead_since']}  {row['source']}  →  {copy}"
            )
    return "\n".join(lines) + "\n"
