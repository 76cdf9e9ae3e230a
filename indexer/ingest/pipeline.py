"""File → structured report: extract, normalize, structure."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..model import Report
from .extract import extract
from .normalize import normalize
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
    report.kind = extracted.kind
    report.ocr = bool(extracted.ocr_pages)
    report.ocr_confidence = extracted.ocr_confidence
    report.sha256 = file_sha256(path)
    return report
