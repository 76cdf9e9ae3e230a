"""Child process that reads the text of a Word 97–2003 ``.doc`` or WPS ``.wps`` file.

Run as ``python -I docworker.py PATH --cpu SECONDS --memory BYTES``; it sets its
limits (processor time, address space) before it reads the file and prints
one JSON object on stdout::

    {"ok": true, "paragraphs": ["…", "cell | cell | cell", …]}
    {"ok": false, "error": "encrypted" | "old" | "notword" | "damaged" | "internal",
     "detail": "…"}

The file is an OLE compound file (read with olefile) whose ``WordDocument``
stream begins with the File Information Block; the document's characters are
assembled from the piece table in the ``0Table``/``1Table`` stream, as
[MS-DOC] specifies: each piece is either UTF-16LE or 8-bit (cp1252) text.
Only the main document is read (footnotes, headers and comments follow it).
Paragraph marks end paragraphs, table cells (cell marks) are joined with
``" | "`` one row a line (a row ends with a second mark), fields keep their
result and drop their code (``HYPERLINK "…"``, ``PAGE``), and pictures,
drawn objects and other control characters are dropped.

WPS Office's ``.wps`` (WPS 文字) is the same format. Word 6/95 files and
Microsoft Works files are told apart (``old``, ``notword``). Like
:mod:`.pdfworker` it imports nothing from the ``indexer`` package.
"""

from __future__ import annotations

import json
import struct
import sys

CELL = " | "
#: FIB offsets (Word 97 and later)
_FLAGS = 0x0A
_ENCRYPTED = 0x0100
_WHICH_TABLE = 0x0200
#: nFib of Word 97: earlier versions have no Unicode piece table
_NFIB_WORD97 = 0x00C1
_DROP = dict.fromkeys(map(ord, "\x01\x02\x03\x04\x05\x06\x08\x1f\x0e\x0f\x10\x11\x12"))


class Refused(Exception):
    """A file that is not a Word 97–2003 document, or cannot be read: ``(error, detail)``."""


def _fib(word: bytes) -> tuple[int, int, int, int]:
    """``(flags, ccpText, fcClx, lcbClx)`` from the File Information Block."""
    if len(word) < 0x20 or struct.unpack_from("<H", word, 0)[0] != 0xA5EC:
        raise Refused("damaged", "WordDocument stream has no Word signature")
    nfib = struct.unpack_from("<H", word, 2)[0]
    flags = struct.unpack_from("<H", word, _FLAGS)[0]
    if flags & _ENCRYPTED:
        raise Refused("encrypted", "the document is password-protected")
    if nfib < _NFIB_WORD97 and nfib not in (0x00C0,):
        raise Refused("old", f"Word 6/95 format (nFib {nfib:#x})")
    pos = 32
    csw = struct.unpack_from("<H", word, pos)[0]
    pos += 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, pos)[0]
    rglw = pos + 2
    if cslw < 4:
        raise Refused("damaged", "File Information Block is too short")
    ccp_text = struct.unpack_from("<i", word, rglw + 3 * 4)[0]
    pos = rglw + 4 * cslw
    cb = struct.unpack_from("<H", word, pos)[0]
    if cb < 34:
        raise Refused("damaged", "File Information Block has no piece table entry")
    fc_clx, lcb_clx = struct.unpack_from("<II", word, pos + 2 + 33 * 8)
    return flags, ccp_text, fc_clx, lcb_clx


def _pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[tuple[int, int, int, bool]]:
    """The piece table: ``(cp_start, cp_end, byte offset, compressed)`` per piece."""
    clx = table[fc_clx : fc_clx + lcb_clx]
    if len(clx) != lcb_clx:
        raise Refused("damaged", "piece table lies outside the table stream")
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc: property modifiers, skipped
        (cb,) = struct.unpack_from("<h", clx, i + 1)
        i += 3 + max(cb, 0)
    if i >= len(clx) or clx[i] != 0x02:
        raise Refused("damaged", "no piece table in the document")
    (lcb,) = struct.unpack_from("<I", clx, i + 1)
    plc = clx[i + 5 : i + 5 + lcb]
    n = (len(plc) - 4) // 12
    if n <= 0:
        raise Refused("damaged", "empty piece table")
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    out = []
    for k in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)[0]
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        out.append((cps[k], cps[k + 1], offset, compressed))
    return out


