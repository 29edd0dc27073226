"""Write: records → jsonl | json | csv | table, checked writes to stdout or a file, and the rewritten article.

In: record dicts (the contract's shape) or an article and its resolved records; out: bytes on a stream or
in a file, written so that a failure is an ``OutputError`` (one line), never a half-written file.
"""

from .files import ByteSink, TextSink, open_output, open_output_bytes, write_bytes
from .formats import CSV_COLUMNS, Format, write_records
from .rewrite import replacements, rewrite

__all__ = [
    "CSV_COLUMNS",
    "ByteSink",
    "Format",
    "TextSink",
    "open_output",
    "open_output_bytes",
    "replacements",
    "rewrite",
    "write_bytes",
    "write_records",
]
