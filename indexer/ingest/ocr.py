"""OCR of scanned PDF pages: run :mod:`.ocrworker` in a sandbox, cache, lay out the result.

:func:`read_pages` reads the given pages of a PDF with OCR and returns, for
each, its text and lines with geometry (:class:`~indexer.model.PageLayout`),
so that a scanned page goes through the same paragraph rebuilding
(:mod:`.pdflayout`) and normalization as a text page: line joins, page
numbers, running headers, headings.

* **Sandbox.** The child process has its own limits (:mod:`.limits`):
  :data:`~.limits.OCR_PAGE_TIME_LIMIT` processor seconds a page and
  :data:`~.limits.OCR_TIME_LIMIT` a file, :data:`~.limits.OCR_MEMORY_LIMIT`
  of address space, and a real-time backstop per page. At most
  :data:`~.limits.OCR_MAX_PAGES` pages a file are read, and a page showing
  an image of more than :data:`~.limits.OCR_MAX_IMAGE_PIXELS` pixels is
  refused before anything is rendered.
* **Cache.** Results are kept per file content hash and OCR settings in
  :func:`cache_dir`, page by page as they are read: re-indexing, a rebuild or a
  run interrupted half-way never reads a page twice.
* **Progress.** On a terminal, one line a page on stderr.
* **Lines.** The recogniser's boxes are grouped into printed lines by
  :mod:`.boxlines` (boxes that overlap vertically, left to right; a gap wider
  than a character splits a line into runs, table cells). Boxes read with a confidence under
  :data:`~.limits.OCR_MIN_SCORE` (smudges, handwriting) are dropped. Only the red
  channel is read, so red seals vanish (see :mod:`.ocrworker`).

Without the optional packages (``pip install 'fazhi-search[ocr]'``)
:func:`unavailable` says how to add them, and scanned pages are refused with
that hint.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import names
from ..errors import ExtractionError
from ..model import PageLayout
from . import boxlines, limits

_WORKER = Path(__file__).with_name("ocrworker.py")
INSTALL_HINT = "install OCR with: pip install 'fazhi-search[ocr]'"
#: bump when the way pages are rendered or read changes: cached results are then not reused
CACHE_FORMAT = 3


@dataclass(frozen=True)
class OcrPage:
    """One page read by OCR: its text (lines top to bottom), geometry and confidence."""

    number: int  # 1-based
    text: str
    layout: PageLayout
    score: float  # mean confidence of the kept boxes, weighted by characters (0 when none)
    chars: int


def unavailable() -> str | None:
    """Why OCR cannot run here (a one-line hint), or None when it can."""
    missing = [m for m in ("rapidocr", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        return f"OCR is not installed ({', '.join(missing)} missing): {INSTALL_HINT}"
    return None


def cache_dir() -> Path:
    """``$FAZHI_OCR_CACHE``, else ``$XDG_CACHE_HOME/fazhi/ocr``, else ``~/.cache/fazhi/ocr``."""
    if env := os.environ.get("FAZHI_OCR_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fazhi" / "ocr"


def settings_key() -> str:
    """What the cached text depends on: the engine's version and how pages are rendered."""
    try:
        from importlib.metadata import version

        engine = f"rapidocr {version('rapidocr')}"
    except Exception:  # noqa: BLE001 - not installed: nothing will be cached anyway
        engine = "rapidocr ?"
    return f"{CACHE_FORMAT}|{engine}|dpi {limits.OCR_DPI:g}|side {limits.OCR_MAX_SIDE}|red"


