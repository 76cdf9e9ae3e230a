"""The command line of the corpus generator (``scripts/make_corpus.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import generate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="make_corpus.py",
        description="Write N synthetic township reports on 法治政府建设 (.txt, plus a share "
        "of .pdf and .docx) and OUT_DIR/manifest.json with each file's ground truth "
        "(township, county, city, province, report year, issue date, title, parts). "
        "The same arguments always give byte-identical files.",
    )
    p.add_argument("n", metavar="N", type=int, help="number of reports")
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="directory to write into")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--extra-text",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory of .md/.txt files whose sentences are mixed into the reports for a "
        "wider vocabulary, e.g. a collection of statutes (default: none)",
    )
    p.add_argument(
        "--pdf-share",
        type=float,
        default=0.02,
        metavar="F",
        help="share of reports written as PDF (default: 0.02)",
    )
    p.add_argument(
        "--docx-share",
        type=float,
        default=0.03,
        metavar="F",
        help="share of reports written as .docx (default: 0.03)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        manifest = generate(
            args.n,
            args.out_dir,
            seed=args.seed,
            extra_text=args.extra_text,
            pdf_share=args.pdf_share,
            docx_share=args.docx_share,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kinds: dict[str, int] = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
    print(f"{len(manifest['files'])} reports ({summary or 'none'}) in {args.out_dir}")
    return 0
