"""Verification: read every stored field and posting of an index, list what is wrong.

``fazhi check`` runs it; nothing is written. A truncated or garbled file, a
segment data file that does not match its segment, or report documents that
do not pair up, is a problem only a rebuild repairs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.reading import SegmentReader

from ..errors import SchemaMismatch
from . import segfile
from .postings import postings
from .schema import check_version
from .storage import (
    CORRUPTION_ERRORS,
    OPEN_ATTEMPTS,
    Storage,
    corrupt,
    index_exists,
    latest_generation,
    open_ix,
)


@dataclass
class Verification:
    """What :func:`verify` read of an index, and every problem it found (one line each)."""

    reports: dict[str, dict] = field(default_factory=dict)  # rid → meta of live reports
    problems: list[str] = field(default_factory=list)
    corrupt: bool = False  # unreadable or inconsistent: only a rebuild repairs it
    segments: int = 0
    documents: int = 0
    postings: int = 0


def verify(index_dir: str | Path) -> Verification:
    """Read every stored field and every posting of every segment of the index.

    A truncated or garbled file, or text and metadata documents that do not
    pair up, is a problem; nothing is written. A commit that lands meanwhile
    (it may delete merged segments) makes it start again.
    """
    index_dir = Path(index_dir)
    for _ in range(OPEN_ATTEMPTS):
        token = latest_generation(index_dir)
        out = _verify(index_dir)
        if not out.corrupt or latest_generation(index_dir) == token:
            break
    return out


def _verify(index_dir: Path) -> Verification:
    out = Verification()
    if not index_exists(index_dir):
        out.problems.append(f"no index at {index_dir}")
        out.corrupt = True
        return out
    try:
        check_version(index_dir)
    except SchemaMismatch as exc:
        out.problems.append(str(exc))
        out.corrupt = True
        return out
    # memory-mapped: much faster to read in full than through file reads
    storage = Storage(str(index_dir), readonly=True, mmap=True)
    try:
        with storage.guard():
            toc = open_ix(storage)._read_toc()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        out.problems.append(str(corrupt(index_dir, exc)))
        out.corrupt = True
        return out
    kinds: dict[str, list[str]] = {}
    texts: dict[str, int] = {}
    for seg in toc.segments:
        out.segments += 1
        try:
            _verify_segment(storage, toc.schema, seg, out, kinds, texts)
        except CORRUPTION_ERRORS + (OSError,) as exc:
            detail = " ".join(str(exc).split())[:160]
            out.problems.append(
                f"segment {seg.segment_id()} of the index at {index_dir} is corrupt or "
                f"unreadable ({type(exc).__name__}: {detail})"
            )
            out.corrupt = True
    for rid, found in sorted(kinds.items()):
        if sorted(found) != ["r", "t"]:
            out.problems.append(
                f"report {rid} has {found.count('r')} metadata and {found.count('t')} text "
                "documents (expected one of each)"
            )
            out.corrupt = True
            continue
        meta = out.reports.get(rid, {})
        if meta.get("passage_count") != texts.get(rid):
            out.problems.append(
                f"report {rid} ({meta.get('source')}): metadata counts "
                f"{meta.get('passage_count')} passages, its text document has {texts.get(rid)}"
            )
            out.corrupt = True
    return out


def _verify_segment(storage, schema, seg, out: Verification, kinds: dict, texts: dict) -> None:
    with storage.guard():
        reader = SegmentReader(storage, schema, seg)
    try:
        n = reader.doc_count_all()
        scorable = [name for name in reader.indexed_field_names() if schema[name].scorable]
        text_docs: list[tuple[int, str, int]] = []  # docnum, rid, passages of each text doc
        for docnum in range(n):
            fields = reader.stored_fields(docnum)  # deleted documents are read too
            for name in scorable:
                reader.doc_field_length(docnum, name)
            if fields.get("kind") == "t":
                text_docs.append((docnum, fields["rid"], len(fields["passages"])))
            if reader.is_deleted(docnum):
                continue
            out.documents += 1
            rid, kind = fields["rid"], fields["kind"]
            kinds.setdefault(rid, []).append(kind)
            if kind == "r":
                out.reports[rid] = json.loads(fields["meta"])
            elif kind == "t":
                texts[rid] = len(fields["passages"])
        terms = reader._terms  # the codec's term table: every entry, with its postings
        for (name, term), info in terms.items():
            ids = _posting_ids(terms, schema[name].format, name, term, info)
            df = info.doc_frequency()
            if len(ids) != df or (ids and not 0 <= ids[0] <= ids[-1] < n):
                raise ValueError(
                    f"postings of {name}:{term!r} do not match their entry "
                    f"({len(ids)} read, {df} expected, documents 0-{n - 1})"
                )
            out.postings += df
        _verify_segment_file(Path(storage.folder), seg.segment_id(), text_docs)
    finally:
        reader.close()


def _verify_segment_file(folder: Path, sid: str, text_docs: list[tuple[int, str, int]]) -> None:
    """The segment's ``.fzs`` file is intact and lists the segment's text documents."""
    path = segfile.path_for(folder, sid)
    data = segfile.load(path)
    if not segfile.checksum_ok(path):
        raise ValueError(f"{path.name}: checksum mismatch")
    counts = np.diff(np.asarray(data.first, dtype=np.int64)).tolist()
    if list(zip(data.text_local, data.rids, counts, strict=True)) != text_docs:
        raise ValueError(f"{path.name} does not list the segment's passages")


def _posting_ids(terms, fmt, name: str, term: bytes, info) -> list[int]:
    """Decode every block of one term's postings (ids, weights and values)."""
    ids: list[int] = []
    for block_ids, _weights in postings(terms, fmt, name, term, info, values=True):
        ids.extend(block_ids)
    return ids
