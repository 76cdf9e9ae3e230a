"""The commands that index, search and serve: inspect, index, search, reports, check, serve."""

from __future__ import annotations

import html
import re
import sys
import time
from pathlib import Path

import click

from .. import index as idx
from ..errors import ExtractionError, QueryError
from ..model import LISTING_FIELDS, SECTION_LABELS
from ..search.query import FACET_LIMIT, MAX_FACET_LIMIT
from .options import (
    EXIT_ERROR,
    EXIT_USAGE,
    echo,
    emit_json,
    filter_options,
    handle_errors,
    index_dir_of,
    index_option,
    json_option,
    say,
)

# ---------------------------------------------------------------- inspect


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@handle_errors
def inspect(file: Path, as_json: bool) -> None:
    """Show the metadata, outline and passages fazhi reads from FILE."""
    from ..ingest import load_report, sandbox

    if file.is_dir():
        raise ExtractionError(
            file,
            "is a directory",
            hint="give the path of one report file; `fazhi index DIR` indexes a directory",
        )
    # read in a child process under the same budget as `fazhi index` gives a file
    report = sandbox.checked_call(file, load_report, file)
    if as_json:
        emit_json(report.to_dict())
        return
    meta = report.metadata()
    width = max(len(k) for k in meta)
    for key, value in meta.items():
        say(f"{key:<{width}}  {value if value is not None else '-'}")
    echo("")
    echo("sections:")
    for s in report.sections:
        indent = "  " * (s.level - 1)
        echo(f"  {indent}[{s.key}] {s.heading or '(preamble)'}")
    echo("")
    echo(f"passages: {len(report.passages)}")
    for p in report.passages:
        text = p.text if len(p.text) <= 60 else p.text[:60] + "…"
        echo(f"  {p.id:>3} [{p.section}] {text}")


# ---------------------------------------------------------------- index

#: when `fazhi index` computes and keeps the copy figures
COPY_FIGURES = ("auto", "always", "never")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Build a new index from scratch.")
@click.option("--prune", is_flag=True, help="Drop reports whose files are gone.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=idx.LOCK_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for another indexer to finish.")
@click.option("--copy-figures", type=click.Choice(COPY_FIGURES), default="auto",
              show_default=True,
              help="Compute every report's copy figures (its closest earlier report) and "
                   "the practice catalogue after indexing and keep them beside the index, "
                   "so that servers start with them. auto: when the index holds 5,000 reports or more and this run "
                   "changed a tenth of them or more (a first build, a rebuild).")  # fmt: skip
