"""The pipeline: documents → records through every stage.

In: Documents and ``RunOptions``; out: resolved records, with what the run counted (``Stats``).

* ``flow``: ``run(documents)`` — scan, resolve every distinct URL once, enrich posts; the run's deadline.
"""

from .flow import DEADLINE_REACHED, Progress, RunOptions, Stats, resolve_all, resolve_findings, run, scan_documents

__all__ = [
    "DEADLINE_REACHED",
    "Progress",
    "RunOptions",
    "Stats",
    "resolve_all",
    "resolve_findings",
    "run",
    "scan_documents",
]
