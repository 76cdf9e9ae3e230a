"""What search needs of one Whoosh segment, in one file that readers memory-map.

The indexer writes ``<segment id>.fzs`` next to each segment it writes
(:func:`write`), before the commit that makes the segment part of the index;
Whoosh removes it with the segment's other files once a later commit drops
the segment. Opening an index then costs reading a small header per segment:
the gram index, the per-passage columns and the sentences of every report
in the normal form analytics compare (:mod:`indexer.wording`) are arrays
mapped from the file,
so they take no memory of their own until searches touch them, and several
server processes share the same pages.

Layout: ``MAGIC``, the file's size and the header length (8 bytes each,
little-endian), the header
(UTF-8 JSON: format, report ids and metadata, the gram blocks, and for every
array its name, type, offset and length; file names of any bytes as JSON
escapes, see :mod:`indexer.names`), then the arrays, each starting at
a multiple of 64 bytes after the header. A file whose size is not the one
recorded is refused (on open, and by the indexer before it adds to the
index); the header's CRC-32 of the arrays is checked by ``fazhi check``.
"""

from __future__ import annotations

import json
import mmap
import struct
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import names, wording
from ..model import SECTION_KEYS, WORDING_KINDS
from ..text import fold_points
from . import grams
from .grams import GramIndex, SegmentGrams
from .metatable import MetaTable

MAGIC = b"FAZHISEG"
#: 2: the reports' metadata as columns (:mod:`~indexer.index.metatable`), not in the header
FORMAT = 2
#: formats this version reads
READS = (1, 2)
SUFFIX = ".fzs"
_ALIGN = 64
_PREFIX = struct.Struct("<8sQQ")  # magic, file size, header length


@dataclass
class WordingArrays:
    """What analytics read of a segment's reports' wording (:mod:`indexer.wording`).

    Report ``r`` (in the order of ``SegmentData.rids``) has the sentences
    ``first[r]:first[r + 1]``: each the number of its normal form in the
    segment's table of distinct ones (``key``) and where it is (``loc``:
    passage position × :data:`~indexer.wording.SPAN` + sentence number); and
    the quoted phrases ``q_first[r]:q_first[r + 1]`` of ``q_id``, numbers in
    the table of distinct quotes. A table is UTF-8 ``text`` cut at the
    character offsets ``off`` (``q_text``, ``q_off``).
    """

    first: np.ndarray
    key: np.ndarray
    loc: np.ndarray
    text: np.ndarray
    off: np.ndarray
    q_first: np.ndarray
    q_id: np.ndarray
    q_text: np.ndarray
    q_off: np.ndarray

    NAMES = ("first", "key", "loc", "text", "off", "q_first", "q_id", "q_text", "q_off")

    def keys(self) -> list[str]:
        """The segment's distinct normal forms, by number."""
        return _strings(self.text, self.off)

    def quotes(self, rids: list[str], alive: list[bool], wanted: set[str]):
        """(report id, its quoted phrases) of the live reports among ``wanted``."""
        table = None
        first = self.q_first.tolist()
        for r, (rid, live) in enumerate(zip(rids, alive, strict=True)):
            if live and rid in wanted:
                if table is None:
                    table = _strings(self.q_text, self.q_off)
                yield rid, [table[i] for i in self.q_id[first[r] : first[r + 1]].tolist()]