@json_option
@handle_errors
def index(paths, index_dir, rebuild, prune, lock_timeout, copy_figures, as_json) -> None:
    """Index report files under PATHS (default: corpus/).

    Incremental: unchanged files are not read again, changed files replaced.
    Files that fail are listed with the reason; every other file is still
    indexed. Files in the folders that are not reports (unsupported types,
    Office/WPS lock files, hidden files, FIFOs and devices) are listed as
    skipped with the reason. Exits non-zero if any file failed. One indexer at a time: another one
    waits up to --lock-timeout seconds, then exits 1 naming the lock.
    After a large run the copy figures are computed and kept (--copy-figures).
    """
    from ..ingest import discover, index_paths

    index_dir = index_dir_of(index_dir)

    def waiting() -> None:
        say(
            f"waiting for another indexer to finish (lock {index_dir / idx.LOCK_NAME}, "
            f"up to {lock_timeout:g}s)",
            err=True,
        )

    paths = list(paths) or [Path("corpus")]
    progress = None
    bar = None
    if sys.stderr.isatty() and not as_json:
        files, _ = discover(paths)
        bar = click.progressbar(length=len(files), label="indexing", file=sys.stderr)
        bar.__enter__()

        def progress(_path: str) -> None:
            bar.update(1)

    try:
        summary = index_paths(
            paths,
            index_dir,
            rebuild=rebuild,
            prune=prune,
            progress=progress,
            lock_timeout=lock_timeout,
            on_wait=waiting,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    copies = _keep_copies(index_dir, summary, copy_figures, as_json)
    if as_json:
        emit_json({**summary.to_json(), "copy_figures": copies})
    else:
        for f, reason in summary.failed:
            say(f"failed: {f}: {reason}", err=True)
        for f, reason in summary.skipped:
            say(f"skipped: {f}: {reason}", err=True)
        for f, same in summary.duplicates:
            say(f"duplicate: {f} has the same content as {same}", err=True)
        line = (
            f"{len(summary.indexed)} indexed, {len(summary.unchanged)} unchanged, "
            f"{len(summary.failed)} failed"
        )
        if summary.duplicates:
            line += f", {len(summary.duplicates)} duplicate"
        if summary.skipped:
            line += f", {len(summary.skipped)} skipped"
        if prune:
            line += f", {len(summary.pruned)} pruned"
        say(f"{line} ({summary.total_reports} reports in {index_dir})")
        if copies is not None and copies["kept"]:
            say(f"copy figures kept beside the index ({copies['seconds']:.1f} s)")
        elif copies is not None:
            say(f"copy figures not kept ({copies['error']}): servers compute them", err=True)
    if summary.failed:
        sys.exit(EXIT_ERROR)


def _keep_copies(index_dir: Path, summary, mode: str, quiet: bool) -> dict | None:
    """``{kept, seconds, error}`` of the copy figures computed for the index a run left
    (``mode`` one of :data:`COPY_FIGURES`); None when they were not computed."""
    from ..analytics import copystore

    changed = len(summary.indexed) + len(summary.pruned)
    if mode == "never" or not summary.total_reports:
        return None
    if mode == "auto" and not copystore.worth_keeping(summary.total_reports, changed):
        return None
    if not quiet and sys.stderr.isatty():
        say(f"computing the copy figures of {summary.total_reports} reports …", err=True)
    t0 = time.perf_counter()
    failed = copystore.keep_in_child(index_dir)
    seconds = round(time.perf_counter() - t0, 1)
    return {"kept": failed is None, "seconds": seconds, "error": failed}


# ---------------------------------------------------------------- search


def _mark_to_text(snippet: str, color: bool) -> str:
    on, off = ("\x1b[1;33m", "\x1b[0m") if color else ("【", "】")
    return html.unescape(re.sub(r"<mark>(.*?)</mark>", lambda m: on + m.group(1) + off, snippet))


def _print_result(result: dict) -> None:
    color = sys.stdout.isatty()
    total = result["total"]
    echo(
        f"{total['reports']} reports, {total['passages']} passages "
        f"for {result['query']!r} ({result['mode']}, {result['took_ms']:.0f} ms)"
    )
    for r in result["reports"]:
        where = " ".join(x for x in (r["province"], r["city"], r["county"], r["township"]) if x)
        echo("")
        say(f"{r['title'] or r['source']}")
        say(f"  {where or '-'} | {r['year'] or '-'}年度 | {r['date'] or '-'} | {r['source']}")
        for p in r["passages"]:
            label = SECTION_LABELS.get(p["section"], p["section"])
            echo(f"  #{p['id']} [{label}] {_mark_to_text(p['snippet'], color)}")
    facets = result["facets"]
    if result["reports"]:
        echo("")
        towns = ", ".join(
            f"{e['value']}({e['county'] or '?'}) {e['count']}" for e in facets["township"]
        )
        years = ", ".join(f"{e['value']} {e['count']}" for e in facets["year"])
        more = result.get("facets_omitted", {}).get("township")
        if more:
            towns += f" … and {more} more (--facet-limit)"
        echo(f"townships: {towns}")
        echo(f"years: {years}")


@click.command()
@click.argument("query", required=False)
@filter_options
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="Order of reports.")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True,
              help="Reports to show.")  # fmt: skip
@click.option("--page", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--facet-limit", type=click.IntRange(1, MAX_FACET_LIMIT), default=FACET_LIMIT,
              show_default=True,
              help="Values listed per township, county and province facet (most reports "
                   "first; the JSON counts the rest in facets_omitted).")  # fmt: skip
@click.option("--batch", type=click.File("rb"), default=None,
              help="Read one query per line from FILE ('-' for stdin), UTF-8; one JSON line "
                   "each.")  # fmt: skip
@json_option
@index_option
@handle_errors
def search(query, filters, mode, sort, limit, page, facet_limit, batch, as_json, index_dir):
    """Search the index for QUERY.

    \b
    Syntax:  一支队伍管执法          phrase, found verbatim (exact mode)
             依法行政 枫桥经验        both in the same passage
             A OR B,  -A / NOT A,  ( … ),  "quoted phrase"
             township:美湖镇  county:德化县  province:福建省
             year:2022  year:2021-2023  section:shortcomings (or 存在的不足和原因)
    """
    from ..search import Engine

    shape = {"filters": filters, "mode": mode, "per_page": limit, "page": page, "sort": sort,
             "facet_limit": facet_limit}  # fmt: skip
    with Engine(index_dir_of(index_dir)) as engine:
        _run_search(engine, query, shape, batch, as_json)


def _run_search(engine, query, shape: dict, batch, as_json) -> None:
    if batch is not None:
        if query:
            raise QueryError("give either QUERY or --batch FILE, not both")
        bad = 0
        for n, line in enumerate(batch, 1):
            q = line.removesuffix(b"\n").decode("utf-8", "replace")  # shown if it is not UTF-8
            try:
                q = _batch_line(n, line)
                res = engine.search(q, **shape)
            except QueryError as exc:
                bad += 1
                res = {"query": q, "error": exc.user_message()}
            emit_json(res)
        if bad:
            sys.exit(EXIT_USAGE)
        return
    if query is None:
        raise QueryError("empty query: give QUERY or --batch FILE")
    res = engine.search(query, **shape)
    if as_json:
        emit_json(res)
    else:
        _print_result(res)


