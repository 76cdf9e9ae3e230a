"""Metadata accuracy on real report pages: are the fields fazhi reads the true ones?

The truth table (``docs/metadata/truth.tsv``) names each page by its address
and gives the true township, county, city, province, report year, issue date,
document number, level and kind, read by a person. The pages themselves are
third-party text and are not in the project: save each page's text (as a
browser shows it, or the beginning of it) as ``<id>.txt`` in a folder of your
own, then run::

    .venv/bin/python scripts/measure_metadata.py PAGES_DIR [--truth FILE] [--json] [--misses]

Every file is read by fazhi's own pipeline (:func:`indexer.ingest.load_report`),
as ``fazhi index`` reads a pasted page. A field counts as right when it equals
the truth exactly (null where the truth is null counts as right too). Fields
the code under measurement does not produce (``level`` and ``kind`` before they
existed) count as null.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

FIELDS = (
    "township",
    "county",
    "city",
    "province",
    "year",
    "date",
    "doc_number",
    "level",
    "kind",
)
DEFAULT_TRUTH = Path(__file__).resolve().parents[2] / "docs" / "metadata" / "truth.tsv"


@dataclass
class Page:
    id: str
    url: str
    truth: dict


@dataclass
class Result:
    pages: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    #: (page id, field, true value, value read)
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # pages without a local copy

    def table(self) -> str:
        lines = ["| field | right | of | share |", "|---|---:|---:|---:|"]
        total = 0
        for name in FIELDS:
            n = self.right[name]
            total += n
            lines.append(f"| {name} | {n} | {self.pages} | {_pct(n, self.pages)} |")
        cells = self.pages * len(FIELDS)
        lines.append(f"| **all fields** | {total} | {cells} | {_pct(total, cells)} |")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "pages": self.pages,
            "right": self.right,
            "misses": [
                {"page": p, "field": f, "truth": t, "read": r} for p, f, t, r in self.misses
            ],
            "missing": self.missing,
        }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f} %" if d else "–"


def read_truth(path: Path = DEFAULT_TRUTH) -> list[Page]:
    pages = []
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        row = dict(zip(header, cells, strict=True))
        truth = {}
        for name in FIELDS:
            value = row[name]
            truth[name] = None if value == "-" else int(value) if name == "year" else value
        pages.append(Page(row["id"], row["url"], truth))
    return pages


def read_fields(path: Path) -> dict:
    """The fields fazhi reads from one saved page."""
    from indexer.ingest import load_report

    report = load_report(path)
    out = {}
    for name in FIELDS:
        value = getattr(report, name, None)
        if name == "kind" and value in ("pdf", "docx", "html", "text"):
            value = None  # before the report kind existed, ``kind`` was the file format
        out[name] = value
    return out


def measure(pages_dir: Path, truth: list[Page]) -> Result:
    result = Result()
    for page in truth:
        path = next(
            (p for p in (pages_dir / f"{page.id}{s}" for s in (".txt", ".html")) if p.exists()),
            None,
        )
        if path is None:
            result.missing.append(page.id)
            continue
        result.pages += 1
        read = read_fields(path)
        for name in FIELDS:
            if read[name] == page.truth[name]:
                result.right[name] += 1
            else:
                result.misses.append((page.id, name, page.truth[name], read[name]))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pages_dir", type=Path, help="folder with <id>.txt (or .html) per page")
    ap.add_argument("--truth", type=Path, default=DEFAULT_TRUTH, help="truth table (TSV)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--misses", action="store_true", help="list every wrong field")
    args = ap.parse_args(argv)
    result = measure(args.pages_dir, read_truth(args.truth))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    print(result.table())
    if result.missing:
        print(f"\nno local copy of {len(result.missing)} pages: {', '.join(result.missing)}")
    if args.misses:
        print()
        for page, name, true, read in result.misses:
            print(f"{page}\t{name}\ttruth={true}\tread={read}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