@dataclass
class SegmentWording:
    """A segment's :class:`WordingArrays`, kept zlib-compressed in its file.

    A server reads them once, to build its analytics (a third of their size
    on disk); ``layout`` lists each array's name, type and length in the
    order they are packed.
    """

    packed: np.ndarray
    layout: list
    #: the version of the rules and the shortest sentence compared, when written
    form: int = wording.FORM
    min_chars: int = wording.MIN_SENTENCE_CHARS

    @classmethod
    def pack(cls, arrays: WordingArrays) -> SegmentWording:
        parts = [np.ascontiguousarray(getattr(arrays, name)) for name in WordingArrays.NAMES]
        layout = [[n, a.dtype.str, len(a)] for n, a in zip(WordingArrays.NAMES, parts, strict=True)]
        blob = zlib.compress(b"".join(a.tobytes() for a in parts), 1)
        return cls(np.frombuffer(blob, dtype=np.uint8), layout)

    def counts(self) -> dict[str, int]:
        return {name: count for name, _, count in self.layout}

    def unpack(self) -> WordingArrays:
        """The arrays (ValueError if they do not fit together)."""
        raw = zlib.decompress(self.packed.tobytes())
        out, at = {}, 0
        for name, dtype, count in self.layout:
            a = np.frombuffer(raw, dtype=np.dtype(dtype), count=count, offset=at)
            out[name] = a
            at += a.nbytes
        arrays = WordingArrays(**out)
        if (
            at != len(raw)
            or arrays.first[-1] != len(arrays.key)
            or (arrays.q_first[-1] != len(arrays.q_id))
        ):
            raise ValueError("the stored sentences do not fit together")
        return arrays

    def current(self) -> bool:
        """Whether these were written under the rules this version applies."""
        return (self.form, self.min_chars) == (wording.FORM, wording.MIN_SENTENCE_CHARS)


def _strings(text: np.ndarray, off: np.ndarray) -> list[str]:
    """A table of strings: UTF-8 ``text`` cut at the character offsets ``off``."""
    whole = text.tobytes().decode("utf-8")
    cut = off.tolist()
    return [whole[a:b] for a, b in zip(cut, cut[1:], strict=False)]


class _Table:
    """Distinct strings numbered as they come, written as one UTF-8 text and offsets."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, s: str) -> int:
        return self.ids.setdefault(s, len(self.ids))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        strings = list(self.ids)
        off = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in strings], out=off[1:])
        return np.frombuffer("".join(strings).encode("utf-8"), dtype=np.uint8), off


class _WordingBuilder:
    """Collects a segment's sentences and quotes report by report (compact arrays)."""

    def __init__(self) -> None:
        self.first, self.q_first = [0], [0]
        self.key, self.q_id = array("i"), array("i")
        self.loc = array("I")
        self.keys, self.quotes = _Table(), _Table()

    def add(self, meta: dict | None, passages: list) -> None:
        names = wording.place_names(meta or {})
        texts = [p[4] if p[5] in WORDING_KINDS else "" for p in passages]
        key, loc, span, number = self.key, self.loc, wording.SPAN, self.keys.id
        for ppos, j, form in wording.report_sentences(texts, names):
            key.append(number(form))
            loc.append(ppos * span + j)
        self.first.append(len(key))
        self.q_id.extend(map(self.quotes.id, wording.report_quotes(texts)))
        self.q_first.append(len(self.q_id))

    def done(self) -> SegmentWording:
        text, off = self.keys.arrays()
        q_text, q_off = self.quotes.arrays()
        arrays = WordingArrays(
            first=np.array(self.first, dtype=np.int64),
            key=np.frombuffer(self.key, dtype=np.int32),
            loc=np.frombuffer(self.loc, dtype=np.uint32),
            text=text,
            off=off,
            q_first=np.array(self.q_first, dtype=np.int64),
            q_id=np.frombuffer(self.q_id, dtype=np.int32),
            q_text=q_text,
            q_off=q_off,
        )
        return SegmentWording.pack(arrays)


@dataclass
class SegmentData:
    """What search keeps of one Whoosh segment's documents.

    Segments never change once written (only deletions are added later), so
    this is written once per segment and shared across generations. Passage
    text is not kept: exact search uses the gram index, and display text is
    read from the stored fields for the passages shown.
    """

    #: every report's metadata without its outline, and its document number
    metas: MetaTable = field(default_factory=lambda: MetaTable.from_rows({}))
    #: rid → the report's outline (its ``sections``) as compact JSON, parsed when asked
    #: for: a parsed outline is dozens of Python objects per report (read from the
    #: mapped file, :class:`MappedOutlines`, when the file keeps them as an array)
    outlines: dict[str, str] | MappedOutlines = field(default_factory=dict)
    rids: list[str] = field(default_factory=list)  # one per text document, local order
    text_local: list[int] = field(default_factory=list)  # local docnum of each text doc
    first: list[int] = field(default_factory=lambda: [0])  # each report's first passage
    p_n: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    #: section of each passage as an index into ``SECTION_KEYS``
    p_section: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    grams: SegmentGrams | None = None
    #: each document's word count as BM25 scores it (read from Whoosh when first needed)
    word_lengths: np.ndarray | None = None
    #: the reports' sentences in normal form (None: a file written before they were kept)
    wording: SegmentWording | None = None


