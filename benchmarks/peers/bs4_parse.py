"""Peer for the scan benchmark: a bare ``BeautifulSoup(html, "lxml")`` parse of each file given."""

import sys
from pathlib import Path

from bs4 import BeautifulSoup

for name in sys.argv[1:]:
    BeautifulSoup(Path(name).read_bytes(), "lxml")
