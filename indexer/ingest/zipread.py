"""Read the parts of a zip package (.docx, .ofd) within caps, whatever its headers claim.

A zip entry declares its unpacked size, but nothing makes it true: a
``document.xml`` that declares 5,000 bytes can inflate to gigabytes, and
Python's ``ZipFile.read`` inflates a whole entry in one call before it cuts
the result to the declared size and checks the CRC (about 2 GB of memory for
such an entry). Here every entry is inflated in chunks of :data:`CHUNK`
bytes: reading stops at the declared size (the CRC check then fails at once
for a lying entry) and at the caps, so a lying header costs at most the
chunk and the cap, never what the deflate stream could produce.

The caps (:mod:`.limits`, read at call time): the declared sizes of all
entries (``unpacked``), and of the entries actually read (``xml``: the text
parts a parser will see).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ..errors import ExtractionError
from . import limits

#: Bytes inflated per read: the most one read can allocate beyond what is kept.
CHUNK = 64 * 1024


def read_parts(
    path: Path,
    wanted: Callable[[str], bool],
    *,
    unpacked_limit: int,
    read_limit: int,
    what: str,
    hint: str,
) -> tuple[dict[str, bytes], list[zipfile.ZipInfo]]:
    """The entries of the zip at ``path`` whose names ``wanted`` accepts, inflated within
    the caps, and the list of all entries (the others are not inflated).

    ``what`` names the format in messages (``".docx"``), ``hint`` says what to do about a
    broken file. Raises :class:`~indexer.errors.ExtractionError` for a file that is not
    a zip, an entry that fails its CRC check (one holding more than it declares does),
    and sizes over the caps.
    """
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise ExtractionError(
            path, f"not a valid {what} file ({limits.one_line(e)})", hint=hint
        ) from e
    with z:
        infos = z.infolist()
        chosen = [i for i in infos if not i.is_dir() and wanted(i.filename)]
        _check_sizes(path, infos, chosen, unpacked_limit, read_limit, what, hint)
        try:
            parts = {i.filename: _read_entry(z, i) for i in chosen}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as e:
            if isinstance(e, zlib.error) and str(e).startswith("Error -4 "):
                # zlib's failed allocation (Z_MEM_ERROR) under the reading budget's memory cap
                raise MemoryError(str(e)) from e
            raise ExtractionError(
                path,
                f"not a valid {what} file ({type(e).__name__}: {limits.one_line(e, 100)})",
                hint=hint,
            ) from e
        except (RuntimeError, NotImplementedError) as e:  # encrypted entries, odd methods
            raise ExtractionError(
                path,
                f"not a valid {what} file ({type(e).__name__}: {limits.one_line(e, 100)})",
                hint=hint,
            ) from e
    return parts, infos


def _check_sizes(path, infos, chosen, unpacked_limit, read_limit, what, hint) -> None:
    unpacked = sum(i.file_size for i in infos)
    declared = sum(i.file_size for i in chosen)
    if unpacked > unpacked_limit:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({limits.human(unpacked)}; the limit is "
            f"{limits.human(unpacked_limit)})",
            hint="check that it is really a single report",
        )
    if declared > read_limit:
        raise ExtractionError(
            path,
            f"file is too large once unpacked ({limits.human(declared)} of XML; the "
            f"limit is {limits.human(read_limit)})",
            hint="check that it is really a single report",
        )
    for i in chosen:
        # deflate's output is capped per read; bzip2's and LZMA's is not
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ExtractionError(
                path,
                f"not a valid {what} file (entry {i.filename!r} uses compression "
                f"method {i.compress_type}; {what} files use deflate)",
                hint=hint,
            )


def _read_entry(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One entry, inflated a chunk at a time up to its declared size (then CRC-checked)."""
    chunks: list[bytes] = []
    with z.open(info) as f:
        while chunk := f.read(CHUNK):
            chunks.append(chunk)
    return b"".join(chunks)
