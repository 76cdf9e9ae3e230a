"""File → structured report: extract, normalize, structure (and its public address)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..model import Extracted, Report
from .extract import extract
from .limits import MAX_TEXT_CHARS
from .normalize import normalize
from .source_url import source_url
from .structure import structure


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_report(path: str | Path, *, source: str | None = None) -> Report:
    """Read one report file into a :class:`Report`.

    Raises :class:`~indexer.errors.ExtractionError` naming the file on bad input.
    """
    path = Path(path)
    extracted = extract(path)
    clean = normalize(extracted)
    report = structure(clean, source=source if source is not None else str(path))
    report.format = extracted.kind
    report.ocr = bool(extracted.ocr_pages)
    report.ocr_confidence = extracted.ocr_confidence
    report.sha256 = file_sha256(path)
    report.url = source_url(path)
    return report


def report_from_text(
    text: str, *, source: str = "draft", max_chars: int = MAX_TEXT_CHARS
) -> Report:
    """Structure text that is not in a file (a pasted draft) as a report.

    Raises :class:`~indexer.errors.ExtractionError` when it is empty or longer
    than a file's text may be.
    """
    from ..errors import ExtractionError

    if not text.strip():
        raise ExtractionError(source, "the text is empty", hint="paste the report's text")
    if len(text) > max_chars:
        raise ExtractionError(
            source,
            f"text is too long ({len(text):,} characters; the limit is {max_chars:,})",
            hint="check one report at a time",
        )
    return structure(normalize(Extracted(text=text, kind="text")), source=source)
