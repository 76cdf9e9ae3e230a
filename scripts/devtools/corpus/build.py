"""Building a corpus: N reports written as text, PDF or Word files, and their manifest.

The output depends only on the arguments: the same arguments give
byte-identical files.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

from .compose import Block, Truth, compose
from .places import load_counties, place_names, plan_reports, township_bases
from .pool import load_extra_sentences, load_seed_pool
from .render import Layout, plain_text, render_txt, write_docx, write_pdf

MANIFEST = "manifest.json"


def _kinds(n: int, pdf_share: float, docx_share: float, seed: int) -> list[str]:
    rng = random.Random(f"{seed}:kinds")
    order = list(range(n))
    rng.shuffle(order)
    n_pdf = min(n, round(n * pdf_share))
    n_docx = min(n - n_pdf, round(n * docx_share))
    kinds = ["txt"] * n
    for i in order[:n_pdf]:
        kinds[i] = "pdf"
    for i in order[n_pdf : n_pdf + n_docx]:
        kinds[i] = "docx"
    return kinds


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be between 0 and 1 (got {value})")


def iter_reports(
    n: int, *, seed: int = 0, extra_text: Path | None = None, only: Iterable[int] | None = None
) -> Iterator[tuple[int, list[Block], Truth]]:
    """Index, blocks and ground truth of reports 0 … n-1 (or of those in ``only``)."""
    names = place_names()
    plan = plan_reports(n, load_counties(), township_bases(names), seed)
    pool = load_seed_pool()
    extra = load_extra_sentences(extra_text, seed, names) if extra_text else []
    for i in sorted(set(only)) if only is not None else range(n):
        yield (i, *compose(i, *plan[i], pool, extra, seed))


def paragraphs_of(params: dict, indices: Iterable[int]) -> dict[int, list[str]]:
    """The paragraphs (as written, before any layout) of some reports of a generated corpus.

    ``params`` is the ``params`` entry of its manifest; the reports are composed
    again rather than read back, so this is the ground truth of their text.
    """
    extra = Path(params["extra_text"]) if params.get("extra_text") else None
    reports = iter_reports(params["n"], seed=params["seed"], extra_text=extra, only=indices)
    return {
        i: [b.text.replace("**", "") for b in blocks if b.kind == "p"] for i, blocks, _ in reports
    }


def generate(
    n: int,
    out_dir: str | Path,
    *,
    seed: int = 0,
    extra_text: str | Path | None = None,
    pdf_share: float = 0.02,
    docx_share: float = 0.03,
) -> dict:
    """Write ``n`` reports and ``manifest.json`` into ``out_dir``; return the manifest."""
    _check_share("pdf share", pdf_share)
    _check_share("docx share", docx_share)
    if n < 0:
        raise ValueError("N must not be negative")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extra = Path(extra_text) if extra_text else None
    if extra is not None and not extra.is_dir():
        raise ValueError(f"--extra-text {extra} is not a directory")
    kinds = _kinds(n, pdf_share, docx_share, seed)
    width = max(6, len(str(max(n - 1, 0))))
    files = []
    for i, blocks, truth in iter_reports(n, seed=seed, extra_text=extra):
        truth.kind = kinds[i]
        truth.file = f"{i:0{width}d}.{kinds[i]}"
        truth.chars = len(plain_text(blocks))
        path = out / truth.file
        if kinds[i] == "pdf":
            write_pdf(blocks, path)
        elif kinds[i] == "docx":
            write_docx(blocks, path)
        else:
            rng = random.Random(f"{seed}:layout:{i}")
            path.write_bytes(render_txt(blocks, Layout.pick(rng), rng))
        files.append(asdict(truth))
    manifest = {
        "generator": "scripts/make_corpus.py",
        "params": {
            "n": n,
            "seed": seed,
            "extra_text": str(extra.resolve()) if extra else None,
            "pdf_share": pdf_share,
            "docx_share": docx_share,
        },
        "files": files,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (out / MANIFEST).write_text(text, encoding="utf-8")
    return manifest