def document_text(word: bytes, table: bytes, ccp_text: int, fc_clx: int, lcb_clx: int) -> str:
    """The main document's characters, as stored (with Word's control characters)."""
    chunks = []
    for start, end, offset, compressed in _pieces(table, fc_clx, lcb_clx):
        if start >= ccp_text:
            break
        count = min(end, ccp_text) - start
        if count <= 0:
            continue
        if compressed:
            data = word[offset : offset + count]
            chunks.append(data.decode("cp1252", "replace"))
        else:
            data = word[offset : offset + 2 * count]
            chunks.append(data.decode("utf-16-le", "replace"))
    return "".join(chunks)


def paragraphs(raw: str) -> list[str]:
    """Paragraphs and table rows from the stored characters (see the module docstring)."""
    # fields: \x13 code \x14 result \x15 (nested); keep the result only
    out, depth_code = [], []
    for ch in raw:
        if ch == "\x13":
            depth_code.append(True)
        elif ch == "\x14":
            if depth_code:
                depth_code[-1] = False
        elif ch == "\x15":
            if depth_code:
                depth_code.pop()
        elif not any(depth_code):
            out.append(ch)
    text = "".join(out).translate(_DROP)
    text = text.replace("\x1e", "-").replace("\xa0", " ").replace("\x0b", "\n")
    text = text.replace("\x0c", "\r").replace("\n", "\r")
    lines, cells = [], []
    for piece in _split_marks(text):
        if piece == "\x07":  # a row mark right after a cell mark: the row ends
            if cells:
                lines.append(CELL.join(cells))
                cells = []
            continue
        if piece.endswith("\x07"):
            cells.append(" ".join(piece[:-1].replace("\r", " ").split()))
            continue
        if cells:  # text after cells without a row mark: end the row
            lines.append(CELL.join(cells))
            cells = []
        lines.extend(piece.split("\r"))
    if cells:
        lines.append(CELL.join(cells))
    return [
        " ".join(line.split()) if "\t" in line else line.strip() for line in lines if line.strip()
    ]


def _split_marks(text: str) -> list[str]:
    """Text cut after each cell mark; a mark following a mark stands alone (a row's end)."""
    out: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == "\x07":
            piece = text[start : i + 1]
            if piece == "\x07":
                out.append("\x07")
            else:
                # text before the cell's own paragraph, if any, stays outside the table
                head, _, cell = piece.rpartition("\r")
                if head:
                    out.append(head + "\r")
                out.append(cell)
            start = i + 1
    if start < len(text):
        out.append(text[start:])
    return out


def read(path: str) -> list[str]:
    import olefile

    if not olefile.isOleFile(path):
        raise Refused("notword", "not an OLE compound file")
    with olefile.OleFileIO(path) as ole:
        if not ole.exists("WordDocument"):
            works = ole.exists("CONTENTS") or ole.exists("MatOST")
            raise Refused(
                "notword", "a Microsoft Works file" if works else "no WordDocument stream"
            )
        word = ole.openstream("WordDocument").read()
        flags, ccp, fc_clx, lcb_clx = _fib(word)
        name = "1Table" if flags & _WHICH_TABLE else "0Table"
        if not ole.exists(name):
            raise Refused("damaged", f"no {name} stream")
        table = ole.openstream(name).read()
    return paragraphs(document_text(word, table, ccp, fc_clx, lcb_clx))


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    name = type(exc).__name__
    return (f"{name}: {msg}" if msg else name)[:160]


def run(path: str) -> dict:
    try:
        return {"ok": True, "paragraphs": read(path)}
    except Refused as r:
        return {"ok": False, "error": r.args[0], "detail": r.args[1]}
    except ImportError as e:
        return {"ok": False, "error": "internal", "detail": _one_line(e)}
    except MemoryError:
        return {"ok": False, "error": "memory", "detail": "MemoryError"}
    except Exception as e:  # noqa: BLE001 - olefile and struct raise many kinds
        return {"ok": False, "error": "damaged", "detail": _one_line(e)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Text of a .doc/.wps file as JSON.")
    parser.add_argument("path")
    parser.add_argument("--cpu", type=float, default=0)
    parser.add_argument("--memory", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import math
        import resource

        if args.cpu > 0:
            whole = math.ceil(args.cpu)
            resource.setrlimit(resource.RLIMIT_CPU, (whole, whole + 1))
        if args.memory > 0:
            resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    except ImportError:
        pass
    result = run(args.path)
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
