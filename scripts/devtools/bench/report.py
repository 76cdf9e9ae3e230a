"""The results of a run as the table printed at its end."""

from __future__ import annotations


def _fmt(x: object) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.1f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _lat(d: dict) -> str:
    if "skipped" in d:
        return f"skipped ({d['skipped']})"
    p50, p95, top = (_fmt(d[k]) for k in ("p50_ms", "p95_ms", "max_ms"))
    return f"p50 {p50} ms  p95 {p95} ms  max {top} ms  (n={d['n']})"


def format_results(r: dict) -> str:
    """The results as the table printed at the end of a run."""
    m, c, ix, lat = r["machine"], r["corpus"], r["index"], r["latency"]
    made = " (reused)" if c["reused"] else f", generated in {c['generated_s']} s"
    lines = [
        "",
        f"machine      {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM; "
        f"Python {m['python']}, SQLite {m['sqlite']}; code {m['commit']}",
        f"load         {r['load_average']['start']} at start, {r['load_average']['end']} at end "
        "(1/5/15 min)",
        f"corpus       {c['reports']:,} reports {c['kinds']}, {c['chars']:,} chars, "
        f"{c['mb_on_disk']} MB{made}",
        *_index_lines(ix, r["fts5"]),
        *_peer_build_lines(r.get("peers", {})),
        f"fazhi cold   {_lat(lat['fazhi_in_process_cold'])}  in-process: matches, facets, "
        "20 snippets; caches emptied before each query",
        f"fazhi warm   {_lat(lat['fazhi_in_process'])}  every query asked once before",
        f"fazhi http   {_lat(lat['fazhi_http'])}{_ready(lat['fazhi_http'])}",
        *_server_memory_line(lat["fazhi_http"]),
        *_peer_latency_lines(r.get("peers", {}), lat),
        f"fts5         {_lat(lat['fts5'])}  count of reports, 20 snippets",
        f"grep -rlF    {_lat(lat['grep'])}",
        *_check_lines(r["cross_check"]),
        _add_one_line(r["add_one"]),
        "",
        _query_table(r["queries"], _peer_names(r.get("peers", {}))),
    ]
    if "profile" in r:
        lines += ["", r["profile"]]
    return "\n".join(lines)


def _index_lines(ix: dict, fts: dict) -> list[str]:
    opened = f"open         index opened and warmed up {ix['engine_open_ms']} ms"
    disk = (
        f"disk         index {ix['index_mb']} MB for {ix['text_mb']} MB of passage text "
        f"(×{ix['index_to_text']}); "
        + (
            "FTS5 skipped"
            if "skipped" in fts
            else f"FTS5 {fts['db_mb']} MB, built in {fts['build_s']} s"
        )
    )
    if ix.get("reused"):
        return [
            f"index        reused (not rebuilt): {ix['text_chars']:,} chars in "
            f"{ix['passages']:,} passages",
            disk,
            opened,
        ]
    return [
        f"index        {ix['wall_s']} s wall, {_fmt(ix['chars_per_s'])} chars/s over "
        f"{ix['text_chars']:,} chars in {ix['passages']:,} passages; {ix['failed']} failed",
        f"memory       peak RSS {ix['peak_rss_mb_largest_process']} MB (largest process), "
        f"{ix['peak_rss_mb_process_tree']} MB (process tree)",
        _copy_line(ix.get("copy_figures")),
        disk,
        opened,
    ]


def _copy_line(copy: dict | None) -> str:
    """The copy figures that `fazhi index` computes after a large run, timed apart."""
    if copy is None:
        return "copy figures not measured"
    if "failed" in copy:
        return f"copy figures failed: {copy['failed']}"
    return (
        f"copy figures {copy['wall_s']} s, peak RSS {copy['peak_rss_mb']} MB "
        "(after the build, as `fazhi index` adds them to a large run; not in the figures above)"
    )


def _peer_names(peers: dict) -> list[str]:
    """The names of the peers that ran (``peers``: the results' ``peers``)."""
    return [] if "skipped" in peers else list(peers)


