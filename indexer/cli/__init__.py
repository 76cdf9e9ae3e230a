"""The ``fazhi`` command line: index, search, reports, inspect, check, serve, and analytics.

* :mod:`.options` — shared output, index and filter options; one-line errors
* :mod:`.commands` — inspect, index, search, reports, check, serve
* :mod:`.analytics` — matrix, practices, precedents
* :mod:`.review` — draft (check a draft), coverage (Art. 25 parts by township)

``main(args) -> int`` runs it for tests and scripts; the ``fazhi`` entry
point is :func:`cli`.
"""

from __future__ import annotations

import click

from . import analytics, commands, review
from .options import EXIT_ERROR


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fazhi-search")
def cli() -> None:
    """fazhi: search the yearly reports of townships on 法治政府建设.

    Index report files (PDF, Word, web pages, text), then search them exactly
    or by words, with facets by township, year, section and province.
    """


for _command in (*commands.COMMANDS, *analytics.COMMANDS, *review.COMMANDS):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit status (for tests and scripts)."""
    try:
        cli.main(args=argv, prog_name="fazhi", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return EXIT_ERROR
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return 0
