"""The typer app: its help, its root callback (--version; defaults from the config file and the
environment), and the commands, registered in the order ``--help`` lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from .archive import archive_command
from .cluster import cluster_command
from .exits import EXIT_INPUT
from .log import error, warn
from .platforms import platforms_command
from .report import report_command
from .resolve import resolve_command
from .rewrite import rewrite_command
from .scan import scan_command

app = typer.Typer(
    name="resolver",
    help=(
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
    ),
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resolver {__version__}")
        raise typer.Exit()


@app.callback()
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


app.command("scan")(scan_command)
app.command("resolve")(resolve_command)
app.command("rewrite")(rewrite_command)
app.command("archive")(archive_command)
app.command("cluster")(cluster_command)
app.command("report")(report_command)
app.command("platforms")(platforms_command)
