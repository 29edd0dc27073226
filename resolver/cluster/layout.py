"""Where a cluster run keeps what: the run folder's layout (every worker must see the folder).

```
RUN_DIR/
  answers/                 every answer known, appended in chunks (Parquet), shared by every run on RUN_DIR
  runs/<run>/              one run's work, left behind for a look when it fails
    findings/part-N        partition N's findings, in order
    needs-scan/part-N      the URLs partition N's findings name (the host shuffle starts from these)
    joined-scan/part-N     the answers partition N needs, joined to it
    needs-archive/part-N   the sources partition N's records cite (--archive)
    joined-archive/part-N  their Wayback answers
    staged/part-N          records waiting for the Wayback lane (--archive)
    records/part-N         the records, as Parquet (unless --parquet names another folder)
```
"""

from __future__ import annotations

from pathlib import Path

from .settings import ClusterSettings


def part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


def findings_path(settings: ClusterSettings, index: int) -> Path:
    return settings.work / "findings" / part_name(index)


def needs_dir(settings: ClusterSettings, stage: str) -> Path:
    return settings.work / f"needs-{stage}"


def joined_dir(settings: ClusterSettings, stage: str) -> Path:
    return settings.work / f"joined-{stage}"


def joined_path(settings: ClusterSettings, stage: str, index: int) -> Path:
    return joined_dir(settings, stage) / part_name(index)


def staged_path(settings: ClusterSettings, index: int) -> Path:
    return settings.work / "staged" / part_name(index)


def records_path(settings: ClusterSettings, index: int) -> Path:
    return settings.records / part_name(index)
