"""Phrase recall on real files: does fazhi find what an independent extractor reads?

:func:`measure` indexes a set of files (PDF, ``.docx``, ``.txt``/``.md``) into
a temporary index with fazhi, reads the same files with another extractor,
and searches phrases drawn from that reading with fazhi's exact search:

* **within** — random 8-character phrases inside one printed line (not a
  heading line), within one of its runs (a wide gap separates table cells);
* **across** — 4 characters either side of a wrapped line's end: the line does
  not end a sentence and is about as long as the page's full lines, and the
  next line does not start a numbered unit;
* **heading** — the text of lines that look like headings (short, numbered or
  standing alone, no sentence punctuation): reported apart, since passages
  are what fazhi indexes and headings are made searchable separately.

A phrase counts as found when the exact search (quoted) matches a passage of
that file's report. The reference readings are pypdfium2 (PDFium) for PDFs,
python-docx (paragraphs and table cells) for ``.docx`` and the lines of the
decoded file for text: tools used here to measure, not to extract.
Page furniture (page numbers, lines repeated on most pages) is not sampled,
nor are phrases holding quotes or fewer than six letters.
"""

from __future__ import annotations

import random
import re
import tempfile
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES = ("within", "across", "heading")
SUFFIXES = (".pdf", ".docx", ".txt", ".md")
PHRASE = 8
_FINAL = set("。！？；：…!?;:")
_CLOSE = set("”’」』）)》〉】〕]\"'")
_UNIT = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]"
    r"|\d{1,2}\s*[、.．](?!\d)|第[一二三四五六七八九十百零〇\d]+[条章节部篇]|[\u2460-\u2473])"
)
_PAGE_NO = re.compile(r"^[-—–－\s]*(?:第?\s*\d{1,4}\s*页?|\d{1,4}\s*/\s*\d{1,4})[-—–－\s]*$")
_BAD = set('"“”')
_WS = re.compile(r"\s+")


@dataclass
class FileResult:
    """Found and total phrases per category for one file (or why it was not measured)."""

    name: str
    found: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    missed: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def rate(self, category: str) -> float | None:
        n = self.total[category]
        return None if n == 0 else self.found[category] / n


# -- reference readings --------------------------------------------------------------


def reference_pages(path: Path) -> list[list[str]]:
    """The lines of each page as the reference extractor reads them."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            pages = []
            for i in range(len(doc)):
                page = doc[i]
                text = page.get_textpage().get_text_range()
                pages.append(re.split(r"\r\n|\r|\n", text))
            return pages
        finally:
            doc.close()
    if suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        lines = [p.text for p in d.paragraphs]
        for table in d.tables:
            for row in table.rows:
                lines += [cell.text for cell in row.cells]
        return [lines]
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return [data.decode(encoding).splitlines()]
        except UnicodeDecodeError:
            continue
    return [[]]


def _squeeze(line: str) -> str:
    return _WS.sub("", line)


def _width(s: str) -> float:
    return sum(0.5 if c.isascii() else 1.0 for c in s)


def _segments(line: str) -> list[str]:
    """The runs of a line that a wide gap separates (table cells, tab stops), whitespace
    removed: two or more spaces, or one space between two non-Latin characters — unless
    the line is spaced out character by character."""
    line = line.strip()
    spaced = line.count(" ") * 3 > len(line)
    if spaced:
        parts = re.split(r"\s{2,}", line)
    else:
        parts = re.split(r"\s{2,}|(?<=[^\x00-\x7f])\s|\s(?=[^\x00-\x7f])", line)
    return [p for p in (_squeeze(p) for p in parts) if p] or [""]


def _furniture(pages: list[list[str]]) -> set[str]:
    """Lines (digits masked) repeated on at least half the pages: headers and footers."""
    if len(pages) < 2:
        return set()
    seen: Counter = Counter()
    for page in pages:
        seen.update({re.sub(r"\d+", "#", _squeeze(line)) for line in page if line.strip()})
    return {k for k, n in seen.items() if n >= max(2, (len(pages) + 1) // 2)}


def _usable(phrase: str) -> bool:
    letters = sum(c.isalnum() for c in phrase)
    odd = any(unicodedata.category(c)[0] == "C" or c in "\ufffd\ufffe" for c in phrase)
    return letters >= 6 and not odd and not (_BAD & set(phrase))


def _ends_sentence(line: str) -> bool:
    s = line.rstrip("".join(_CLOSE))
    return bool(s) and s[-1] in _FINAL


@dataclass
class _Page:
    lines: list[str]  # whitespace removed
    segments: list[list[str]]
    heading: list[bool]
    wrapped: list[bool]  # the line wraps into the next one


def _read_page(page: list[str], furniture: set[str]) -> _Page:
    raw = [
        line
        for line in page
        if (s := _squeeze(line))
        and not _PAGE_NO.match(s)
        and re.sub(r"\d+", "#", s) not in furniture
    ]
    lines = [_squeeze(line) for line in raw]
    widths = sorted(_width(s) for s in lines)
    full = widths[int(0.8 * (len(widths) - 1))] if widths else 0.0
    heading = []
    for i, s in enumerate(lines):
        prev = lines[i - 1] if i else ""
        standalone = not prev or _ends_sentence(prev) or _width(prev) < 0.85 * full
        short = 4 <= len(s) <= 40 and _width(s) < 0.85 * full
        heading.append(short and standalone and not _ends_sentence(s) and s[-1] not in "，、,")
    wrapped = [
        not heading[i]
        and i + 1 < len(lines)
        and len(s) >= 15
        and _width(s) >= 0.85 * full
        and not _ends_sentence(s)
        and len(lines[i + 1]) >= 4
        and not _UNIT.match(lines[i + 1])
        and not heading[i + 1]
        for i, s in enumerate(lines)
    ]
    return _Page(lines, [_segments(line) for line in raw], heading, wrapped)


def wrapped_lines(pages: list[list[str]]) -> list[str]:
    """The reference lines (whitespace removed) that wrap into the next line."""
    furniture = _furniture(pages)
    out = []
    for page in pages:
        p = _read_page(page, furniture)
        out += [s for s, w in zip(p.lines, p.wrapped, strict=True) if w]
    return out


def sample(pages: list[list[str]], rng: random.Random, limit: int) -> dict[str, list[str]]:
    """Phrases of each category drawn from the reference lines of one file."""
    furniture = _furniture(pages)
    out: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for page in pages:
        p = _read_page(page, furniture)
        for i, s in enumerate(p.lines):
            if p.heading[i]:
                out["heading"].append(s if len(s) <= 16 else s[:PHRASE])
                continue
            windows = [(seg, k) for seg in p.segments[i] for k in range(len(seg) - PHRASE + 1)]
            if windows:
                seg, k = windows[rng.randrange(len(windows))]
                out["within"].append(seg[k : k + PHRASE])
            last, first = p.segments[i][-1], p.segments[i + 1][0] if p.wrapped[i] else ""
            if p.wrapped[i] and len(last) >= 4 and len(first) >= 4:
                out["across"].append(last[-4:] + first[:4])
    for category, phrases in out.items():
        phrases = [p for p in dict.fromkeys(phrases) if _usable(p)]
        out[category] = rng.sample(phrases, limit) if len(phrases) > limit else phrases
    return out


# -- measuring ------------------------------------------------------------------------


def files_in(paths: Iterable[Path]) -> list[Path]:
    """The PDF, .docx and text files under ``paths`` (lock files ``~$``/``.~`` skipped)."""
    found: list[Path] = []
    for p in paths:
        items = sorted(p.rglob("*")) if p.is_dir() else [p]
        found += [
            f
            for f in items
            if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith(("~$", ".~"))
        ]
    return found


def measure(
    paths: Iterable[Path], *, limit: int = 200, seed: int = 0, index_dir: Path | None = None
) -> list[FileResult]:
    """Index the files under ``paths`` and measure each one's phrase recall."""
    from indexer import Engine, index_paths

    files = files_in(paths)
    with tempfile.TemporaryDirectory(prefix="fazhi-recall-") as tmp:
        target = index_dir or Path(tmp) / "index"
        summary = index_paths(files, target)
        failed = {
            Path(src).resolve(): reason.removeprefix(f"{src}: ") for src, reason in summary.failed
        }
        with Engine(target) as engine:
            rid_of = {Path(r["source"]).resolve(): r["id"] for r in engine.reports(outline=False)}
            return [
                _measure_file(engine, f, rid_of.get(f.resolve()), failed, limit, seed)
                for f in files
            ]


