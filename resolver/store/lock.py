"""The run lock: two unattended runs on one cache never overlap."""

from __future__ import annotations

import os
import time
from pathlib import Path


class LockBusyError(Exception):
    """Another run holds the lock."""


class RunLock:
    """An exclusive lock beside the cache file, so two unattended runs never trample each other.

    The second run waits up to ``wait`` seconds, then gives up with LockBusyError. The OS releases the lock
    when its holder dies, even by SIGKILL.
    """

    def __init__(self, path: Path, wait: float = 10.0) -> None:
        self.path = path
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    os.close(fd)
                    raise LockBusyError(f"another run holds {self.path} ({holder or 'pid unknown'})") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


