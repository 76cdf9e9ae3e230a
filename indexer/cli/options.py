"""What the commands share: output, index and filter options, and one-line errors."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .. import names
from ..errors import FazhiError, QueryError
from ..index import default_index_dir

EXIT_ERROR = 1
EXIT_USAGE = 2


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(f)


def index_option(f):
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index directory (default: $FAZHI_INDEX, else .fazhi/index).",
    )(f)


#: the filter options, gathered into one ``filters`` argument by :func:`filter_options`
FILTER_OPTIONS = ("township", "county", "year", "section", "province", "level", "kind")


def filter_options(f):
    """The search filters and mode, shared by every command that takes a query.

    The command gets ``filters`` (option name → list of values) and ``mode``.
    """

    @functools.wraps(f)
    def gathered(*args, **kwargs):
        kwargs["filters"] = {name: list(kwargs.pop(name)) for name in FILTER_OPTIONS}
        return f(*args, **kwargs)

    options = [
        click.option("--township", multiple=True, help="Only reports of this township (repeatable)."),
        click.option("--county", multiple=True, help="Only reports of this county (repeatable)."),
        click.option("--year", multiple=True, help="Only this report year or range, e.g. 2021-2023."),
        click.option("--section", multiple=True, help="Only this section: key or Chinese label."),
        click.option("--province", multiple=True, help="Only reports of this province (repeatable)."),
        click.option("--level", multiple=True,
                     help="Only reports of this level: township, county, city, province, "
                     "department (repeatable)."),
        click.option("--kind", multiple=True,
                     help="Only documents of this kind: annual_report, policy_interpretation, "
                     "work_plan, assessment_plan, disclosure_report, other (repeatable)."),
        click.option("--mode", type=click.Choice(["exact", "words"]), default="exact",
                     show_default=True,
                     help="exact: verbatim phrases; words: jieba words ranked by BM25."),
    ]  # fmt: skip
    for option in reversed(options):
        gathered = option(gathered)
    return gathered


def index_dir_of(value: Path | None) -> Path:
    return value if value is not None else default_index_dir()


def emit_json(obj) -> None:
    """Print ``obj`` as one line of JSON (undecodable bytes of file names as U+FFFD)."""
    click.echo(names.printable_json(obj))


def echo(text: str = "", *, err: bool = False) -> None:
    """Print ``text``, undecodable bytes of file names shown as U+FFFD."""
    click.echo(names.printable(text), err=err)


def say(message: str, *, err: bool = False) -> None:
    """Print a one-line message: :func:`echo`, and control characters escaped (``\\n``)."""
    click.echo(names.one_line(message), err=err)


def handle_errors(f):
    """Turn fazhi errors into one line on stderr and a non-zero exit."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except FazhiError as exc:
            if kwargs.get("as_json"):
                emit_json({"error": exc.user_message()})
            else:
                say(f"error: {exc.user_message()}", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, QueryError) else EXIT_ERROR)

    return wrapper
