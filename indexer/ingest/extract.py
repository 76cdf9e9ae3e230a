"""Extract: one file → its raw text (the first pipeline stage).

``extract(path)`` dispatches on the extension (case-insensitive):

========================  ==============================================
``.txt`` ``.md``          decoded text: UTF-8 (BOM stripped), UTF-16 with a
                          BOM, GB18030/GBK, else charset-normalizer's guess
``.pdf``                  pdfminer.six in a child process, one text per page
``.docx``                 python-docx: paragraphs and table cells in
                          document order, one per line
``.doc`` ``.wps``         Word 97–2003 / WPS: the piece table, read in a
                          child process (:mod:`.legacydoc`)
``.ofd``                  the page XML of an OFD package (:mod:`.ofd`)
``.html`` ``.htm``        the article body of a government web page
========================  ==============================================

The result keeps the file's line structure (``"\\n"`` line breaks; for PDFs
``pages`` holds each page and ``text`` joins them with ``"\\f"``). It is not
normalized: page numbers, running headers, indents and wrapped lines are
left for :mod:`indexer.ingest.normalize`.

Every failure raises :class:`~indexer.errors.ExtractionError` (or its
subclass :class:`~indexer.errors.UnsupportedFormat`) with a one-line reason
naming the file and a hint for what to do next. The limits for hostile or
broken input are in :mod:`indexer.ingest.limits`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnsupportedFormat
from ..model import Extracted
from . import limits
from .legacydoc import extract_doc
from .ofd import extract_ofd
from .pdf import extract_pdf
from .textfile import decode_file, decode_text
from .webpage import declared_charset, html_to_text
from .word import extract_docx

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "decode_text",
    "extract",
    "html_to_text",
]

#: extension → Extracted.kind
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "wps",
    ".ofd": "ofd",
    ".html": "html",
    ".htm": "html",
}


def extract(path: str | Path) -> Extracted:
    """Return the raw text of the report file at ``path``.

    Raises :class:`~indexer.errors.UnsupportedFormat` for an extension it
    cannot read and :class:`~indexer.errors.ExtractionError` for a file it
    cannot read or that holds no usable text.
    """
    path = Path(path)
    ext = path.suffix.lower()
    kind = SUPPORTED_EXTENSIONS.get(ext)
    if kind is None:
        raise _unsupported(path, ext)
    if kind == "pdf":
        return limits.limit_text(path, extract_pdf(path))
    if kind == "docx":
        return limits.limit_text(path, extract_docx(path))
    if kind in ("doc", "wps"):
        return limits.limit_text(path, extract_doc(path, kind))
    if kind == "ofd":
        return limits.limit_text(path, extract_ofd(path))
    if kind == "html":
        data = limits.read_file(path, limits.MAX_HTML_BYTES)
        text = html_to_text(decode_file(path, data, declared=declared_charset(data)))
    else:
        text = decode_file(path, limits.read_file(path, limits.MAX_TEXT_BYTES))
    return limits.limit_text(path, Extracted(text=limits.require_text(path, text), kind=kind))


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


def _unsupported(path: Path, ext: str) -> UnsupportedFormat:
    shown = f"'{ext}'" if ext else "(no extension)"
    return UnsupportedFormat(
        path,
        f"unsupported file type {shown} (supported: {_supported_list()})",
        hint="convert the report to one of the supported formats",
    )
