"""Extract: one file → its raw text (the first pipeline stage).

``extract(path)`` dispatches on the extension (case-insensitive):

========================  ==============================================
``.txt`` ``.md``          decoded text: UTF-8 (BOM stripped), UTF-16 with a
                          BOM, GB18030/GBK, else charset-normalizer's guess
``.pdf``                  pdfminer.six in a child process, one text per page
``.docx``                 python-docx: paragraphs and table cells in
                          document order, one per line
``.html`` ``.htm``        the article body of a government web page
========================  ==============================================

The result keeps the file's line structure (``"\\n"`` line breaks; for PDFs
``pages`` holds each page and ``text`` joins them with ``"\\f"``). It is not
normalized: page numbers, running headers, indents and wrapped lines are
left for :mod:`indexer.normalize`.

Every failure raises :class:`~indexer.errors.ExtractionError` (or its
subclass :class:`~indexer.errors.UnsupportedFormat`) with a one-line reason
naming the file and a hint for what to do next.

Limits for hostile or broken input (module constants, so callers and tests
can change them):

* size caps, checked before anything is parsed: :data:`MAX_PDF_BYTES`
  (50 MiB), :data:`MAX_DOCX_BYTES` (50 MiB, and :data:`MAX_DOCX_UNPACKED_BYTES`
  200 MiB once unzipped, of which :data:`MAX_DOCX_XML_BYTES` 10 MiB of XML:
  a small .docx can unpack into an XML document that takes minutes and
  gigabytes to parse), :data:`MAX_TEXT_BYTES` (20 MiB),
  :data:`MAX_HTML_BYTES` (10 MiB). A zip entry that holds more than its
  declared size fails its CRC check;
* the extracted text of any file: :data:`MAX_TEXT_CHARS` characters (one
  million, some fifty times a long report), since each million characters
  costs about fifteen seconds of segmentation;
* PDFs must start with ``%PDF-`` (within the first KiB) and end with ``%%EOF``
  (within the last KiB, as Acrobat requires);
* pdfminer runs in a child process limited to :data:`PDF_TIME_LIMIT` seconds
  of wall-clock time (120 s), the same in CPU seconds, and
  :data:`PDF_MEMORY_LIMIT` bytes of address space (1 GiB). A hostile PDF can
  make pdfminer loop or exhaust memory, and its ``maxpages`` applies only after
  the whole page tree is parsed; the child is killed and the file reported.
  The child sets its own limits before it reads the file, rather than through
  ``preexec_fn``, which is unsafe when the calling process has threads.
* A PDF text layer in which more than :data:`MAX_CID_RATIO` of the glyphs come
  out as ``(cid:N)`` (fonts without a Unicode map) is refused rather than
  indexed; fewer such glyphs are dropped.
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ExtractionError, UnsupportedFormat
from .model import Extracted

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "decode_text",
    "extract",
    "html_to_text",
]

MiB = 1024 * 1024

#: Largest PDF accepted.
MAX_PDF_BYTES = 50 * MiB
#: Largest .docx accepted, and the most its parts may hold once unzipped (zip bombs).
MAX_DOCX_BYTES = 50 * MiB
MAX_DOCX_UNPACKED_BYTES = 200 * MiB
#: The most the XML parts of a .docx may hold once unzipped (XML bombs).
MAX_DOCX_XML_BYTES = 10 * MiB
#: The most characters of text one file may yield.
MAX_TEXT_CHARS = 1_000_000
#: Largest .txt/.md accepted.
MAX_TEXT_BYTES = 20 * MiB
#: Largest .html/.htm accepted (parsing takes about a second per MiB).
MAX_HTML_BYTES = 10 * MiB
#: Wall-clock seconds (and CPU seconds) the PDF child process may use.
PDF_TIME_LIMIT: float = 120.0
#: Address space, in bytes, the PDF child process may map.
PDF_MEMORY_LIMIT = 1024 * MiB
#: Share of ``(cid:N)`` glyphs above which a PDF text layer counts as unreadable.
MAX_CID_RATIO = 0.05
#: A PDF with fewer letters than this (CJK or otherwise) has no usable text layer.
MIN_PDF_LETTERS = 10

_MALFORMED_PDF = "the PDF may be malformed: check that it opens, or print it to a new PDF"
_DECRYPT_HINT = (
    "remove the password: open it and print to a new PDF, or run qpdf --decrypt, "
    "then index the copy"
)
_WORKER = Path(__file__).with_name("_pdfworker.py")

#: extension → Extracted.kind
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}

_CID = re.compile(r"\(cid:\d+\)")


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
        return _limit_text(path, _extract_pdf(path))
    if kind == "docx":
        return _limit_text(path, _extract_docx(path))
    if kind == "html":
        data = _read(path, MAX_HTML_BYTES)
        text = html_to_text(_decode(path, data, declared=_declared_charset(data)))
    else:
        text = _decode(path, _read(path, MAX_TEXT_BYTES))
    return _limit_text(path, Extracted(text=_require_text(path, text), kind=kind))


def _limit_text(path: Path, extracted: Extracted) -> Extracted:
    n = len(extracted.text)
    if n > MAX_TEXT_CHARS:
        raise ExtractionError(
            path,
            f"text is too long ({n:,} characters; the limit is {MAX_TEXT_CHARS:,})",
            hint="split the file or check that it is really a single report",
        )
    return extracted


# ------------------------------------------------------------------ helpers


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


def _unsupported(path: Path, ext: str) -> UnsupportedFormat:
    if ext == ".doc":
        return UnsupportedFormat(
            path,
            "old binary Word .doc files are not supported",
            hint="open it in Word or WPS and save it as .docx",
        )
    shown = f"'{ext}'" if ext else "(no extension)"
    return UnsupportedFormat(
        path,
        f"unsupported file type {shown} (supported: {_supported_list()})",
        hint="convert the report to one of the supported formats",
    )


def _size(path: Path, limit: int) -> int:
    """Stat ``path``: refuse missing, empty and oversized files before reading them."""
    try:
        if not path.exists():
            raise ExtractionError(path, "file not found", hint="check the path")
        if not path.is_file():
            raise ExtractionError(path, "not a file", hint="give the path of a report file")
        size = path.stat().st_size
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check the path"
        ) from e
    if size == 0:
        raise ExtractionError(
            path, "file is empty", hint="check that the download or copy finished"
        )
    if size > limit:
        raise ExtractionError(
            path,
            f"file is too large ({_human(size)}; the limit for "
            f"{path.suffix.lower()} files is {_human(limit)})",
            hint="split the file or check that it is really a single report",
        )
    return size


def _read(path: Path, limit: int) -> bytes:
    _size(path, limit)
    try:
        return path.read_bytes()
    except OSError as e:
        raise ExtractionError(
            path, f"cannot read file ({e.strerror or type(e).__name__})", hint="check permissions"
        ) from e


def _require_text(path: Path, text: str) -> str:
    if not text.strip():
        raise ExtractionError(path, "no text found", hint="check that the file holds the report")
    return text


def _human(size: int) -> str:
    """``52428800`` → ``"50 MiB"``, ``1536`` → ``"1.5 KiB"``."""
    for unit, scale in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _one_line(value: object, limit: int = 160) -> str:
    return " ".join(str(value).split())[:limit]


# --------------------------------------------------------------------- text

_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb_2312", "cp936", "euc-cn", "hz-gb-2312"}


class _NotText(Exception):
    """The bytes are not text in any encoding we trust."""


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file's bytes and unify its line breaks to ``"\\n"``.

    Tried in order: a byte-order mark (UTF-8, UTF-16, UTF-32); the
    ``declared`` charset (from an HTML ``<meta>``), GB2312/GBK read as
    GB18030; strict UTF-8 or GB18030, whichever decodes into common Chinese
    characters; charset-normalizer as a last resort. Raises ``ValueError``
    with the reason when the bytes are not text.
    """
    try:
        text = _decode_bytes(data, declared)
    except _NotText as e:
        raise ValueError(str(e)) from None
    bad = sum(1 for _ in _CONTROL.finditer(text))
    if bad > max(2, len(text) // 100):
        raise ValueError("not a text file (binary data)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(path: Path, data: bytes, declared: str | None = None) -> str:
    try:
        return decode_text(data, declared)
    except ValueError as e:
        raise ExtractionError(
            path, str(e), hint="save the report as UTF-8 text, .docx or .pdf"
        ) from None


def _decode_bytes(data: bytes, declared: str | None) -> str:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise _NotText(f"not a text file (invalid {codec.upper()} after its BOM)") from None
    if b"\x00" in data:
        raise _NotText("not a text file (contains NUL bytes)")
    if declared:
        gbk = declared.lower() in _GB_ALIASES
        try:
            text = data.decode("gb18030" if gbk else declared)
        except (LookupError, UnicodeDecodeError):
            text = None  # sites often declare the wrong charset: detect it instead
        if text is not None and (not gbk or _gb_share(text) >= 0.9):
            return text
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None and utf8.isascii():
        return utf8
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        gb = None
    if gb is not None and _gb_share(gb) >= 0.9:
        # a short GBK text can also be valid UTF-8 by accident ("一" → "һ",
        # "些" → "Щ"): keep the reading made of common Chinese characters
        if utf8 is None or (_gb_share(gb), _has_hanzi(gb)) > (_gb_share(utf8), _has_hanzi(utf8)):
            return gb
    if utf8 is not None:
        return utf8
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise _NotText("not a text file (cannot determine its encoding)")
    return str(best)


def _gb_share(text: str) -> float:
    """Share of the non-ASCII characters that sit in GB2312 (common hanzi and
    punctuation). Chinese text scores near 1; Big5 or Latin-1 bytes read as
    GB18030, or GBK bytes read as UTF-8, land elsewhere."""
    narrow = len(text.encode("ascii", "ignore"))
    wide = len(text) - narrow
    if not wide:
        return 1.0
    return (len(text.encode("gb2312", "ignore")) - narrow) / 2 / wide


def _has_hanzi(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


#: Control characters (other than tab, line and page breaks) and U+FFFD mark binary data.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


# ---------------------------------------------------------------------- PDF


def _extract_pdf(path: Path) -> Extracted:
    size = _size(path, MAX_PDF_BYTES)
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
    limit = PDF_TIME_LIMIT
    cmd = [
        sys.executable,
        "-I",  # isolated: ignore PYTHON* variables, user site and the script's directory
        str(_WORKER),
        str(path.resolve()),
        "--cpu",
        str(max(1, math.ceil(limit))),
        "--memory",
        str(PDF_MEMORY_LIMIT),
    ]
    timed_out = ExtractionError(
        path,
        f"PDF extraction exceeded the time limit ({limit:g}s)",
        hint=_MALFORMED_PDF,
    )
    out_of_memory = ExtractionError(
        path,
        f"PDF extraction exceeded the memory limit ({PDF_MEMORY_LIMIT // MiB} MiB)",
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
            path, f"cannot start the PDF extractor ({_one_line(e)})", hint="check the installation"
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
            f"PDF extraction failed ({_one_line(last[0])})",
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
            f"cannot run the PDF extractor ({_one_line(result.get('detail', ''))})",
            hint="check that pdfminer.six is installed",
        )
    raise ExtractionError(
        path,
        f"PDF is damaged ({_one_line(result.get('detail', 'unknown error'))})",
        hint="fetch the file again, or open it and print it to a new PDF",
    )


def _check_pdf_text(path: Path, pages: list[str], *, encrypted: bool) -> Extracted:
    """Refuse text layers that are missing or unreadable; drop stray ``(cid:N)``."""
    text = "\f".join(pages)
    cids = len(_CID.findall(text))
    letters = sum(1 for ch in _CID.sub("", text) if ch.isalpha())
    if cids and cids > MAX_CID_RATIO * (cids + letters):
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
    if letters < MIN_PDF_LETTERS:
        raise ExtractionError(
            path, "PDF has no text layer", hint="a scanned PDF needs OCR first, e.g. with ocrmypdf"
        )
    return Extracted(text=text, kind="pdf", pages=tuple(pages))


# --------------------------------------------------------------------- DOCX


def _extract_docx(path: Path) -> Extracted:
    _size(path, MAX_DOCX_BYTES)
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
            path, f"not a valid .docx file ({_one_line(e)})", hint=bad_docx
        ) from e
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({_human(unpacked)}; the limit is "
            f"{_human(MAX_DOCX_UNPACKED_BYTES)})",
            hint="check that it is really a single report",
        )
    if xml > MAX_DOCX_XML_BYTES:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({_human(xml)} of XML; the limit is "
            f"{_human(MAX_DOCX_XML_BYTES)})",
            hint="check that it is really a single report",
        )
    try:
        import docx

        document = docx.Document(str(path))
        lines = list(_docx_lines(document))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors...
        raise ExtractionError(
            path, f"not a valid .docx file ({type(e).__name__}: {_one_line(e, 100)})", hint=bad_docx
        ) from e
    text = "\n".join(line for line in lines if line.strip())
    return Extracted(text=_require_text(path, text), kind="docx")


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


# --------------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

#: Elements that are never article text.
_DROP_ALWAYS = (
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "object",
    "embed", "button", "select", "textarea", "input", "head",
)  # fmt: skip
#: Page furniture (and forms), dropped unless it wraps most of the page's text.
_DROP_FURNITURE = ("nav", "header", "footer", "aside")
#: class/id words of page furniture on government sites.
_FURNITURE_WORDS = re.compile(
    r"(?:^|[-_])(?:nav|navbar|menu|breadcrumbs?|crumbs?|position|location|dqwz|header|"
    r"footer|foot|copyright|sidebar|side|share|fenxiang|related|search|login|friendlinks?|"
    r"pager)(?:$|[-_\d])",
)
#: Known article containers, most specific first: (attribute, lower-cased value).
_CONTENT_CONTAINERS = (
    ("id", "zoom"),
    ("class", "trs_editor"),
    ("id", "ucap-content"),
    ("class", "article-content"),
    ("class", "article_content"),
    ("class", "pages_content"),
    ("class", "news_content"),
    ("id", "content"),
    ("class", "content"),
    ("tag", "article"),
    ("tag", "main"),
)
_CONTAINER_RANK = {key: rank for rank, key in enumerate(_CONTENT_CONTAINERS)}
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section "
    "summary table tbody td tfoot th thead tr ul".split()
)
_PARAGRAPH_TAGS = frozenset("p li h1 h2 h3 h4 h5 h6".split())
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜| - | – | — |－)\s*")
#: Least CJK characters, and least share of the page's, that a known container
#: must hold to count as the article.
_MIN_ARTICLE_CJK = 20
_MIN_ARTICLE_SHARE = 0.25


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def html_to_text(html: str) -> str:
    """The article of a web page as plain text, one block per line.

    Scripts, navigation, headers, footers, sidebars and forms are dropped; a
    known content container (``#zoom``, ``.TRS_Editor``, ``.article-content``,
    ``.content``, ``article``, ``main``…) is preferred, else the element whose
    paragraphs hold the most Chinese text. The page title (``<title>``, or an
    ``<h1>`` outside the article) comes first unless the article repeats it.
    Every walk over the tree is iterative and linear: deeply nested markup
    neither recurses nor rescans subtrees.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = _page_title(soup)
    _remove(soup, lambda tag: tag.name in _DROP_ALWAYS)
    counts = _cjk_counts(soup)
    total = counts[id(soup)]
    body = _known_container(soup, counts, total)
    if body is None:
        _remove(soup, lambda tag: _is_furniture(tag) and counts[id(tag)] <= 0.5 * total)
        body = _densest_element(soup)
    text = _block_text(body) if body is not None else ""
    if title and _squeeze(title) not in _squeeze(text):
        text = f"{title}\n{text}" if text else title
    return text


def _tags(root) -> list:
    """``root`` and every tag below it, in document order (no recursion)."""
    from bs4 import Tag

    out = []
    stack = [root]
    while stack:
        tag = stack.pop()
        out.append(tag)
        stack.extend(c for c in reversed(tag.contents) if isinstance(c, Tag))
    return out


def _remove(root, doomed) -> None:
    """Decompose the outermost tags for which ``doomed(tag)`` is true."""
    from bs4 import Tag

    found = []
    stack = list(root.contents)
    while stack:
        node = stack.pop()
        if not isinstance(node, Tag):
            continue
        if doomed(node):
            found.append(node)  # its subtree goes with it: don't look inside
        else:
            stack.extend(node.contents)
    for tag in found:
        tag.decompose()


def _cjk_counts(root) -> dict[int, int]:
    """CJK characters under each tag (by ``id``), computed bottom-up in one pass."""
    from bs4 import NavigableString, Tag

    counts: dict[int, int] = {}
    for tag in reversed(_tags(root)):
        counts[id(tag)] = sum(
            counts[id(c)]
            if isinstance(c, Tag)
            else _cjk_count(c)
            if type(c) is NavigableString
            else 0
            for c in tag.contents
        )
    return counts


def _is_furniture(tag) -> bool:
    if tag.name in ("html", "body"):
        return False
    if tag.name in _DROP_FURNITURE or tag.name == "form":
        return True
    return any(_FURNITURE_WORDS.search(w) for w in _class_words(tag))


def _page_title(soup) -> str:
    tag = soup.find("title")
    title = ""
    if tag is not None:
        parts = [p for p in _TITLE_SEPARATORS.split(tag.get_text(" ", strip=True)) if p]
        if parts:
            title = max(parts, key=_cjk_count)
    for h1 in soup.find_all("h1"):
        text = _HTML_SPACE.sub(" ", h1.get_text(" ", strip=True)).strip()
        if text and (not title or (title in text and len(text) > len(title))):
            return text  # no <title>, or the <title> was cut short
    return _HTML_SPACE.sub(" ", title).strip()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _class_words(tag) -> list[str]:
    words = [str(w).lower() for w in tag.get("class") or []]
    if tag.get("id"):
        words.append(str(tag["id"]).lower())
    return words


def _known_container(soup, counts: dict[int, int], total: int):
    """The first known article container (in order of preference) that holds a
    good share of the page's Chinese text."""
    candidates: list[list] = [[] for _ in _CONTENT_CONTAINERS]
    for tag in _tags(soup):
        keys = [("tag", tag.name)]
        if tag.get("id"):
            keys.append(("id", str(tag["id"]).lower()))
        keys.extend(("class", str(c).lower()) for c in tag.get("class") or ())
        for key in keys:
            rank = _CONTAINER_RANK.get(key)
            if rank is not None:
                candidates[rank].append(tag)
    least = max(_MIN_ARTICLE_CJK, _MIN_ARTICLE_SHARE * total)
    for found in candidates:
        best = max(found, key=lambda t: counts[id(t)], default=None)
        if best is not None and counts[id(best)] >= least:
            return best
    return None


