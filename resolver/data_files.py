"""The package's own data files (the shortener list, ClearURLs' rules), read from where the package is
installed. Not through ``importlib.resources``: its import is paid at every start of a command that reads
one of them, and the package is always installed as files (pip never installs it zipped)."""

from __future__ import annotations

import os

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


def read_data(name: str) -> str:
    """The text of ``resolver/data/<name>`` (UTF-8)."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as file:
        return file.read()
