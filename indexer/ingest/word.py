"""Word files (``.docx``): paragraphs and table cells in document order, within unpacked-size caps."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted
from . import limits


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
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractionError(
            path,
            "old binary Word .doc file named .docx",
            hint="open it in Word or WPS and save it as .docx",
        )
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            unpacked = sum(info.file_size for info in infos)
            xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ExtractionError(
            path, f"not a valid .docx file ({limits.one_line(e)})", hint=bad_docx
        ) from e
    if unpacked > limits.MAX_DOCX_UNPACKED_BYTES:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({limits.human(unpacked)}; the limit is "
            f"{limits.human(limits.MAX_DOCX_UNPACKED_BYTES)})",
            hint="check that it is really a single report",
        )
    if xml > limits.MAX_DOCX_XML_BYTES:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({limits.human(xml)} of XML; the limit is "
            f"{limits.human(limits.MAX_DOCX_XML_BYTES)})",
            hint="check that it is really a single report",
        )
    try:
        import docx

        document = docx.Document(str(path))
        lines = list(_docx_lines(document))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors...
        raise ExtractionError(
            path,
            f"not a valid .docx file ({type(e).__name__}: {limits.one_line(e, 100)})",
            hint=bad_docx,
        ) from e
    text = "\n".join(line for line in lines if line.strip())
    return Extracted(text=limits.require_text(path, text), kind="docx")


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
