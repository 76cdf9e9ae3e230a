"""The analytics commands of the ``fazhi`` CLI: matrix, practices, precedents.

They share the output options, error handling and index option of
:mod:`indexer.cli.options`.
"""

from __future__ import annotations

import unicodedata

import click

from ..analytics import MAX_LISTED, SORT_KEYS, Analytics, matrix_csv, year_label
from ..errors import QueryError, UnknownReport
from .options import (
    emit_json,
    filter_options,
    handle_errors,
    index_dir_of,
    index_option,
    json_option,
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _engine(index_dir):
    from ..search import Engine

    return Engine(index_dir_of(index_dir))


# ---------------------------------------------------------------- matrix


@click.command()
@click.argument("query")
@filter_options
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV (UTF-8 with BOM, for Excel) instead of a table.")  # fmt: skip
@json_option
@index_option
@handle_errors
def matrix(query, filters, mode, as_csv, as_json, index_dir) -> None:
    """Township × year counts of the passages matching QUERY, with coverage and trend.

    Rows are townships (with county and province), columns report years,
    cells the number of matching passages. The coverage line gives, per year,
    the townships that mention it out of the townships indexed; the trend, the
    share of that year's reports that match.
    """
    if as_csv and as_json:
        raise QueryError("give --csv or --json, not both")
    with _engine(index_dir) as engine:
        m = Analytics(engine).matrix(query, {k: v for k, v in filters.items() if v}, mode)
    if as_json:
        emit_json(m)
    elif as_csv:
        click.echo(matrix_csv(m), nl=False)
    else:
        _print_matrix(m)


def _print_matrix(m: dict) -> None:
    total = m["total"]
    click.echo(
        f"{m['query']!r}: {total['townships']} townships, {total['reports']} reports, "
        f"{total['passages']} passages ({m['mode']})"
    )
    if not m["rows"]:
        return
    years = m["years"]
    heads = [str(y) if y is not None else "年度不详" for y in years]
    names = [
        f"{r['township'] or '未注明'}（{r['county'] or '?'}，{r['province'] or '?'}）"
        for r in m["rows"]
    ]
    first = max(_width(n) for n in [*names, "乡镇（街道）", "覆盖 提及/已收录"])
    widths = [max(6, _width(h)) for h in heads]
    click.echo("")
    click.echo(
        "  ".join(
            [
                _ljust("乡镇（街道）", first),
                *(_rjust(h, w) for h, w in zip(heads, widths, strict=True)),
                "合计",
            ]
        )
    )
    for name, r in zip(names, m["rows"], strict=True):
        cells = [_rjust(str(n) if n else "·", w) for n, w in zip(r["counts"], widths, strict=True)]
        click.echo("  ".join([_ljust(name, first), *cells, _rjust(str(r["passages"]), 4)]))
    cov = {c["year"]: c for c in m["coverage"]}
    tr = {t["year"]: t for t in m["trend"]}
    line = [
        _rjust(f"{cov[y]['townships']}/{cov[y]['indexed']}" if y in cov else "", w)
        for y, w in zip(years, widths, strict=True)
    ]
    click.echo("  ".join([_ljust("覆盖 提及/已收录", first), *line]))
    line = [
        _rjust(f"{tr[y]['share']:.0%}" if y in tr else "", w)
        for y, w in zip(years, widths, strict=True)
    ]
    click.echo("  ".join([_ljust("报告占比", first), *line]))


# ---------------------------------------------------------------- practices


@click.command()
@click.option("--sort", type=click.Choice(SORT_KEYS), default="townships", show_default=True,
              help="Order: most townships or reports first, earliest first_year, or name.")  # fmt: skip
@json_option
@index_option
@handle_errors
def practices(sort, as_json, index_dir) -> None:
    """The catalogue of named practices: townships, reports and first year of each.

    Practices come from the curated lexicon (with its spelling variants) and
    from phrases quoted “…” in at least two reports; counts are exact searches
    for all variants.
    """
    with _engine(index_dir) as engine:
        entries = Analytics(engine).practices(sort)
    if as_json:
        emit_json(entries)
        return
    click.echo("  ".join([_rjust("乡镇", 6), _rjust("报告", 6), _rjust("最早", 6), "做法"]))
    for e in entries:
        others = [v for v in e["variants"] if v != e["name"]]
        extra = f"  （{' / '.join(others)}）" if others else ""
        first = str(e["first_year"] or "-")
        click.echo(f"{e['townships']:>6}  {e['reports']:>6}  {first:>6}  {e['name']}{extra}")
    click.echo(f"{len(entries)} practices")


# ---------------------------------------------------------------- precedents


@click.command()
@click.argument("report_id")
@click.option("--limit", type=click.IntRange(1, 1000), default=MAX_LISTED, show_default=True,
              help="Other reports listed per sentence (the count covers all).")  # fmt: skip
@json_option
@index_option
@handle_errors
def precedents(report_id, limit, as_json, index_dir) -> None:
    """Sentences of REPORT_ID found in other reports, the earliest marked as precedent.

    Same wording after normalization (width, punctuation, the report's own
    place names and numbers ignored) or near-identical (≥ 80 % of character
    3-grams shared). Wording in ≥ 30 % of all reports is boilerplate (套话).
    Report ids are listed by `fazhi reports`.
    """
    with _engine(index_dir) as engine:
        data = Analytics(engine).precedents(report_id, limit)
    if data is None:
        raise UnknownReport(
            f"no report with id '{report_id[:64]}'", hint="list the ids with `fazhi reports`"
        )
    if as_json:
        emit_json(data)
        return
    where = "，".join(x for x in (data["township"], data["county"]) if x)
    click.echo(
        f"{data['title'] or data['id']}（{where or '-'}，{data['date'] or year_label(data['year'])}）"
    )
    for p in data["passages"]:
        for s in p["sentences"]:
            text = s["text"] if len(s["text"]) <= 60 else s["text"][:60] + "…"
            if s["boilerplate"]:
                click.echo(
                    f"#{p['passage']} [套话] “{text}” — in {s['count']} other reports "
                    f"({s['share']:.0%} of all)"
                )
                continue
            note = "; this report is the earliest" if s["precedent"] == "self" else ""
            click.echo(f"#{p['passage']} “{text}” — in {s['count']} other reports{note}")
            for mt in s["matches"]:
                star = "★" if mt["precedent"] else " "
                when = mt["date"] or year_label(mt["year"])
                kind = "same" if mt["kind"] == "same" else f"near {mt['similarity']:.0%}"
                place = f"{mt['township'] or '-'}（{mt['county'] or '-'}）"
                tail = "  precedent" if mt["precedent"] else ""
                click.echo(
                    f"   {star} {when:<10}  {place}  #{mt['passage']}  {kind}  {mt['id']}{tail}"
                )
    t = data["total"]
    click.echo(
        f"{t['sentences']} sentences share wording with {t['reports']} other reports; "
        f"{t['boilerplate']} boilerplate"
    )


COMMANDS = (matrix, practices, precedents)
