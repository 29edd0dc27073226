"""The command line (typer): options → library call → output → exit code."""

from .app import app, main

__all__ = ["app", "main"]
