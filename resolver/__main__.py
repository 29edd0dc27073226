"""``python -m resolver``: the same as the ``resolver`` command."""

from .cli.app import main

main()
