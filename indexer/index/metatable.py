"""Every report's metadata of one segment as columns, not a dictionary per report.

A report's metadata is some twenty fields; as a Python dictionary it costs
about 2 KB, 200 MB of a server's memory at 100,000 reports. A
:class:`MetaTable` keeps each field as one column instead: the values that
repeat (township, county, year, level, …) as integer codes into a short
list of distinct values, the ones that do not (title, file name, hash) as
UTF-8 bytes with offsets, mapped from the segment file like its other
arrays. :class:`RowMeta` reads one report's fields from the columns as a
read-only mapping, so that code which asks ``meta["township"]`` or
``meta.get("year")`` reads one value, and ``dict(meta)`` gives a copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import numpy as np

from .. import names

#: the value of a field a report does not have
ABSENT = object()
#: column kinds: codes into a list of distinct values; one string per report; one JSON
#: text per report (a field of many distinct values that are not all strings)
CODES, TEXT, JSON = "codes", "text", "json"
#: state of a report's value in a TEXT or JSON column
_VALUE, _NONE, _MISSING = 0, 1, 2
#: a field whose distinct values are at most this many (or half the reports) is coded
_FEW = 64


def _key(value) -> object:
    """What tells two values apart (``1``, ``1.0`` and ``True`` are different values)."""
    if value is None or isinstance(value, str | int | float | bool):
        return (type(value), value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class _Codes:
    """A field as codes into its distinct values (-1: the report has no such field)."""

    __slots__ = ("codes", "labels", "_lookup")
    kind = CODES

    def __init__(self, codes: np.ndarray, labels: list) -> None:
        self.codes, self.labels = codes, labels
        self._lookup = [*labels, ABSENT]  # code -1 picks the last

    @classmethod
    def of(cls, values: list) -> _Codes:
        index: dict = {}
        labels: list = []
        codes = np.empty(len(values), dtype=np.int32)
        for i, v in enumerate(values):
            if v is ABSENT:
                codes[i] = -1
                continue
            k = _key(v)
            c = index.get(k)
            if c is None:
                c = index[k] = len(labels)
                labels.append(v)
            codes[i] = c
        return cls(codes, labels)

    def get(self, i: int):
        return self._lookup[self.codes[i]]

    def values(self) -> list:
        lookup = self._lookup
        return [lookup[c] for c in self.codes.tolist()]

    def arrays(self, prefix: str) -> list[tuple[str, np.ndarray]]:
        return [(prefix + "codes", self.codes)]

    def spec(self) -> list:
        return self.labels

    def lacking(self) -> bool:
        """Whether some report lacks the field."""
        return bool((self.codes < 0).any())


class _Strings:
    """A field as one UTF-8 string (or JSON text) per report, cut at byte offsets."""

    __slots__ = ("blob", "off", "state", "kind")

    def __init__(self, kind: str, blob: np.ndarray, off: np.ndarray, state: np.ndarray) -> None:
        self.kind, self.blob, self.off, self.state = kind, blob, off, state

    @classmethod
    def of(cls, kind: str, values: list) -> _Strings:
        state = np.zeros(len(values), dtype=np.uint8)
        parts = []
        for i, v in enumerate(values):
            if v is ABSENT:
                state[i], v = _MISSING, ""
            elif v is None and kind == TEXT:
                state[i], v = _NONE, ""
            elif kind == JSON:
                v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            parts.append(v.encode("utf-8", "surrogatepass"))
        off = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in parts], out=off[1:])
        return cls(kind, np.frombuffer(b"".join(parts), dtype=np.uint8), off, state)

    def get(self, i: int):
        s = self.state[i]
        if s:
            return None if s == _NONE else ABSENT
        text = self.blob[self.off[i] : self.off[i + 1]].tobytes().decode("utf-8", "surrogatepass")
        return json.loads(text) if self.kind == JSON else text

    def values(self) -> list:
        return [self.get(i) for i in range(len(self.state))]

    def arrays(self, prefix: str) -> list[tuple[str, np.ndarray]]:
        return [(prefix + "blob", self.blob), (prefix + "off", self.off), (prefix + "state", self.state)]

    def spec(self) -> None:
        return None

    def lacking(self) -> bool:
        return bool((self.state == _MISSING).any())


def _column(values: list):
    present = [v for v in values if v is not ABSENT]
    distinct = len({_key(v) for v in present})
    if distinct <= _FEW or 2 * distinct <= len(values):
        return _Codes.of(values)
    if all(v is None or isinstance(v, str) for v in present):
        return _Strings.of(TEXT, values)
    return _Strings.of(JSON, values)


def _field_order(metas: list[dict]) -> list[str]:
    """Every field of ``metas``, each report's in its own order where their orders
    agree (a field first met later goes after the one before it in that report)."""
    fields: list[str] = []
    seen: set[tuple] = set()
    for meta in metas:
        keys = tuple(meta)
        if keys in seen:
            continue
        seen.add(keys)
        at = 0
        for k in keys:
            if k in fields:
                at = max(at, fields.index(k) + 1)
            else:
                fields.insert(at, k)
                at += 1
    return fields


class MetaTable:
    """The metadata of one segment's reports (without their outlines), field by field.

    Row ``i`` is report ``rids[i]``, whose metadata document is ``docnums[i]``
    of the segment; ``fields`` are every field any of them has, in the order
    first met (a report's fields keep that order).
    """

    __slots__ = ("rids", "docnums", "fields", "columns", "row_of", "_sparse")

    def __init__(self, rids: list[str], docnums: np.ndarray, columns: dict) -> None:
        self.rids, self.docnums, self.columns = rids, docnums, columns
        self.fields = list(columns)
        self.row_of = {rid: i for i, rid in enumerate(rids)}
        #: fields some report lacks (the others need no check when listing a report's fields)
        self._sparse = {f for f, col in columns.items() if col.lacking()}

    @classmethod
    def from_rows(cls, rows: dict[str, tuple[int, dict]]) -> MetaTable:
        """From each report's ``(docnum, metadata)``; what search shows of a file's
        name (``source``) is made printable (``path`` keeps the exact name)."""
        rids = list(rows)
        metas = [meta for _docnum, meta in rows.values()]
        columns = {}
        fields = _field_order(metas)
        for f in fields:
            values = [m.get(f, ABSENT) for m in metas]
            if f == "source":
                values = [names.printable(v) if isinstance(v, str) else v for v in values]
            columns[f] = _column(values)
        docnums = np.array([d for d, _meta in rows.values()], dtype=np.int64)
        return cls(rids, docnums, columns)

    def __len__(self) -> int:
        return len(self.rids)

    def value(self, field: str, row: int):
        """The value of ``field`` for report ``row``, or :data:`ABSENT`."""
        col = self.columns.get(field)
        return ABSENT if col is None else col.get(row)

    def values(self, field: str) -> list:
        """``field`` of every report, by row (:data:`ABSENT` where it has none)."""
        col = self.columns.get(field)
        return [ABSENT] * len(self.rids) if col is None else col.values()

    def fields_of(self, row: int) -> Iterator[str]:
        sparse = self._sparse
        for f in self.fields:
            if f not in sparse or self.columns[f].get(row) is not ABSENT:
                yield f

    def meta(self, row: int) -> dict:
        """Report ``row``'s metadata as a new dictionary."""
        out = {}
        for f in self.fields:
            v = self.columns[f].get(row)
            if v is not ABSENT:
                out[f] = v
        return out

    # -- in a segment file

    def arrays(self) -> tuple[dict, list[tuple[str, np.ndarray]]]:
        """What the segment file's header keeps of the table, and its arrays."""
        spec, arrays = [], [("m.docnum", self.docnums)]
        for i, (f, col) in enumerate(self.columns.items()):
            spec.append([f, col.kind, col.spec()])
            arrays += col.arrays(f"m.{i}.")
        return {"rids": self.rids, "fields": spec}, arrays

    @classmethod
    def from_arrays(cls, head: dict, arrays: dict[str, np.ndarray]) -> MetaTable:
        """The table a segment file keeps (ValueError if its parts do not fit together)."""
        rids, n = head["rids"], len(head["rids"])
        columns = {}
        for i, (f, kind, labels) in enumerate(head["fields"]):
            p = f"m.{i}."
            if kind == CODES:
                col = _Codes(arrays[p + "codes"], labels)
                if len(col.codes) != n or (n and col.codes.max() >= len(labels)):
                    raise ValueError(f"metadata column {f!r} does not fit its values")
            elif kind in (TEXT, JSON):
                col = _Strings(kind, arrays[p + "blob"], arrays[p + "off"], arrays[p + "state"])
                if len(col.state) != n or len(col.off) != n + 1 or col.off[-1] != len(col.blob):
                    raise ValueError(f"metadata column {f!r} does not fit its text")
            else:
                raise ValueError(f"metadata column {f!r} of an unknown kind")
            columns[f] = col
        docnums = arrays["m.docnum"]
        if len(docnums) != n:
            raise ValueError("metadata rows of different lengths")
        return cls(rids, docnums, columns)


class RowMeta(Mapping):
    """One report's metadata, read field by field from its :class:`MetaTable` (read-only)."""

    __slots__ = ("table", "row")

    def __init__(self, table: MetaTable, row: int) -> None:
        self.table, self.row = table, row

    def __getitem__(self, key: str):
        v = self.table.value(key, self.row)
        if v is ABSENT:
            raise KeyError(key)
        return v

    def get(self, key: str, default=None):
        v = self.table.value(key, self.row)
        return default if v is ABSENT else v

    def __contains__(self, key) -> bool:
        return self.table.value(key, self.row) is not ABSENT

    def __iter__(self) -> Iterator[str]:
        return self.table.fields_of(self.row)

    def __len__(self) -> int:
        return sum(1 for _ in self.table.fields_of(self.row))

    def __repr__(self) -> str:
        return f"RowMeta({self.table.meta(self.row)!r})"
