"""Peer for the text scan benchmark: urlextract's ``find_urls`` over each file given."""

import sys
from pathlib import Path

from urlextract import URLExtract

extractor = URLExtract()
for name in sys.argv[1:]:
    for url in extractor.find_urls(Path(name).read_text("utf-8", errors="replace")):
        sys.stdout.write(url + "\n")
