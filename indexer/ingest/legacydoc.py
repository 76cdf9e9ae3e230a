"""Word 97–2003 ``.doc`` and WPS ``.wps``: :mod:`.docworker` in a sandboxed child process.

The child reads the OLE compound file and the document's piece table
(paragraphs, table rows with cells joined by ``" | "``, field results) under
:data:`~.limits.DOC_TIME_LIMIT` seconds of processor time and
:data:`~.limits.DOC_MEMORY_LIMIT` bytes of address space, with a real-time
backstop; the file must be at most :data:`~.limits.MAX_DOC_BYTES`. Failures
are one-line reasons: password-protected, Word 6/95, Microsoft Works, damaged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..errors import ExtractionError
from ..model import Extracted
from . import limits

_WORKER = Path(__file__).with_name("docworker.py")
_RESAVE = "open it in Word or WPS and save it as .docx"


def extract_doc(path: Path, kind: str = "doc") -> Extracted:
    """The text of a ``.doc`` or ``.wps`` file (``kind``: the Extracted kind to give)."""
    limits.checked_size(path, limits.MAX_DOC_BYTES)
    what = ".wps" if kind == "wps" else ".doc"
    cmd = [
        sys.executable,
        "-I",
        str(_WORKER),
        str(path.resolve()),
        "--cpu",
        repr(float(limits.DOC_TIME_LIMIT)),
        "--memory",
        str(limits.DOC_MEMORY_LIMIT),
    ]
    wall = max(limits.PDF_WALL_FACTOR * limits.DOC_TIME_LIMIT, limits.PDF_WALL_MIN)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=wall, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        raise ExtractionError(
            path, f"{what} reading did not finish within {wall:g}s of real time", hint=_RESAVE
        ) from None
    except OSError as e:
        raise ExtractionError(
            path,
            f"cannot start the {what} reader ({limits.one_line(e)})",
            hint="check the installation",
        ) from e
    if proc.returncode < 0:
        raise ExtractionError(
            path,
            f"{what} reading exceeded its limits ({limits.DOC_TIME_LIMIT:g}s of processor "
            f"time, {limits.DOC_MEMORY_LIMIT // limits.MiB} MiB)",
            hint=_RESAVE,
        )
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExtractionError(
            path, f"{what} reading failed ({limits.one_line(last[0])})", hint=_RESAVE
        ) from None
    if not result.get("ok"):
        error, detail = result.get("error"), limits.one_line(result.get("detail", ""))
        reasons = {
            "encrypted": (
                f"encrypted {what} file (password-protected)",
                "remove the password in Word or WPS, then save it as .docx",
            ),
            "old": (f"Word 6/95 {what} file ({detail})", _RESAVE),
            "notword": (f"not a Word 97–2003 {what} file ({detail})", _RESAVE),
            "memory": (
                f"{what} reading exceeded the memory limit ({limits.DOC_MEMORY_LIMIT // limits.MiB} MiB)",
                _RESAVE,
            ),
            "internal": (
                f"cannot run the {what} reader ({detail})",
                "check that olefile is installed",
            ),
        }
        reason, hint = reasons.get(error, (f"{what} file is damaged ({detail})", _RESAVE))
        raise ExtractionError(path, reason, hint=hint)
    text = "\n".join(str(p) for p in result.get("paragraphs") or ())
    return Extracted(text=limits.require_text(path, text), kind=kind)
