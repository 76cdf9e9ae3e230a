"""The reviewers' and drafters' commands of the ``fazhi`` CLI: draft, coverage.

``fazhi draft FILE|-`` checks a draft against the index (nothing is stored);
``fazhi coverage`` prints the Art. 25 coverage table of the reports indexed.
They share the output options, error handling and index option of
:mod:`indexer.cli.options`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..analytics import Analytics, coverage_csv, year_label
from ..errors import QueryError
from .options import emit_json, handle_errors, index_dir_of, index_option, json_option

#: characters of a draft compared (the web form's limit too)
MAX_DRAFT_CHARS = 200_000
_STATUS = {"same": "same", "near": "near", "boilerplate": "套话", "new": "new"}


def _engine(index_dir):
    from ..search import Engine

    return Engine(index_dir_of(index_dir))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@json_option
@index_option
@handle_errors
def draft(file: Path, as_json: bool, index_dir) -> None:
    """Check a draft report (FILE, or - for text on stdin) against the indexed reports.

    Every sentence with the reports holding the same or near-identical
    wording (the rules of `fazhi precedents`; boilerplate labelled), the share
    of the draft's characters found in other reports, the reports it shares
    most with, and the five parts of Art. 25 with where each was found.
    Nothing is stored or indexed.
    """
    from ..ingest import load_report, report_from_text

    if str(file) == "-":
        report = report_from_text(sys.stdin.read(), source="-", max_chars=MAX_DRAFT_CHARS)
    else:
        report = load_report(file)
        chars = sum(len(p.text) for p in report.passages)
        if chars > MAX_DRAFT_CHARS:
            raise QueryError(
                f"the draft is too long ({chars:,} characters; the limit is {MAX_DRAFT_CHARS:,})"
            )
    with _engine(index_dir) as engine:
        result = Analytics(engine).check(report.to_dict())
    result["source"] = report.source
    if as_json:
        emit_json(result)
        return
    _print_check(result)


def _print_check(r: dict) -> None:
    where = "，".join(x for x in (r["township"], r["county"]) if x)
    click.echo(f"{r['title'] or r['source']}（{where or '-'}，{year_label(r['year'])}）")
    click.echo(
        f"{r['overlap']:.0%} of the draft's characters are found in other reports: "
        f"{r['shared']} of {r['sentences']} sentences shared, {r['boilerplate']} boilerplate, "
        f"{r['new']} new"
    )
    if r["sources"]:
        click.echo("sources:")
        for s in r["sources"][:10]:
            place = f"{s['township'] or '-'}（{s['county'] or '-'}）"
            when = s["date"] or year_label(s["year"])
            click.echo(
                f"  {s['share']:>4.0%}  {s['sentences']:>4} sentences  {place}  {when}  {s['id']}"
            )
    click.echo("parts (Art. 25):")
    for p in r["parts"]:
        if p["how"] == "heading":
            found = f"heading, passage {p['passages'][0]}"
        elif p["how"] == "content":
            found = "wording, passages " + ", ".join(map(str, p["passages"]))
        else:
            found = "MISSING"
        click.echo(f"  {'✓' if p['present'] else '✗'} {p['label']}: {found}")
    for p in r["passages"]:
        for s in p["sentences"]:
            if s["status"] not in _STATUS:
                continue
            text = s["text"] if len(s["text"]) <= 50 else s["text"][:50] + "…"
            line = f"#{p['passage']} [{_STATUS[s['status']]}] “{text}”"
            if s["matches"]:
                m = s["matches"][0]
                line += (
                    f" — {s['count']} reports, earliest {m['township'] or m['id']} #{m['passage']}"
                )
            click.echo(line)
    if not r["complete"]:
        click.echo("note: the time limit was reached; the sentences left were not compared")


@click.command()
@click.option("--township", multiple=True, help="Only reports of this township (repeatable).")
@click.option("--county", multiple=True, help="Only reports of this county (repeatable).")
@click.option("--year", multiple=True, help="Only this report year or range, e.g. 2021-2023.")
@click.option("--province", multiple=True, help="Only reports of this province (repeatable).")
@click.option(
    "--level",
    multiple=True,
    help="Only reports of this level: township, county, city, province, department.",
)
@click.option(
    "--kind", multiple=True, help="Only documents of this kind, e.g. annual_report (repeatable)."
)
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV (UTF-8 with BOM, for Excel) instead of a table.")  # fmt: skip
@json_option
@index_option
@handle_errors
def coverage(township, county, year, province, level, kind, as_csv, as_json, index_dir) -> None:
    """Which of the five parts of Art. 25 each township's report has.

    One row per report (year, township, county) with each part found by its
    heading (H), by its wording only (C) or missing (-), then the townships
    without a report in a year that others have.
    """
    if as_csv and as_json:
        raise QueryError("give --csv or --json, not both")
    filters = {
        k: list(v)
        for k, v in (
            ("township", township), ("county", county), ("year", year), ("province", province),
            ("level", level), ("kind", kind),
        )
        if v
    }  # fmt: skip
    with _engine(index_dir) as engine:
        table = Analytics(engine).coverage(filters)
    if as_json:
        emit_json(table)
    elif as_csv:
        click.echo(coverage_csv(table), nl=False)
    else:
        marks = {"heading": "H", "content": "C", None: "-"}
        click.echo("year  " + " ".join(p["short"] for p in table["parts"]) + "  township")
        for row in table["rows"]:
            cells = "  ".join(marks[c["how"]] for c in row["parts"])
            place = f"{row['township'] or '-'}（{row['county'] or '-'}）"
            click.echo(f"{row['year'] or '-':<5} {cells}  {place}  {row['id']}")
        for m in table["missing"]:
            click.echo(f"{m['year']:<5} no report: {m['township']}（{m['county'] or '-'}）")
        t = table["total"]
        click.echo(f"{t['reports']} reports, {t['complete']} with all five parts")


COMMANDS = (draft, coverage)
