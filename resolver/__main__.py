"""``python -m resolver``: the same as the ``resolver`` command."""

from .cli import main

main()
