"""PDF: pdfminer.six in a sandboxed child process (:mod:`.pdfworker`), then checks of its text."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted
from . import limits

_MALFORMED_PDF = "the PDF may be malformed: check that it opens, or print it to a new PDF"
_DECRYPT_HINT = (
    "remove the password: open it and print to a new PDF, or run qpdf --decrypt, "
    "then index the copy"
)
_WORKER = Path(__file__).with_name("pdfworker.py")
_CID = re.compile(r"\(cid:\d+\)")


def extract_pdf(path: Path) -> Extracted:
    size = limits.checked_size(path, limits.MAX_PDF_BYTES)
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(0, size - 1024))
            tail = f.read()
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check permissions"
        ) from e
    if b"%PDF-" not in head:
        hint = "check that the file really is the PDF"
        if head.lstrip()[:1] == b"<":
            hint = "it looks like a web page: save it as .html, or download the PDF itself"
        raise ExtractionError(path, "not a PDF file (missing %PDF- header)", hint=hint)
    if b"%%EOF" not in tail:
        raise ExtractionError(
            path,
            "PDF is truncated (no %%EOF marker at the end)",
            hint="the download or copy was interrupted: fetch the file again",
        )
    pages, encrypted = _run_pdf_worker(path)
    return _check_pdf_text(path, pages, encrypted=encrypted)


def _run_pdf_worker(path: Path) -> tuple[list[str], bool]:
    """Run the child process; return the page texts and whether the PDF is encrypted."""
    limit = limits.PDF_TIME_LIMIT
    cmd = [
        sys.executable,
        "-I",  # isolated: ignore PYTHON* variables, user site and the script's directory
        str(_WORKER),
        str(path.resolve()),
        "--cpu",
        str(max(1, math.ceil(limit))),
        "--memory",
        str(limits.PDF_MEMORY_LIMIT),
    ]
    timed_out = ExtractionError(
        path,
        f"PDF extraction exceeded the time limit ({limit:g}s)",
        hint=_MALFORMED_PDF,
    )
    out_of_memory = ExtractionError(
        path,
        f"PDF extraction exceeded the memory limit ({limits.PDF_MEMORY_LIMIT // limits.MiB} MiB)",
        hint=_MALFORMED_PDF,
    )
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=limit, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        raise timed_out from None
    except OSError as e:
        raise ExtractionError(
            path,
            f"cannot start the PDF extractor ({limits.one_line(e)})",
            hint="check the installation",
        ) from e

    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        sig = -proc.returncode
        if sig in (getattr(signal, "SIGXCPU", None), getattr(signal, "SIGKILL", None)):
            raise timed_out
        if "MemoryError" in stderr:
            raise out_of_memory
        raise ExtractionError(
            path,
            f"PDF extraction crashed (signal {sig})",
            hint=_MALFORMED_PDF,
        )
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        if "MemoryError" in stderr:
            raise out_of_memory from None
        last = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ExtractionError(
            path,
            f"PDF extraction failed ({limits.one_line(last[0])})",
            hint=_MALFORMED_PDF,
        ) from None
    if result.get("ok"):
        return [str(p) for p in result["pages"]], bool(result.get("encrypted"))
    error = result.get("error")
    if error == "encrypted":
        raise ExtractionError(path, "encrypted PDF", hint=_DECRYPT_HINT)
    if error == "memory":
        raise out_of_memory
    if error == "internal":
        raise ExtractionError(
            path,
            f"cannot run the PDF extractor ({limits.one_line(result.get('detail', ''))})",
            hint="check that pdfminer.six is installed",
        )
    raise ExtractionError(
        path,
        f"PDF is damaged ({limits.one_line(result.get('detail', 'unknown error'))})",
        hint="fetch the file again, or open it and print it to a new PDF",
    )


def _check_pdf_text(path: Path, pages: list[str], *, encrypted: bool) -> Extracted:
    """Refuse text layers that are missing or unreadable; drop stray ``(cid:N)``."""
    text = "\f".join(pages)
    cids = len(_CID.findall(text))
    letters = sum(1 for ch in _CID.sub("", text) if ch.isalpha())
    if cids and cids > limits.MAX_CID_RATIO * (cids + letters):
        if encrypted:  # copy-protected: opened without a password, fonts still scrambled
            raise ExtractionError(
                path,
                "encrypted PDF (copy-protected: its text cannot be decoded)",
                hint=_DECRYPT_HINT,
            )
        share = round(100 * cids / (cids + letters))
        raise ExtractionError(
            path,
            f"PDF text layer is unreadable (cid:N glyphs: {share}% of the text)",
            hint="its fonts have no Unicode map: OCR the PDF, or export it again from the "
            "original document",
        )
    if cids:
        pages = [_CID.sub("", p) for p in pages]
        text = "\f".join(pages)
    if letters < limits.MIN_PDF_LETTERS:
        raise ExtractionError(
            path, "PDF has no text layer", hint="a scanned PDF needs OCR first, e.g. with ocrmypdf"
        )
    return Extracted(text=text, kind="pdf", pages=tuple(pages))