def path_for(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{SUFFIX}"


def build(segreader, block_chars: int | None = None) -> SegmentData:
    """Read the stored fields of one segment reader's documents and index their grams.

    The grams are built a block of about ``block_chars`` characters
    (default :data:`indexer.index.grams.BLOCK_CHARS`) at a time, as the passages are
    read, so that the memory a build takes does not grow with the segment.
    """
    block_chars = block_chars or grams.BLOCK_CHARS
    data = SegmentData()
    blocks: list[tuple[int, GramIndex]] = []
    pending: list[str] = []  # passages not in a block yet
    pending_chars = 0
    numbers: list[int] = []
    sections: list[int] = []
    code = {key: i for i, key in enumerate(SECTION_KEYS)}
    other = code["other"]
    outlines: dict[str, str] = {}  # equal outlines stored once
    rows: dict[str, tuple[int, dict]] = {}  # rid → (docnum, metadata)
    sentences = _WordingBuilder()

    def flush() -> None:
        nonlocal pending_chars
        if pending:
            blocks.append((len(numbers) - len(pending), GramIndex(*fold_points(pending))))
            pending.clear()
            pending_chars = 0

    for docnum, f in segreader.iter_docs():
        rid, kind = f["rid"], f.get("kind")
        if kind == "r":
            _add_meta(rows, data, rid, docnum, json.loads(f["meta"]), outlines)
            continue
        if kind != "t":
            continue
        data.rids.append(rid)
        data.text_local.append(docnum)
        known = rows.get(rid)  # a report's metadata document precedes its text
        sentences.add(known[1] if known else None, f["passages"])
        for n, section, _heading, _path, text, _kind in f["passages"]:
            if pending and pending_chars + len(text) > block_chars:
                flush()
            pending.append(text)
            pending_chars += len(text)
            numbers.append(n)
            sections.append(code.get(section, other))
        data.first.append(len(numbers))
    flush()
    data.p_n = np.array(numbers, dtype=np.int32)
    data.p_section = np.array(sections, dtype=np.uint8)
    data.grams = SegmentGrams.from_blocks(len(numbers), blocks)
    data.wording = sentences.done()
    data.metas = MetaTable.from_rows(rows)
    return data


class MappedOutlines:
    """Each report's outline as compact JSON, decoded from the mapped file when asked for.

    Kept as one UTF-8 array (equal outlines once) with each report's
    ``[start, end)`` in it, so that the outlines of a large index take no
    memory of the process until a page shows one.
    """

    __slots__ = ("text", "spans", "number")

    def __init__(self, text: np.ndarray, spans: np.ndarray, number: dict[str, int]) -> None:
        self.text, self.spans = text, spans
        self.number = number  # rid → its place in ``spans`` (the metadata's row)

    def get(self, rid: str, default: str = "") -> str:
        i = self.number.get(rid)
        if i is None:
            return default
        start, end = self.spans[2 * i : 2 * i + 2].tolist()
        return self.text[start:end].tobytes().decode("utf-8")

    def __len__(self) -> int:
        return len(self.number)


def _outline_arrays(data: SegmentData) -> list[tuple[str, np.ndarray]]:
    """The outlines of ``data``'s reports (in the order of ``metas``) as two arrays."""
    at: dict[str, tuple[int, int]] = {}
    parts, size = [], 0
    spans = np.zeros(2 * len(data.metas), dtype=np.int64)
    for i, rid in enumerate(data.metas.rids):
        text = data.outlines.get(rid, "")
        if text not in at:
            raw = text.encode("utf-8")
            at[text] = (size, size + len(raw))
            parts.append(raw)
            size += len(raw)
        spans[2 * i : 2 * i + 2] = at[text]
    return [("o.text", np.frombuffer(b"".join(parts), dtype=np.uint8)), ("o.spans", spans)]


def _add_meta(
    rows: dict, data: SegmentData, rid: str, docnum: int, meta: dict, seen: dict
) -> None:
    """Keep ``meta`` in ``rows``, its outline in ``data`` as a JSON string (equal
    strings stored once)."""
    text = json.dumps(meta.pop("sections", []), ensure_ascii=False, separators=(",", ":"))
    data.outlines[rid] = seen.setdefault(text, text)
    rows[rid] = (docnum, meta)


def with_outline(meta: dict, outline: str | None) -> dict:
    """A copy of ``meta`` with its ``sections`` parsed back, where they were (before ``id``)."""
    sections = json.loads(outline) if outline else []
    out: dict = {}
    for key, value in meta.items():
        if key == "id":
            out["sections"] = sections
        out[key] = value
    out.setdefault("sections", sections)
    return out


def _padded(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def save(data: SegmentData, path: Path) -> None:
    """Write ``data`` to ``path`` (replacing it)."""
    gram_index = data.grams if data.grams is not None else SegmentGrams.from_blocks(0, [])
    arrays: list[tuple[str, np.ndarray]] = [
        ("first", np.asarray(data.first, dtype=np.int64)),
        ("text_local", np.asarray(data.text_local, dtype=np.int64)),
        ("p_n", np.ascontiguousarray(data.p_n, dtype=np.int32)),
        ("p_section", np.ascontiguousarray(data.p_section, dtype=np.uint8)),
    ]
    for i, (_lo, block) in enumerate(gram_index.blocks):
        arrays += [(f"{i}.{name}", np.ascontiguousarray(a)) for name, a in block.arrays().items()]
    arrays += _outline_arrays(data)
    table, table_arrays = data.metas.arrays()
    arrays += table_arrays
    w = data.wording
    if w is not None:
        arrays.append(("w.packed", w.packed))
    listed, offset, crc = [], 0, 0
    for name, a in arrays:
        listed.append([name, a.dtype.str, offset, len(a)])
        crc = zlib.crc32(a.tobytes(), crc)
        crc = zlib.crc32(bytes(_padded(a.nbytes) - a.nbytes), crc)
        offset += _padded(a.nbytes)
    header = {
        "format": FORMAT,
        "rids": data.rids,
        "metatable": table,  # with the arrays "m.*"; the outlines are the arrays "o.*"
        "passages": gram_index.n,
        "blocks": [[lo, block.n] for lo, block in gram_index.blocks],
        "wording": None
        if w is None
        else {"form": w.form, "min_chars": w.min_chars, "layout": w.layout},
        "arrays": listed,
        "size": offset,
        "crc32": crc,
    }
    # file names of any bytes stay exact (lone surrogates as JSON escapes)
    head = names.dumps(header, separators=(",", ":")).encode("utf-8")
    start = _PREFIX.size + len(head)
    with open(path, "wb") as f:
        f.write(_PREFIX.pack(MAGIC, _padded(start) + offset, len(head)))
        f.write(head + bytes(_padded(start) - start))
        for _name, a in arrays:
            f.write(a.tobytes())
            f.write(bytes(_padded(a.nbytes) - a.nbytes))


def check_size(path: Path) -> int:
    """The header length of an intact-looking file; ValueError if it is not one or truncated."""
    with open(path, "rb") as f:
        prefix = f.read(_PREFIX.size)
        size = f.seek(0, 2)
    if len(prefix) < _PREFIX.size or prefix[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path.name} is not a fazhi segment file")
    _magic, expected, head = _PREFIX.unpack(prefix)
    if size != expected:
        raise ValueError(f"{path.name} is truncated ({size} of {expected} bytes)")
    return head


def _open(path: Path) -> tuple[mmap.mmap, dict, int]:
    """The file mapped, its header and where its arrays begin; ValueError if damaged."""
    n = check_size(path)
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    start = _PREFIX.size
    header = json.loads(bytes(buf[start : start + n]).decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") not in READS:
        raise ValueError(f"{path.name} has an unknown format")
    base = _padded(start + n)
    if base + header["size"] != len(buf):
        raise ValueError(f"{path.name} has a header that does not match its size")
    return buf, header, base


def load(path: Path) -> SegmentData:
    """The segment data in ``path``, its arrays memory-mapped; ValueError if the file is damaged."""
    buf, header, base = _open(path)
    arrays = {
        name: np.frombuffer(buf, dtype=np.dtype(dtype), count=count, offset=base + offset)
        for name, dtype, offset, count in header["arrays"]
    }
    blocks = []
    for i, (lo, n) in enumerate(header["blocks"]):
        prefix = f"{i}."
        mine = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        blocks.append((lo, GramIndex.from_arrays(n, mine)))
    data = SegmentData(
        rids=header["rids"],
        text_local=arrays["text_local"].tolist(),
        first=arrays["first"].tolist(),
        p_n=arrays["p_n"],
        p_section=arrays["p_section"],
        grams=SegmentGrams.from_blocks(header["passages"], blocks),
    )
    kept = header.get("wording")
    if kept and "layout" in kept and "w.packed" in arrays:  # older files: none
        w = SegmentWording(arrays["w.packed"], **kept)
        n, count = len(data.rids) + 1, w.counts()
        if (
            count.get("first") != n
            or count.get("q_first") != n
            or count.get("key") != count.get("loc")
        ):
            raise ValueError(f"{path.name}: sentence lists of different lengths")
        data.wording = w
    _load_metas(data, header, arrays, path)
    if not (len(data.rids) == len(data.text_local) == len(data.first) - 1):
        raise ValueError(f"{path.name}: report lists of different lengths")
    if data.first[-1] != len(data.p_n) or len(data.p_n) != data.grams.n:
        raise ValueError(f"{path.name}: passage counts do not agree")
    return data


def _load_metas(data: SegmentData, header: dict, arrays: dict, path: Path) -> None:
    """The reports' metadata and outlines of a file, as its format keeps them."""
    mapped = "o.spans" in arrays  # else (older files) each outline is in its metadata
    if "metatable" in header:
        try:
            data.metas = MetaTable.from_arrays(header["metatable"], arrays)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path.name}: metadata columns missing ({exc})") from None
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
    else:  # format 1: the metadata in the header (search shows the file names printable)
        rows: dict[str, tuple[int, dict]] = {}
        seen: dict[str, str] = {}
        for rid, (docnum, meta) in header.pop("metas").items():
            if mapped:
                rows[rid] = (docnum, meta)
            else:
                _add_meta(rows, data, rid, docnum, meta, seen)
        data.metas = MetaTable.from_rows(rows)
    if mapped:
        if len(arrays["o.spans"]) != 2 * len(data.metas):
            raise ValueError(f"{path.name}: outline list of another length")
        data.outlines = MappedOutlines(arrays["o.text"], arrays["o.spans"], data.metas.row_of)


def checksum_ok(path: Path) -> bool:
    """Whether the arrays in ``path`` still have the CRC-32 recorded when it was written."""
    buf, header, base = _open(path)
    view = memoryview(buf)
    try:
        return zlib.crc32(view[base:]) == header["crc32"]
    finally:
        view.release()
        buf.close()


def write(storage, schema, segment) -> Path:
    """Build and write the file of a finished Whoosh segment (before it is committed)."""
    from whoosh.reading import SegmentReader

    reader = SegmentReader(storage, schema, segment)
    try:
        data = build(reader)
    finally:
        reader.close()
    path = path_for(storage.folder, segment.segment_id())
    save(data, path)
    return path