def _peer_build_lines(peers: dict) -> list[str]:
    if "skipped" in peers:
        return [f"tantivy      skipped ({peers['skipped']})"]
    return [
        f"{name:<12} built in {p['build_s']} s from the extracted passages "
        f"({_fmt(p['chars_per_s'])} chars/s), {p['index_mb']} MB"
        for name, p in peers.items()
    ]


def _peer_latency_lines(peers: dict, lat: dict) -> list[str]:
    names = _peer_names(peers)
    lines = []
    for name in names:
        lines.append(f"{name:<12} cold {_lat(lat[name])}  count of reports, 20 snippets")
        lines.append(f"{'':<12} warm {_lat(lat[name + '_warm'])}")
    cold = lat["fazhi_in_process_cold"].get("p95_ms")
    for name in names:
        theirs = lat[name].get("p95_ms")
        if cold and theirs:
            lines.append(f"{'':<12} fazhi cold p95 / {name} cold p95 = {cold / theirs:.2f}")
    return lines


def _server_memory_line(http: dict) -> list[str]:
    mem = http.get("server_memory_mb")
    if not mem:
        return []
    return [
        f"serving      RSS {mem['rss']} MB after the HTTP searches: {mem['anonymous']} MB "
        f"anonymous, {mem['file']} MB mapped from files (the index's gram files, libraries)"
    ]


def _check_lines(x: dict) -> list[str]:
    lines = [
        f"cross-check  {x['queries']} queries; FTS5 answered {x['fts5_answered']}, agreed on "
        f"{x['fts5_agreed']}; grep answered {x['grep_answered']}, identical on "
        f"{x['grep_identical']}; unexplained disagreements: {len(x['unexplained'])}"
    ]
    for name, p in x.get("peers", {}).items():
        lines.append(f"             {name} answered {p['answered']}, agreed on {p['agreed']}")
    for reason, n in sorted(x["explained"].items()):
        lines.append(f"             explained: {reason} ({n})")
    for d in x["unexplained"][:20]:
        lines.append(
            f"             UNEXPLAINED {d['peer']} {d['query']} {d['file']}: {d['reason']}"
        )
    return lines


def _add_one_line(a: dict) -> str:
    return (
        f"add one      {a['wall_s']} s (exit {a['exit_code']}), reports {a['reports_before']} → "
        f"{a['reports_after']}, new report found: {a['new_report_found']}; during it "
        f"{a['searches_during']} searches, {len(a['search_errors'])} errors, "
        f"{_lat(a['search_latency_during'])}; removed again in {a['remove_wall_s']} s"
    )


def _query_table(rows: list[dict], peers: list[str]) -> str:
    cols = ("fazhi", "fts5", *peers, "grep", "fazhi_cold_ms", "fazhi_ms", "fts5_ms")
    cols += (*(f"{p}_cold_ms" for p in peers), "grep_ms")
    head = f"{'query':<32} {'kind':<17}" + "".join(f"{_short(c):>11}" for c in cols)
    out = [head, "-" * len(head)]
    for row in rows:
        q = row["query"] if len(row["query"]) <= 22 else row["query"][:21] + "…"
        cells = "".join(f"{_fmt(row[c]):>11}" for c in cols)
        out.append(f"{q:<{32 - _wide(q)}} {row['kind']:<17}{cells}")
    return "\n".join(out)


def _short(column: str) -> str:
    """A column's head short enough for its column (``tantivy-bigrams_cold_ms`` → ``tv-bi_cold``)."""
    return column.replace("tantivy", "tv").replace("-bigrams", "-bi").replace("_cold_ms", "_cold")


def _wide(s: str) -> int:
    """Columns taken beyond one per character (CJK characters are two wide)."""
    return sum(1 for ch in s if ord(ch) >= 0x2E80)


def _ready(http: dict) -> str:
    ms = http.get("analytics_ready_ms")
    return "" if ms is None else f"  (after the start-up builds: {ms / 1000:.1f} s)"
