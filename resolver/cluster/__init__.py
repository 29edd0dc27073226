"""The cluster run (``resolver cluster``): the same stages and records as ``resolve``, as tasks on Dask.

In: SOURCEs, a :class:`ClusterSettings` (the run's options, its folder, its meter) and a Dask client;
out: the records, as Parquet files in the order of the sources (``ClusterOutcome.record_files``), and the
answers, appended in the run folder for the next run. Needs the ``cluster`` extra (dask, distributed,
pyarrow, pandas, redis); nothing here is imported by the other commands.

* ``job`` — the stages in order (scan → resolve → assemble → Wayback lane → attach) and the Dask client.
* ``articles`` — article partitions and the scan task; ``resolving`` — the host-shuffled resolve task;
  ``assemble`` — records from the known answers, through the pipeline's ``resolve_findings``;
  ``wayback`` — the Wayback lane and the archive objects.
* ``frames`` — distinct URLs, the anti-join with known answers, the shuffles and joins (Dask dataframes).
* ``answers`` — answers appended in Parquet chunks; ``records`` — records as Parquet; ``layout`` — the
  run folder; ``taskstore`` — the store a task assembles with; ``settings`` — what every task is told.
* ``meter`` — the per-site rate meter every worker shares: a GCRA per site in Redis.
"""

from .job import ClusterError, ClusterOutcome, connect, missing_extra, run_cluster
from .meter import MeterSpec, RedisRateMeter, SharedMeterError
from .settings import ArchiveSpec, ClusterSettings

__all__ = [
    "ArchiveSpec",
    "ClusterError",
    "ClusterOutcome",
    "ClusterSettings",
    "MeterSpec",
    "RedisRateMeter",
    "SharedMeterError",
    "connect",
    "missing_extra",
    "run_cluster",
]