def _densest_element(soup):
    """The element whose own text blocks hold the most CJK characters."""
    from bs4 import NavigableString

    scores: dict[int, tuple[int, object]] = {}
    for node in soup.find_all(string=True):
        if type(node) is not NavigableString:  # comments, doctype, CDATA
            continue
        n = _cjk_count(node)
        if not n:
            continue
        block = node.parent
        while block is not None and block.name not in _BLOCK_TAGS and block.name != "body":
            block = block.parent
        if block is None:
            continue
        # a paragraph's text belongs to the element that holds the paragraphs
        holder = block.parent if block.name in _PARAGRAPH_TAGS else block
        if holder is None or holder.name == "[document]":
            holder = block
        prev = scores.get(id(holder), (0, holder))[0]
        scores[id(holder)] = (prev + n, holder)
    if scores:
        return max(scores.values(), key=lambda s: s[0])[1]
    return soup.body or soup


def _block_text(root) -> str:
    """Text of ``root`` with block elements on their own lines (iterative: no recursion)."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            parts.append(node)  # a line-break marker pushed below
        elif isinstance(node, NavigableString):
            if type(node) is NavigableString:
                parts.append(_HTML_SPACE.sub(" ", str(node)))
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name == "pre":
                parts.append("\n" + node.get_text() + "\n")
            else:
                block = node.name in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                    stack.append("\n")
                stack.extend(reversed(node.contents))
    lines = (line.strip(" \t") for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
