"""The command line (typer): options → library call → output → exit code.

``app`` the typer app and its root callback; ``main`` the console entry point; one module per command
(``scan``, ``resolve``, ``rewrite``, ``archive``, ``report``, ``platforms``) that parses its options, calls
the library (``read.sources``, ``scan``, ``pipeline``, ``write``) and maps the outcome to an exit code.
Shared: ``options``, ``net_options``, ``archive_options`` (the ``Annotated`` option types), ``run`` (the
steps the online commands share), ``output``, ``log``, ``progress``, ``exits``; ``config`` (defaults from
the config file and the environment).
"""

from .app import app
from .main import main

__all__ = ["app", "main"]
