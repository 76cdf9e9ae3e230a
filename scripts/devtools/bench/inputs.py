"""The inputs: the corpus (made by :mod:`devtools.corpus`, or reused) and its index.

The index is built by ``fazhi index`` in a child process, timed and measured;
:func:`indexed_reports` reads every report back as both peers see it.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer import Engine

from ..corpus import MANIFEST, generate
from .children import ChildRun, fazhi_command, run_child
from .measure import dir_bytes, timed


def ensure_corpus(
    corpus_dir: Path,
    n: int,
    *,
    seed: int,
    extra_text: Path | None,
    pdf_share: float,
    docx_share: float,
) -> tuple[dict, float | None]:
    """The corpus's manifest, generating it unless one with the same parameters exists.

    Returns (manifest, seconds spent generating or None when reused).
    """
    kwargs = {
        "seed": seed,
        "extra_text": extra_text,
        "pdf_share": pdf_share,
        "docx_share": docx_share,
    }
    wanted = {"n": n, **kwargs, "extra_text": str(extra_text.resolve()) if extra_text else None}
    manifest_path = corpus_dir / MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("params") == wanted:
            return manifest, None
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    manifest, ms = timed(lambda: generate(n, corpus_dir, **kwargs))
    return manifest, ms / 1000


@dataclass
class IndexedReport:
    """One indexed report as both peers see it: metadata and passage texts."""

    rid: str
    file: str  # path relative to the corpus directory
    year: int | None
    province: str | None
    passages: list[tuple[str, str]]  # (section, text)


def indexed_reports(engine: Engine, corpus_dir: Path) -> list[IndexedReport]:
    """Every report of the index with its passages, as ``Engine.report`` gives them."""
    out = []
    root = corpus_dir.resolve()
    for meta in engine.reports():
        full = engine.report(meta["id"])
        path = Path(full.get("path") or full["source"]).resolve()
        file = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        passages = [(p["section"], p["text"]) for p in full["passages"]]
        out.append(
            IndexedReport(meta["id"], file, meta.get("year"), meta.get("province"), passages)
        )
    return out


def build_index(corpus_dir: Path, index_dir: Path) -> tuple[ChildRun, dict]:
    """``fazhi index CORPUS --index DIR --rebuild --json`` in a child process, with the
    copy figures left out (:func:`keep_copy_figures` times them on their own)."""
    run = run_child(
        [
            *fazhi_command(),
            "index",
            str(corpus_dir.resolve()),
            "--index",
            str(index_dir),
            "--rebuild",
            "--copy-figures",
            "never",
            "--json",
        ]
    )
    try:
        summary = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        summary = {}
    if not summary.get("total_reports"):
        raise RuntimeError(
            f"fazhi index failed (exit {run.returncode}): {run.stderr.strip()[-500:]}"
        )
    return run, summary


def keep_copy_figures(index_dir: Path) -> dict:
    """What ``fazhi index`` adds to a large run by default: the copy figures of every
    report and the practice catalogue, computed by its child process and kept beside the
    index; wall time and peak."""
    cmd = [sys.executable, "-m", "indexer.analytics.copyjob", str(index_dir), "--catalogue"]
    run = run_child(cmd)
    if run.returncode != 0:
        return {"failed": f"exit {run.returncode}: {run.stderr.strip()[-300:]}"}
    return {"wall_s": run.wall_s, "peak_rss_mb": run.max_rss_mb}


def index_stats(
    run: ChildRun | None, summary: dict, reports: list[IndexedReport], index_dir: Path
) -> dict:
    """Size figures of the index; build figures too when ``run`` built it (None: reused)."""
    chars = sum(len(t) for r in reports for _, t in r.passages)
    text_bytes = sum(len(t.encode("utf-8")) for r in reports for _, t in r.passages)
    index_bytes = dir_bytes(index_dir)
    built = {}
    if run is not None:
        built = {
            "wall_s": run.wall_s,
            "failed": len(summary.get("failed", [])),
            "chars_per_s": round(chars / run.wall_s) if run.wall_s else None,
            "peak_rss_mb_largest_process": run.max_rss_mb,
            "peak_rss_mb_process_tree": run.tree_rss_mb,
        }
    return {
        **built,
        "reused": run is None,
        "reports": summary.get("total_reports", len(reports)),
        "passages": sum(len(r.passages) for r in reports),
        "text_chars": chars,
        "index_mb": round(index_bytes / 2**20, 1),
        "text_mb": round(text_bytes / 2**20, 1),
        "index_to_text": round(index_bytes / text_bytes, 2) if text_bytes else None,
    }


def index_step(corpus_dir: Path, index_dir: Path, reuse: bool, log: Callable[[str], None]):
    """Build (or reuse) the index; return the engine, the indexed reports and the index figures."""
    build = None
    if reuse and (index_dir / "fazhi.json").exists():
        log("index: reused")
    else:
        log("index: building with `fazhi index` …")
        build = build_index(corpus_dir, index_dir)
        log("index: the copy figures …")
        copy_figures = keep_copy_figures(index_dir)
    engine = Engine(index_dir)
    # what a server does before its first request: the index, jieba, the compiled loops
    _, open_ms = timed(lambda: (engine.warm_up(), engine.reports()))
    reports = indexed_reports(engine, corpus_dir)
    stats = index_stats(*(build or (None, {})), reports, index_dir)
    stats["engine_open_ms"] = round(open_ms, 1)
    if build is not None:
        stats["copy_figures"] = copy_figures
    return engine, reports, stats


def corpus_json(corpus_dir: Path, manifest: dict, gen_s: float | None) -> dict:
    kinds: dict[str, int] = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    return {
        "reports": len(manifest["files"]),
        "kinds": kinds,
        "chars": sum(f["chars"] for f in manifest["files"]),
        "mb_on_disk": round(dir_bytes(corpus_dir) / 2**20, 1),
        "generated_s": None if gen_s is None else round(gen_s, 2),
        "reused": gen_s is None,
    }