def _measure_file(engine, path: Path, rid, failed, limit: int, seed: int) -> FileResult:
    result = FileResult(path.name)
    if rid is None:
        reason = failed.get(path.resolve(), "not indexed")
        result.note = f"refused: {reason}"
        return result
    try:
        pages = reference_pages(path)
    except Exception as e:  # the reference extractor may fail where fazhi did not
        result.note = f"reference extractor failed ({type(e).__name__})"
        return result
    rng = random.Random(seed ^ zlib.crc32(path.name.encode("utf-8")))
    for category, phrases in sample(pages, rng, limit).items():
        for phrase in phrases:
            result.total[category] += 1
            if rid in engine.match(f'"{phrase}"'):
                result.found[category] += 1
            else:
                result.missed.setdefault(category, []).append(phrase)
    return result


def format_table(results: list[FileResult]) -> str:
    """A Markdown table: found/total (share) per file and category."""
    head = "| file | " + " | ".join(CATEGORIES) + " | note |"
    rows = [head, "|" + "---|" * (len(CATEGORIES) + 2)]
    sums: Counter = Counter()
    totals: Counter = Counter()
    for r in results:
        cells = []
        for c in CATEGORIES:
            sums[c] += r.found[c]
            totals[c] += r.total[c]
            cells.append(_cell(r.found[c], r.total[c]))
        rows.append(f"| {r.name} | " + " | ".join(cells) + f" | {r.note} |")
    rows.append("| **all** | " + " | ".join(_cell(sums[c], totals[c]) for c in CATEGORIES) + " | |")
    return "\n".join(rows)


def _cell(found: int, total: int) -> str:
    return "–" if total == 0 else f"{found}/{total} ({100 * found / total:.1f} %)"


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    p = argparse.ArgumentParser(
        prog="measure_recall.py",
        description="Index real files with fazhi and measure phrase recall against an "
        "independent extractor (pypdfium2 for PDF, python-docx for .docx).",
    )
    p.add_argument("paths", nargs="+", type=Path, help="files or folders")
    p.add_argument("--limit", type=int, default=200, help="phrases per file and category")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--missed", action="store_true", help="list the phrases not found")
    args = p.parse_args(argv)
    results = measure(args.paths, limit=args.limit, seed=args.seed)
    if args.json:
        print(
            json.dumps(
                [
                    {"file": r.name, "found": dict(r.found), "total": dict(r.total), "note": r.note}
                    for r in results
                ],
                ensure_ascii=False,
            )
        )
    else:
        print(format_table(results))
    if args.missed:
        for r in results:
            for category, phrases in r.missed.items():
                print(f"{r.name} {category}: {' '.join(phrases[:40])}")
    return 0
