"""The copy figures of every report as columns: a read-only mapping from report id to
its figures, built on demand.

:func:`~.copies.all_copies` gives a dict per report (and one per source
report named): at 100,000 reports some 60 MB of small objects that a
server keeps for as long as it serves the generation. :class:`CopyFigures`
keeps the same figures as a few numpy columns, plus one tuple per distinct
source report (a fifth of the reports name one, half as many distinct
ones), and builds a report's dict only when it is asked for; what it gives
equals what ``all_copies`` gave, key for key and in the same order. It is
also the layout of the kept file (:meth:`CopyFigures.to_json`), which reads
back without a dict per report in between.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from .matrix import report_ref

#: the fields naming a source report, in the order its dict gives them
REF_FIELDS = tuple(report_ref({"id": ""}))
#: the number columns of the kept layout
COLUMNS = ("sentences", "shared", "share", "chars_share", "copied", "source", "source_sentences",
           "earlier")  # fmt: skip

#: the columns that are not int32, and the JSON values each kind of column takes
KINDS = {"share": np.float64, "chars_share": np.float64, "copied": np.bool_, "earlier": np.bool_}
JSON_TYPES = {np.int32: (int,), np.float64: (float, int), np.bool_: (bool,)}


class CopyFigures(Mapping):
    """Report id → copy figures (the dict :func:`~.copies.copy_of` gives), from columns."""

    __slots__ = ("_ids", "_sorted", "_rows", "_cols", "_refs")

    def __init__(self, ids: list[str], cols: dict[str, np.ndarray], refs: list[tuple]) -> None:
        self._ids = np.array([i.encode() for i in ids], dtype=bytes) if ids else np.array([], "S1")
        order = np.argsort(self._ids, kind="stable")
        self._sorted = self._ids[order]
        self._rows = order.astype(np.int32)
        self._cols = cols
        self._refs = refs

    @classmethod
    def of(cls, figures: Mapping[str, dict]) -> CopyFigures:
        """The columns of ``figures`` (what :func:`~.copies.all_copies` gives)."""
        if isinstance(figures, CopyFigures):
            return figures
        n = len(figures)
        cols = {
            "sentences": np.zeros(n, np.int32),
            "shared": np.zeros(n, np.int32),
            "share": np.zeros(n, np.float64),
            "chars_share": np.zeros(n, np.float64),
            "copied": np.zeros(n, np.bool_),
            "source": np.full(n, -1, np.int32),
            "source_sentences": np.zeros(n, np.int32),
            "earlier": np.zeros(n, np.bool_),
        }
        refs: list[tuple] = []
        known: dict[tuple, int] = {}
        for row, fig in enumerate(figures.values()):
            for name in ("sentences", "shared", "share", "chars_share", "copied"):
                cols[name][row] = fig[name]
            src = fig["source"]
            if src is not None:
                ref = tuple(src[k] for k in REF_FIELDS)
                cols["source"][row] = known.setdefault(ref, len(known))
                if len(known) > len(refs):
                    refs.append(ref)
                cols["source_sentences"][row] = src["sentences"]
                cols["earlier"][row] = src["earlier"]
        return cls(list(figures), cols, refs)

    # -- the mapping

    def _row(self, rid: object) -> int:
        if not isinstance(rid, str):
            return -1
        key = rid.encode()
        at = int(np.searchsorted(self._sorted, key))
        if at < len(self._sorted) and self._sorted[at] == key:
            return int(self._rows[at])
        return -1

    def __getitem__(self, rid: str) -> dict:
        row = self._row(rid)
        if row < 0:
            raise KeyError(rid)
        c = self._cols
        src = int(c["source"][row])
        source = None
        if src >= 0:
            source = dict(zip(REF_FIELDS, self._refs[src], strict=True))
            source["sentences"] = int(c["source_sentences"][row])
            source["earlier"] = bool(c["earlier"][row])
        return {
            "sentences": int(c["sentences"][row]),
            "shared": int(c["shared"][row]),
            "share": float(c["share"][row]),
            "chars_share": float(c["chars_share"][row]),
            "source": source,
            "copied": bool(c["copied"][row]),
        }

    def column(self, name: str, ids: Sequence[str]) -> np.ndarray:
        """Figure ``name`` (one of :data:`COLUMNS` but ``source``) of each report of
        ``ids``, in their order; 0 (False) for a report without figures. What a page
        that sorts or counts every report reads, without a dict per report."""
        if name not in COLUMNS or name == "source":
            raise ValueError(f"no copy figure column '{name}'")
        values = self._cols[name]
        out = np.zeros(len(ids), values.dtype)
        if not len(ids) or not len(self._ids):
            return out
        keys = np.array([i.encode() for i in ids], dtype=bytes)
        at = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        found = self._sorted[at] == keys
        out[found] = values[self._rows[at[found]]]
        return out

    def __contains__(self, rid: object) -> bool:
        return self._row(rid) >= 0

    def __iter__(self) -> Iterator[str]:
        return (i.decode() for i in self._ids.tolist())

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"CopyFigures({len(self)} reports, {len(self._refs)} sources)"

    # -- the kept layout

    def to_json(self) -> dict:
        """The columns as JSON values (:meth:`from_json` reads them back)."""
        return {
            "ids": list(self),
            "refs": [list(r) for r in self._refs],
            **{name: self._cols[name].tolist() for name in COLUMNS},
        }

    @classmethod
    def from_json(cls, body: object) -> CopyFigures | None:
        """What :meth:`to_json` wrote; None when ``body`` is not that (damaged, foreign)."""
        if not isinstance(body, dict):
            return None
        ids, refs = body.get("ids"), body.get("refs")
        if not isinstance(ids, list) or not isinstance(refs, list):
            return None
        if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
            return None
        if not all(isinstance(r, list) and len(r) == len(REF_FIELDS) for r in refs):
            return None
        cols = {}
        for name in COLUMNS:
            values = body.get(name)
            kind = KINDS.get(name, np.int32)
            if not isinstance(values, list) or len(values) != len(ids):
                return None
            if not all(type(v) in JSON_TYPES[kind] for v in values):
                return None
            try:
                cols[name] = np.array(values, dtype=kind)
            except OverflowError:
                return None
        if len(ids) and not (-1 <= cols["source"].min() and cols["source"].max() < len(refs)):
            return None
        return cls(ids, cols, [tuple(r) for r in refs])
