"""The pipeline: documents → records through every stage, and the jobs the commands run.

In: Documents, and a run's settings (``RunSettings``: the network options of the command line, the config
file or the environment); out: resolved — for archive runs, archived — records, and what the run counted.

* ``flow``: ``run(documents)`` — scan, resolve every distinct URL once, enrich posts, within the deadline.
* ``settings``: a run's settings → its store, its HTTP client, its ``RunOptions``, its URL-source fetch.
* ``jobs``: the resolve job (``resolve``, ``rewrite``), and the ``Hooks`` a job reports through.
* ``archive_job``: the unattended archive run — which articles are new or changed, which sources are due a
  re-check, which are newly dead; each article committed to the ledger only once its records are written.
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
