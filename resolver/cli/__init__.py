"""The command line (typer): options → library call → output → exit code.

``app`` the typer app (``commands``: its root callback and its commands); ``main`` the console entry
point; one module per command (``scan``, ``resolve``, ``rewrite``, ``archive``, ``report``, ``platforms``)
that parses its options, calls the library (``read.sources``, ``scan``, ``pipeline``, ``write``) and maps
the outcome to an exit code.
Shared: ``options``, ``net_options``, ``archive_options`` (the ``Annotated`` option types), ``run`` (the
steps the online commands share), ``output``, ``log``, ``progress``, ``exits``; ``config`` (defaults from
the config file and the environment).

Both names are imported on first use: ``main`` builds only the command its command line names, which it
could not if importing this package built the whole ``app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .commands import app
    from .main import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    found = getattr(importlib.import_module(".commands" if name == "app" else ".main", __name__), name)
    globals()[name] = found  # over the submodule of that name, which importing it has just bound here
    return found