class _Cache:
    """The pages of one file read so far, in ``cache_dir()/<sha256>.json``."""

    def __init__(self, sha256: str) -> None:
        self.path = cache_dir() / f"{sha256}.json"
        self.key = settings_key()
        self.pages: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("settings") == self.key:
                self.pages = dict(data.get("pages") or {})
        except (OSError, ValueError, AttributeError):
            pass

    def get(self, number: int) -> dict | None:
        return self.pages.get(str(number))

    def put(self, number: int, result: dict) -> None:
        self.pages[str(number)] = result
        data = {"settings": self.key, "pages": self.pages}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ocr-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError:  # a read-only or full cache: OCR still works, it is just not kept
            pass


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_pages(path: Path, pages: list[int], image_pixels: dict[int, int]) -> None:
    """Refuse, before anything is rendered, too many pages or a page with a huge image."""
    if len(pages) > limits.OCR_MAX_PAGES:
        raise ExtractionError(
            path,
            f"PDF has {len(pages):,} scanned pages to read with OCR (the limit is "
            f"{limits.OCR_MAX_PAGES:,} a file)",
            hint="split the file or check that it is really a single report",
        )
    for number in pages:
        pixels = image_pixels.get(number, 0)
        if pixels > limits.OCR_MAX_IMAGE_PIXELS:
            raise ExtractionError(
                path,
                f"page {number} shows an image of {pixels / 1e6:,.0f} megapixels (OCR reads at "
                f"most {limits.OCR_MAX_IMAGE_PIXELS / 1e6:,.0f})",
                hint="scan the page again at 300 dpi",
            )


def read_pages(path: Path, pages: list[int], image_pixels: dict[int, int]) -> dict[int, OcrPage]:
    """OCR ``pages`` (1-based) of the PDF at ``path``; see the module docstring.

    ``image_pixels``: the largest image each page shows, in pixels. Raises
    :class:`~indexer.errors.ExtractionError` with a one-line reason when OCR is not
    installed, a cap is reached or the worker fails.
    """
    if not pages:
        return {}
    if (why := unavailable()) is not None:
        raise ExtractionError(path, "PDF has pages without a text layer", hint=why)
    check_pages(path, pages, image_pixels)
    cache = _Cache(file_hash(path))
    todo = [n for n in pages if cache.get(n) is None]
    if todo:
        _run_worker(path, todo, cache, len(pages))
    return {n: page_from_boxes(n, cache.get(n) or {}) for n in pages}


def _progress(path: Path, text: str) -> None:
    if sys.stderr.isatty():
        print(f"OCR {names.one_line(path.name)[:80]}: {text}", file=sys.stderr, flush=True)


def _run_worker(path: Path, todo: list[int], cache: _Cache, total: int) -> None:
    page_limit = limits.OCR_PAGE_TIME_LIMIT
    file_limit = limits.OCR_TIME_LIMIT
    cmd = [
        sys.executable,
        "-I",
        str(_WORKER),
        str(path.resolve()),
        "--pages",
        ",".join(map(str, todo)),
        "--dpi",
        repr(float(limits.OCR_DPI)),
        "--max-side",
        str(limits.OCR_MAX_SIDE),
        "--page-cpu",
        repr(float(page_limit)),
        "--cpu",
        repr(float(file_limit)),
        "--memory",
        str(limits.OCR_MEMORY_LIMIT),
        "--threads",
        str(limits.OCR_THREADS),
    ]
    # real time allowed between two lines of the worker: loading the engine or one page
    stall = max(limits.PDF_WALL_FACTOR * page_limit, limits.PDF_WALL_MIN)
    current: dict = {}
    done = total - len(todo)
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
            )
        except OSError as e:
            raise ExtractionError(
                path, f"cannot start OCR ({limits.one_line(e)})", hint="check the installation"
            ) from e
        error: dict | None = None
        try:
            for event in _events(proc, stall):
                kind = event.get("event")
                if kind == "start":
                    current = event
                elif kind == "page":
                    number = int(event["page"])
                    cache.put(number, event)
                    done += 1
                    cpu = float(event.get("cpu") or 0)
                    _progress(path, f"page {number} ({done} of {total} read, {cpu:.1f} s)")
                    current = {}
                elif kind == "error":
                    error = event
        except TimeoutError:
            proc.kill()
            proc.wait()
            where = f"page {current['page']}" if current.get("page") else "starting"
            raise ExtractionError(
                path,
                f"OCR did not finish ({where}) within {stall:g}s of real time",
                hint="the machine may be overloaded: index the file again later",
            ) from None
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
        errors.seek(0)
        stderr = errors.read()[-4000:].decode("utf-8", "replace")
    _raise_failure(path, proc.returncode, error, current, stderr, file_limit, page_limit)
    if missing := [n for n in todo if cache.get(n) is None]:  # it ended without saying why
        last = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ExtractionError(
            path,
            f"OCR stopped before page {missing[0]} ({limits.one_line(last[0])})",
            hint=INSTALL_HINT,
        )


