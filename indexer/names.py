"""File names of any bytes: stored losslessly, shown safely, one line each.

On Linux a file name is bytes. Python reads one that is not UTF-8 (GBK, as
left by unzipping a Chinese archive) into a ``str`` whose undecodable bytes
are lone surrogates (``"\\udcb7\\udca8.txt"``, PEP 383): the exact name,
which opens the file again, but not text that UTF-8 can encode. So:

* stored, names keep those surrogates: :func:`dumps` writes JSON whose lone
  surrogates are ``\\udcXX`` escapes (valid UTF-8 JSON that ``json.loads``
  reads back to the same name);
* shown — on a terminal, in JSON output, in a web page — they become U+FFFD
  replacement characters (:func:`printable`, :func:`printable_json`): the
  CLI prints through them, the web app's JSON responses too, and search
  reads each report's ``source`` through :func:`printable` (its ``path``
  keeps the exact name, to open the file);
* in a one-line message, control and format characters (a newline, an escape
  sequence or a right-to-left override in a file name) are written as Python
  escapes too (:func:`one_line`).

Everything that prints a name goes through one of these.
"""

from __future__ import annotations

import json
import re
import unicodedata

_SURROGATES = re.compile("[\ud800-\udfff]+")
#: what one_line escapes: control characters (Cc), format characters that
#: reorder or hide text (Cf: bidirectional overrides, zero-width characters, the
#: BOM) and the line and paragraph separators; a name holding U+202E shows as
#: ``x\\u202egpj.exe``, not as a name that reads ``xexe.jpg``
_ESCAPED = frozenset(("Cc", "Cf", "Zl", "Zp"))


def _escape_surrogates(m: re.Match) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in m.group())


def dumps(obj, **kwargs) -> str:
    """``json.dumps(obj, ensure_ascii=False)``, with lone surrogates as ``\\uXXXX`` escapes.

    The result encodes to UTF-8 whatever names ``obj`` holds, and
    ``json.loads`` gives back exactly ``obj``.
    """
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    # a lone surrogate can only stand inside a JSON string, where its escape means the same
    return _SURROGATES.sub(_escape_surrogates, text) if _SURROGATES.search(text) else text


def _replace(m: re.Match) -> str:
    run = m.group()
    try:  # the bytes the surrogates stand for, decoded as UTF-8 can: one U+FFFD per bad sequence
        return run.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that stand for no byte
        return "\ufffd" * len(run)


def printable(text: str) -> str:
    """``text`` as it can be shown: undecodable bytes of a file name become U+FFFD."""
    return _SURROGATES.sub(_replace, text) if _SURROGATES.search(text) else text


def printable_json(obj, **kwargs) -> str:
    """``obj`` as JSON to show (``ensure_ascii=False``), undecodable bytes as U+FFFD."""
    return printable(json.dumps(obj, ensure_ascii=False, **kwargs))


def _control(c: str) -> str:
    if unicodedata.category(c) not in _ESCAPED:
        return c
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (
        f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
    )


def one_line(text: str) -> str:
    """``text`` fit for one line of a message: :func:`printable`, control characters escaped.

    ``"a\\nb.txt"`` → ``a\\nb.txt`` (a backslash and an ``n``), so a file name
    can neither break a message in two nor send a terminal escape sequence.
    """
    text = printable(text)
    return text if text.isprintable() else "".join(map(_control, text))
