"""Whoosh's postings read a block at a time, as arrays (the codec's own Python loop is slow)."""

from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length


def postings(terms, fmt, name: str, term: bytes, info, values: bool = False):
    """Every block of one term's postings as (ids, weights), decoded a block at a time."""
    if info.is_inlined():
        ids, weights, _values = info.inlined_postings()
        yield list(ids), list(weights)
        return
    m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(name, term))
    if not isinstance(m, W3LeafMatcher):  # another codec: the generic, slower way
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        yield ids, weights
        return
    while True:  # block by block, without stepping through each posting
        m._read_ids()
        m._read_weights()
        if values:
            m._read_values()
        if len(m._ids) != m._blocklength or m._ids[-1] != m._maxid:
            raise ValueError(f"a postings block of {name}:{term!r} does not match its header")
        yield m._ids, m._weights
        if m._lastblock:
            return
        m._goto(m._nextoffset)


def word_postings(segreader, fieldname: str, word: str) -> tuple[np.ndarray, np.ndarray]:
    """Segment-local document numbers and term weights (frequencies) of one word.

    Deleted documents included (the caller keeps only the ones it wants).
    """
    field = segreader.schema[fieldname]
    term = field.to_bytes(word)
    terms = segreader._terms
    try:
        info = terms.term_info(fieldname, term)
    except (KeyError, TermNotFound):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids, weights = [], []
    for block_ids, block_weights in postings(terms, field.format, fieldname, term, info):
        ids.append(np.asarray(block_ids, dtype=np.int64))
        weights.append(np.asarray(block_weights, dtype=np.float64))
    return np.concatenate(ids), np.concatenate(weights)


def field_lengths(segreader, fieldname: str) -> np.ndarray:
    """Every document's length in ``fieldname`` as Whoosh scores it (its one-byte encoding)."""
    n = segreader.doc_count_all()
    column = segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.zeros(n)
    table = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
    return table[np.asarray(column.load(), dtype=np.uint8)[:n]]