def _events(proc: subprocess.Popen, stall: float):
    """The worker's JSON lines as they come; TimeoutError when none comes for ``stall`` s."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    try:
        while True:
            if not sel.select(timeout=stall):
                raise TimeoutError
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue
    finally:
        sel.close()


def _raise_failure(path, returncode, error, current, stderr, file_limit, page_limit) -> None:
    """Turn how the worker ended into an ExtractionError (nothing when every page was read)."""
    memory = ExtractionError(
        path,
        f"OCR exceeded the memory limit ({limits.OCR_MEMORY_LIMIT // limits.MiB} MiB)",
        hint="scan the pages again at 300 dpi, or split the file",
    )
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig in (signal.SIGPROF, signal.SIGXCPU, signal.SIGKILL):
            if current.get("cap") == "page":
                raise ExtractionError(
                    path,
                    f"OCR of page {current['page']} exceeded its time limit "
                    f"({page_limit:g}s of processor time a page)",
                    hint="scan the page again, or split the file",
                )
            raise ExtractionError(
                path,
                f"OCR exceeded the time limit for the file ({file_limit:g}s of processor time)",
                hint="split the file",
            )
        if "MemoryError" in stderr or "bad_alloc" in stderr:
            raise memory
        raise ExtractionError(path, f"OCR crashed (signal {sig})", hint=INSTALL_HINT)
    if error is not None:
        detail = str(error.get("detail") or "")
        if error.get("error") == "memory" or "bad_alloc" in detail or "allocate" in detail:
            raise memory
        if error.get("error") == "internal":
            raise ExtractionError(
                path, f"cannot run OCR ({limits.one_line(detail)})", hint=INSTALL_HINT
            )
        raise ExtractionError(
            path,
            f"OCR cannot read the PDF ({limits.one_line(detail)})",
            hint="open it and print it to a new PDF",
        )
    if current:  # ended in the middle of a page without saying why
        if "MemoryError" in stderr:
            raise memory
        last = stderr.strip().splitlines()[-1:] or [f"exit status {returncode}"]
        raise ExtractionError(
            path,
            f"OCR failed on page {current.get('page')} ({limits.one_line(last[0])})",
            hint="open it and print it to a new PDF",
        )


# ---------------------------------------------------------------- boxes → lines

#: a page number as the recogniser reads "— 8 —": dashes as -, 一 or －
_FOLIO = re.compile(r"\s*[-—–一－─]+\s*(\d{1,4})\s*[-—–一－─]+\s*|\s*[-—–－─]\s*(\d{1,4})\s*")
#: a document number's year with its closing bracket misread: 〔2022] → 〔2022〕
_DOC_YEAR = re.compile(r"([〔［\[])(\d{4})[\]］)）】〕]")


def fix_line(text: str) -> str:
    """What the recogniser predictably misreads in official documents: page numbers
    (``-8一`` is ``— 8 —``) and the brackets around a document number's year."""
    m = _FOLIO.fullmatch(text)
    if m:
        return f"— {m.group(1) or m.group(2)} —"
    return _DOC_YEAR.sub(lambda m: f"〔{m.group(2)}〕", text)


def page_from_boxes(number: int, result: dict) -> OcrPage:
    """The lines of one OCR page: boxes grouped into printed lines, left to right, with the
    boxes read with too little confidence dropped."""
    width = float(result.get("width") or 595.0)
    height = float(result.get("height") or 842.0)
    boxes = [
        (str(t), float(x0), float(x1), float(y0), float(y1), float(s))
        for t, x0, x1, y0, y1, s in result.get("boxes") or ()
        if float(s) >= limits.OCR_MIN_SCORE and str(t).strip()
    ]
    layout = boxlines.page_layout(boxes, width, height, fix=fix_line)
    chars = sum(len(b[0]) for b in boxes)
    score = sum(b[5] * len(b[0]) for b in boxes) / chars if chars else 0.0
    return OcrPage(number, "\n".join(ln.text for ln in layout.lines), layout, score, chars)
