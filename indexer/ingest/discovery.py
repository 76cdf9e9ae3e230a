"""Which files under the given paths are reports to read, and why the others are not.

Nothing is skipped in silence: :func:`find_files` walks the paths and sorts
every entry it meets into

* ``files`` — regular files of a supported type, to hash and read;
* ``failed`` — paths that do not exist and directories that cannot be read,
  with the reason (the run exits non-zero for them);
* ``skipped`` — entries that are not reports, with the reason: Office/WPS
  lock files (``~$x.docx``, ``.~x.docx``, ``.~lock.x.docx#``), hidden files
  and directories (one line for the directory, not for each file in it),
  files of an unsupported type, and anything that is not a regular file:
  FIFOs, sockets, devices, symbolic links to them or to nothing, and symbolic
  links to directories (not followed, so a link cannot make the walk loop).

Entries are classified from ``stat`` alone: a special file is never opened,
so a FIFO cannot block the indexer and a device cannot be read. A path named
on the command line is taken whatever its extension (reading it says whether
it can be read); inside a directory only supported extensions are taken.

File names may hold control characters or bytes that are not UTF-8 (a GBK
name left by unzipping a Chinese archive): such a file is read like any
other, its name stored exactly and shown through :mod:`indexer.names`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .extract import SUPPORTED_EXTENSIONS

LOCK_FILE = "Office/WPS lock file (Word or WPS writes it while the document is open)"
HIDDEN_FILE = "hidden file"
HIDDEN_DIR = "hidden directory (not searched)"
DIR_LINK = "symbolic link to a directory (not followed)"
BROKEN_LINK = "broken symbolic link"


@dataclass
class Discovery:
    """What :func:`find_files` found: files to read, paths that failed, entries skipped."""

    files: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def is_lock_file(name: str) -> bool:
    """Word's owner file ``~$name.docx``, WPS's ``.~name.docx``, LibreOffice's ``.~lock.name#``."""
    return name.startswith(("~$", ".~"))


def skip_reason(name: str) -> str | None:
    """Why a file of this name inside a directory is not read, or None to read it."""
    if is_lock_file(name):
        return LOCK_FILE
    if name.startswith("."):
        return HIDDEN_FILE
    ext = os.path.splitext(name)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = f"'{ext}'" if ext else "(no extension)"
        return f"unsupported file type {shown}"
    return None


def _special(mode: int) -> str | None:
    """The kind of a file that is not a regular file or directory, else None."""
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return name
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "special file"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def find_files(paths: Iterable[str | Path]) -> Discovery:
    """Walk ``paths`` (files or directories) and sort what they hold; see the module docstring."""
    found = Discovery()
    for p in paths:
        p = Path(p)
        try:
            st = p.stat()  # follows a symbolic link given on the command line
        except FileNotFoundError:
            if p.is_symlink():
                found.skipped.append((str(p), BROKEN_LINK))
            else:
                found.failed.append((str(p), "no such file or directory"))
            continue
        except OSError as exc:
            found.failed.append((str(p), f"cannot read ({_os_reason(exc)})"))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(p, found)
        elif (kind := _special(st.st_mode)) is not None:
            found.skipped.append((str(p), f"not a regular file ({kind})"))
        else:
            found.files.append(p)
    seen: set[str] = set()
    unique = []
    for f in found.files:
        key = os.path.normpath(str(f))
        if key not in seen:
            seen.add(key)
            unique.append(Path(key))
    found.files = unique
    return found


def _walk(top: Path, found: Discovery) -> None:
    """Depth first, names sorted, never following a symbolic link to a directory."""
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        found.failed.append((str(top), f"cannot read directory ({_os_reason(exc)})"))
        return
    for entry in entries:
        path = Path(top) / entry.name
        try:
            is_link = entry.is_symlink()
            st = entry.stat()  # follows links: a link is judged by what it points to
        except FileNotFoundError:
            found.skipped.append((str(path), BROKEN_LINK))
            continue
        except OSError as exc:
            found.failed.append((str(path), f"cannot read ({_os_reason(exc)})"))
            continue
        if stat.S_ISDIR(st.st_mode):
            if is_link:
                found.skipped.append((str(path), DIR_LINK))
            elif entry.name.startswith("."):
                found.skipped.append((str(path), HIDDEN_DIR))
            else:
                _walk(path, found)
            continue
        if (kind := _special(st.st_mode)) is not None:
            what = f"symbolic link to a {kind}" if is_link else kind
            found.skipped.append((str(path), f"not a regular file ({what})"))
            continue
        reason = skip_reason(entry.name)
        if reason is not None:
            found.skipped.append((str(path), reason))
        else:
            found.files.append(path)