def _batch_line(n: int, raw: bytes) -> str:
    """Line ``n`` of a ``--batch`` file as a query: each line is decoded on its own, so one
    that is not UTF-8 fails alone (QueryError)."""
    raw = raw.removesuffix(b"\n").removesuffix(b"\r")
    if n == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise QueryError(
            f"line {n} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})",
            hint="save the file as UTF-8",
        ) from None


# ---------------------------------------------------------------- reports


@click.command()
@json_option
@index_option
@handle_errors
def reports(as_json, index_dir) -> None:
    """List every indexed report with its metadata, sections and copy figures.

    ``copy``: the share of the report's sentences that its closest other
    report holds, which report that is, and whether it was issued earlier
    and holds at least half (``copied``).
    """
    from ..analytics import Analytics
    from ..search import Engine

    items = idx.list_reports(index_dir_of(index_dir))
    rows = [{k: m.get(k) for k in LISTING_FIELDS} for m in items]
    with Engine(index_dir_of(index_dir)) as engine:
        copies = Analytics(engine).copies()
    for m in rows:
        m["copy"] = copies.get(m["id"])
    if as_json:
        emit_json(rows)
        return
    for m in rows:
        where = " ".join(x for x in (m["province"], m["city"], m["county"], m["township"]) if x)
        keys = sorted({s["key"] for s in m["sections"]})
        echo(f"{m['id']}  {m['year'] or '-'}  {where or '-'}  {m['title'] or '-'}")
        say(f"    {m['source']}  sections: {', '.join(keys)}")
        copy = m["copy"] or {}
        if copy.get("copied"):
            src = copy["source"]
            say(
                f"    copy: {copy['share']:.0%} of its sentences are in the earlier report of "
                f"{src['township'] or src['title']} ({src['year'] or '-'}, {src['id']})"
            )
    echo(f"{len(rows)} reports")


# ---------------------------------------------------------------- check


@click.command()
@index_option
@click.option("--corpus", "corpus", multiple=True, type=click.Path(path_type=Path),
              help="Report files or directories the index should hold (repeatable; "
                   "default: corpus/).")  # fmt: skip
@json_option
@handle_errors
def check(index_dir, corpus, as_json) -> None:
    """Verify the index against the corpus and say how to repair it.

    Reads every stored field and posting of the index, checks that every file
    of the corpus is indexed with its current content and that no report's
    file is gone. One line per problem, then a summary with the command that
    repairs them. Exits 0 when healthy, 1 otherwise.
    """
    from ..ingest.check import check_index

    result = check_index(
        index_dir_of(index_dir),
        list(corpus) or [Path("corpus")],
        index_option=index_dir is not None,
    )
    if as_json:
        emit_json(result.to_json())
    else:
        for problem in result.problems:
            say(f"problem: {problem.message}")
        for note in result.notes:
            say(f"note: {note}")
        say(result.summary())
    if not result.ok:
        sys.exit(EXIT_ERROR)


# ---------------------------------------------------------------- serve


def _base_url(_ctx, _param, value: str | None) -> str | None:
    from webui.urls import check_base_url

    try:
        return check_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads of the WSGI server (per process).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Server processes sharing the port (one per core uses every core; "
                   "each holds its own view of the index). A worker that dies is "
                   "replaced.")  # fmt: skip
@click.option("--base-url", metavar="URL", envvar="FAZHI_BASE_URL", callback=_base_url,
              help="Public URL of the site (e.g. https://fazhi.example.gov.cn), from which "
                   "permalinks in citations are built; default: $FAZHI_BASE_URL. Never taken "
                   "from the request's Host header.")  # fmt: skip
@click.option("--connection-limit", type=click.IntRange(16, 100_000), default=1000,
              show_default=True, metavar="N",
              help="Connections each server process holds at most; more wait to be "
                   "accepted.")  # fmt: skip
@click.option("--client-timeout", type=click.FloatRange(1, 3600), default=10.0,
              show_default=True, metavar="SECONDS",
              help="A request must arrive whole within this time of its first byte (else "
                   "408), and an idle connection is closed after it: slow clients cannot "
                   "hold connections.")  # fmt: skip
@handle_errors
def serve(
    index_dir, host, port, threads, workers, base_url, connection_limit, client_timeout
) -> None:
    """Serve the web UI and JSON API (waitress, read-only)."""
    from webui import serving

    index_dir = index_dir_of(index_dir)
    idx.check_readable(index_dir)  # fail now, with the reason, rather than on the first request
    options = serving.Options(
        threads=threads,
        config={"BASE_URL": base_url} if base_url else {},
        connection_limit=connection_limit,
        client_timeout=client_timeout,
    )
    try:
        serving.serve(index_dir, host, port, workers=workers, echo=click.echo, options=options)
    except serving.ServeError as exc:
        say(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


COMMANDS = (inspect, index, search, reports, check, serve)
