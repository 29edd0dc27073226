"""Records → jsonl | json | csv | table.

One flattening is shared by every format: records are dicts in the contract's shape; CSV and the table
flatten nested values (lists and objects) into JSON text rather than dropping them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Literal, TextIO

import orjson

Format = Literal["jsonl", "json", "csv", "table"]

CSV_COLUMNS = (
    "source",
    "kind",
    "line",
    "span",
    "platform",
    "raw",
    "url",
    "shortener",
    "in_post",
    "post_id",
    "author_name",
    "author_handle",
    "published",
    "text",
    "links",
    "embedded",
    "status",
    "final_url",
    "canonical_url",
    "hops",
    "error",
    "post",
    "archive",
    "newly_dead",
)


def json_line(record: dict[str, Any]) -> bytes:
    """One record as a JSON line (UTF-8, newline-terminated). orjson writes records several times faster
    than the standard library; a text it refuses (a lone surrogate, which only undecodable input can leave)
    goes through ``json``, whose output the writer's ``surrogateescape`` turns back into the source's bytes."""
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape")


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_records(records: Iterable[dict[str, Any]], fmt: Format, stream: TextIO) -> int:
    """Write every record; returns how many were written. Streams for jsonl and csv."""
    count = 0
    if fmt == "jsonl":
        for record in records:
            stream.write(json_line(record).decode("utf-8", "surrogateescape"))
            count += 1
    elif fmt == "json":
        items = list(records)
        json.dump(items, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        count = len(items)
    elif fmt == "csv":
        items = list(records)
        present = {k for r in items for k in r}
        columns = [c for c in CSV_COLUMNS if c in present] or ["source", "kind"]
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in items:
            writer.writerow({k: _flat(record.get(k)) for k in columns})
        count = len(items)
    else:
        items = list(records)
        _table(items, stream)
        count = len(items)
    return count


def _table(items: list[dict[str, Any]], stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    resolved = any("status" in r for r in items)
    archived = any("archive" in r for r in items)
    table = Table(show_lines=False, expand=False, header_style="bold")
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("what", overflow="fold", max_width=60)
    if resolved:
        table.add_column("status", no_wrap=True)
        table.add_column("→ canonical", overflow="fold", max_width=70)
    if archived:
        table.add_column("archive", overflow="fold", max_width=50)
    last_source = None
    for r in items:
        if r.get("source") != last_source:
            last_source = r.get("source")
            table.add_row("", "[bold]source[/bold]", str(last_source), *([""] * (table_columns(resolved, archived))))
        if r["kind"] == "post":
            who = f"@{r['author_handle']}" if r.get("author_handle") else ""
            bits = [r.get("platform") or "", who, r.get("published") or "", r.get("post_id") or r.get("url") or ""]
            what = " ".join(b for b in bits if b) + ("  (embedded)" if r.get("embedded") else "  (linked)")
        else:
            what = r.get("raw", "")
            if r.get("shortener"):
                what += f"  [{r['shortener']}]"
        row = [str(r.get("line", "")), r["kind"], what]
        if resolved:
            status = r.get("status") or ""
            colour = {"ok": "green", "dead": "red", "blocked": "yellow", "error": "magenta"}.get(status, "")
            row.append(f"[{colour}]{status}[/{colour}]" if colour else status)
            row.append(r.get("canonical_url") or r.get("error") or "")
        if archived:
            archive = r.get("archive") or {}
            row.append(archive.get("wayback_url") or archive.get("error") or "")
        table.add_row(*row)
    Console(
        file=stream,
        force_terminal=stream.isatty() if hasattr(stream, "isatty") else False,
        width=None if stream.isatty() else 160,
    ).print(table)


def table_columns(resolved: bool, archived: bool) -> int:
    return (2 if resolved else 0) + (1 if archived else 0)
