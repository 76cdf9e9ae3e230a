"""Word files (``.docx``): paragraphs and table cells in document order, within unpacked-size caps.

The zip's parts are read by :mod:`.zipread`, in chunks and within the caps
whatever the zip's headers declare; python-docx then reads the XML parts from
memory and never inflates an entry itself.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted
from . import limits, zipread


def extract_docx(path: Path) -> Extracted:
    limits.checked_size(path, limits.MAX_DOCX_BYTES)
    bad_docx = "save it again as .docx from Word or WPS"
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check permissions"
        ) from e
    if magic.startswith(b"\xd0\xcf\x11\xe0"):  # a Word 97–2003 file named .docx
        from .legacydoc import extract_doc

        return extract_doc(path, "doc")
    parts, infos = zipread.read_parts(
        path,
        _is_xml,
        unpacked_limit=limits.MAX_DOCX_UNPACKED_BYTES,
        read_limit=limits.MAX_DOCX_XML_BYTES,
        what=".docx",
        hint=bad_docx,
    )
    try:
        import docx

        document = docx.Document(_package(parts, infos))
        lines = list(_docx_lines(document))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors...
        raise ExtractionError(
            path,
            f"not a valid .docx file ({type(e).__name__}: {limits.one_line(e, 100)})",
            hint=bad_docx,
        ) from e
    text = "\n".join(line for line in lines if line.strip())
    return Extracted(text=limits.require_text(path, text), kind="docx")


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _package(parts: dict[str, bytes], infos: list[zipfile.ZipInfo]) -> io.BytesIO:
    """The package python-docx reads: the XML parts as read within the caps, every other
    part (images, fonts, embedded objects) empty, since only the text is wanted."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info in infos:
            if not info.is_dir():
                z.writestr(info.filename, parts.get(info.filename, b""))
    out.seek(0)
    return out


def _docx_lines(container) -> Iterator[str]:
    """Paragraphs, and the cells of tables, in document order (merged cells once)."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            seen = set()  # the <w:tc> elements themselves: a merged cell repeats
            for row in block.rows:
                for cell in row.cells:
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    yield from _docx_lines(cell)
        else:
            yield block.text
