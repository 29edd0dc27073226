"""The typer app: its help, its root callback (--version; defaults from the config file and the
environment), and the commands, registered in the order ``--help`` lists them: all of them (``app``), or the
one a command line names (``make_app``, what ``main`` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from .exits import EXIT_INPUT
from .log import error, warn

# Every command: its name, the module that parses its options and the function that does, in the order
# ``--help`` lists them. A command line that names one of them builds an app of that one alone
# (``make_app``): the others' modules are not imported and their options not built, at every start.
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("scan", "scan_command"),
    "resolve": ("resolve", "resolve_command"),
    "rewrite": ("rewrite", "rewrite_command"),
    "archive": ("archive", "archive_command"),
    "cluster": ("cluster", "cluster_command"),
    "report": ("report", "report_command"),
    "platforms": ("platforms", "platforms_command"),
}


def make_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with the command ``only`` alone (its usage, options, help and
    errors are the same as in the whole app: the root callback and settings are shared)."""
    import importlib

    made = typer.Typer(
        name="resolver",
        help=ROOT_HELP,
        pretty_exceptions_enable=False,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_root)
    for name, (module, function) in COMMANDS.items():
        if only is None or name == only:
            made.command(name)(getattr(importlib.import_module(f"{__package__}.{module}"), function))
    return made


def __getattr__(name: str) -> typer.Typer:
    """``app``, the whole app, made on first use (the library's and the tests' way in)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    whole = globals()["app"] = make_app()
    return whole


ROOT_HELP = (
    "Find the social posts and shortened links an article cites, and resolve them to canonical URLs "
    "with the posts' metadata.\n\n"
    "SOURCE is a file, a directory (its .html .htm .md .markdown .txt files, recursively), an http(s) "
    "URL of an article, or - for standard input.\n\n"
    "Exit codes: 0 all answers final (ok/dead); 1 some error/blocked or archive error (retry later); "
    "2 bad usage, unreadable input, or a cache or output that could not be used (needs a human); "
    "70 internal error (a bug); 75 another run holds the lock (try later); 130 interrupted; 143 terminated.\n\n"
    "Defaults of the network options (--concurrency, --per-host, --timeout, --retries, --max-hops, "
    "--deadline, --user-agent, --header, --cache, --allow-host, --allow-private) come from, highest first: "
    "the command line; RESOLVER_* environment variables (RESOLVER_PER_HOST=4; RESOLVER_HEADER holds one "
    "header a line); the config file $XDG_CONFIG_HOME/resolver/config.toml (~/.config/resolver/config.toml; "
    "RESOLVER_CONFIG names another), e.g. per-host = 4; the built-in default. A default shown in a "
    "command's --help already includes the file's and the environment's."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resolver {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """resolver: scan articles for cited posts and links, resolve and archive them."""
    _load_defaults(ctx)


def _load_defaults(ctx: typer.Context) -> None:
    """The config file's settings, overridden by RESOLVER_* variables, as the commands' defaults (the
    command line still wins). A file or variable that cannot be used is one line and exit 2."""
    from .config import ConfigError, config_path, from_environment, load, misspelt_variables

    try:
        values = {**load(config_path()), **from_environment()}
    except ConfigError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    for name, meant in misspelt_variables():
        warn(f"{name} is not a resolver setting (did you mean {meant}?); it is ignored")
    if values:
        commands = getattr(ctx.command, "commands", {})
        ctx.default_map = {name: dict(values) for name in commands}
