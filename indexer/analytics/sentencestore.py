"""The sentence index of a generation, kept beside the index as arrays that servers map.

A server builds the sentence index (:class:`~indexer.analytics.SentenceIndex`)
for precedents and copy figures from the sentences the indexer stored with
each segment: seconds at 100,000 reports, and its tables then take about
90 MB of that process. The process that built it for an index generation
writes its tables to :data:`FILE` in the index folder (a temporary file,
then a rename) and maps that file in place of its own copies: the tables
become pages of a file, shared by every worker and every command that maps
the same file and given back by the system under memory pressure, and a
process that starts on the same generation (a restart, another worker,
``fazhi precedents``) maps them instead of building.

The file: :data:`MAGIC`, the length of a JSON header, the header (index
generation, the rules the tables were built under, the CRC-32 of the data,
each array's type, offset and length), then the arrays, each at a multiple
of 8 bytes. A file of another generation or other rules is not used; a
damaged one (sizes, checksum) is not used either, and said in the log. A
folder that cannot take the file only means that each process builds and
keeps its own tables, as before.
"""

from __future__ import annotations

import json
import logging
import mmap
import zlib
from pathlib import Path

import numpy as np

from ..wording import FORM
from .copystore import write_atomically
from .sentences import SHINGLE

FILE = "sentences.arrays"
MAGIC = b"FZSENTS\n"
#: the layout of the file and of its arrays
FORMAT = 1
_ALIGN = 8

log = logging.getLogger(__name__)


def rules(threshold: float, min_chars: int) -> dict:
    """What the tables depend on besides the index."""
    return {
        "format": FORMAT,
        "wording": FORM,
        "min_chars": min_chars,
        "similarity": threshold,
        "shingle": SHINGLE,
    }


def _pad(n: int) -> int:
    return -n % _ALIGN


def save(index_dir: Path, generation: tuple, current: dict, arrays: dict[str, np.ndarray]) -> bool:
    """Keep ``arrays`` for ``generation`` under the rules ``current``; False (logged)
    when the folder cannot take them."""
    path = Path(index_dir) / FILE
    blocks = {name: np.ascontiguousarray(a).data.cast("B") for name, a in arrays.items()}
    table, at, crc = {}, 0, 0
    for name, data in blocks.items():
        table[name] = [arrays[name].dtype.str, at, int(arrays[name].size)]
        at += len(data) + _pad(len(data))
        crc = zlib.crc32(b"\0" * _pad(len(data)), zlib.crc32(data, crc))
    head = {"generation": list(generation), "rules": current, "crc32": crc, "arrays": table}
    header = json.dumps(head, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    header += b" " * _pad(len(MAGIC) + 8 + len(header))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(MAGIC + len(header).to_bytes(8, "little") + header)
            for data in blocks.values():
                f.write(data)
                f.write(b"\0" * _pad(len(data)))

    return write_atomically(path, write, "sentence index")


def load(index_dir: Path, generation: tuple, current: dict) -> dict[str, np.ndarray] | None:
    """The arrays kept for ``generation`` under the rules ``current``, mapped from the
    file (None: none kept for them, or a damaged file, logged)."""
    path = Path(index_dir) / FILE
    try:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        log.warning("cannot read the sentence index kept in %s (building it): %s", path, exc)
        return None
    try:
        return _read(mapped, generation, current)
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        log.warning("the sentence index kept in %s is damaged (building it): %s", path, exc)
        return None


def _read(mapped: mmap.mmap, generation: tuple, current: dict) -> dict[str, np.ndarray] | None:
    if mapped[: len(MAGIC)] != MAGIC:
        raise ValueError("not a sentence index file")
    start = len(MAGIC) + 8
    size = int.from_bytes(mapped[len(MAGIC) : start], "little")
    if start + size > len(mapped):
        raise ValueError("header longer than the file")
    head = json.loads(bytes(mapped[start : start + size]))
    if head.get("generation") != list(generation) or head.get("rules") != current:
        return None
    data = start + size
    view = memoryview(mapped)[data:]
    if zlib.crc32(view) != head["crc32"]:
        raise ValueError("checksum differs")
    out = {}
    for name, (dtype, at, count) in head["arrays"].items():
        kind = np.dtype(dtype)
        if at < 0 or count < 0 or at + count * kind.itemsize > len(view):
            raise ValueError(f"array {name} beyond the end of the file")
        out[name] = np.frombuffer(view, dtype=kind, count=count, offset=at)
    return out
