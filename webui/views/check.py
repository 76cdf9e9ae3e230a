"""Check a draft: ``/check`` (the form) and ``POST /api/check`` (the answer).

A township drafter pastes the report being written or uploads its file; the
answer lists every sentence with the reports that hold the same or
near-identical wording, the share of the draft's characters found elsewhere,
the source reports ranked, and the five parts of Art. 25 (see
:func:`indexer.analytics.check_draft`). ``POST /api/check`` is the app's only
POST and writes nothing: the draft is read in memory (an upload goes to a
temporary file that the sandboxed extraction reads, removed at once) and
neither stored nor indexed. ``format``: ``json`` (default, what ``fazhi draft
--json`` prints), ``html`` (the result page the form posts to, which works
without script), ``csv`` or ``xlsx`` (one row per sentence).

Caps: an upload of at most :data:`MAX_UPLOAD_BYTES` of one of
:data:`DRAFT_EXTENSIONS`, a draft of at most :data:`MAX_DRAFT_CHARS`
characters, and the comparing time of :data:`indexer.analytics.draft.CHECK_SECONDS`.
Every refusal is a 4xx with a one-line reason.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import PurePath

from flask import Blueprint, g, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from indexer.errors import ExtractionError, QueryError, UnsupportedFormat
from indexer.ingest import load_report, report_from_text

from .. import citation, exports, tables
from ..ext import analytics
from ..responses import json_response
from ..urls import ReportLinks

bp = Blueprint("check", __name__)

#: the file types a draft may be uploaded as (those the extraction cannot read yet
#: are refused with its reason)
DRAFT_EXTENSIONS = (".docx", ".doc", ".wps", ".pdf", ".ofd", ".txt", ".md")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: characters of draft text compared (a report is 3,000–20,000)
MAX_DRAFT_CHARS = 200_000
_FORMATS = ("json", "html", "csv", "xlsx")


class DraftError(QueryError):
    """A draft that cannot be checked (empty, too large, of a type not read)."""

    def __init__(self, message: str, status: int = 400, message_zh: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message_zh = message_zh or message


@bp.get("/check")
def page():
    return render_template("check.html", result=None, limits=_limits())


def _limits() -> dict:
    return {
        "mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "chars": MAX_DRAFT_CHARS,
        "extensions": "、".join(DRAFT_EXTENSIONS),
    }


@bp.post("/api/check")
def api():
    fmt = "html" if request.args.get("format") == "html" else "json"
    # this request only: a file of MAX_UPLOAD_BYTES, a pasted draft percent-encoded
    request.max_content_length = MAX_UPLOAD_BYTES + 1024 * 1024
    request.max_form_memory_size = MAX_DRAFT_CHARS * 9 + 64 * 1024
    try:
        fmt = exports.check_format(
            _field("format") or request.args.get("format") or "json", _FORMATS
        )
        draft = _read_draft()
        result = analytics().check(draft.to_dict())
    except DraftError as exc:
        return _refuse(fmt, exc)
    except RequestEntityTooLarge:
        return _refuse(
            fmt,
            DraftError(
                f"the request is too large (the limit for a file is {MAX_UPLOAD_BYTES // 2**20} MiB)",
                413,
                f"文件过大：上传的文件不能超过 {MAX_UPLOAD_BYTES // 2**20} MB。",
            ),
        )
    except UnsupportedFormat as exc:
        return _refuse(
            fmt, DraftError(_named(exc), 415, f"无法读取这种文件：{_reason_zh(exc.reason)}")
        )
    except ExtractionError as exc:
        return _refuse(fmt, DraftError(_named(exc), 422, f"无法读取文件：{_reason_zh(exc.reason)}"))
    except QueryError as exc:
        return _refuse(fmt, DraftError(exc.user_message(), 400, "请求的参数无法识别。"))
    result["source"] = draft.source
    if fmt == "json":
        return json_response(result)
    text = "\n".join(p.text for p in draft.passages)
    if fmt in ("csv", "xlsx"):
        return exports.download(fmt, tables.check_rows(result), "fazhi-check", draft.title or "")
    return render_template(
        "check.html",
        result=_for_page(result),
        text=text,
        limits=_limits(),
    )


def _field(name: str) -> str:
    value = request.values.get(name)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get(name), str):
            value = body[name]
    return value or ""


def _read_draft():
    """The draft of the request as a Report: the uploaded ``file``, else the ``text``."""
    length = request.content_length
    if length is not None and length > request.max_content_length:
        raise RequestEntityTooLarge()
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return _read_upload(upload)
    text = _field("text")
    if not text.strip():
        raise DraftError(
            "nothing to check: paste the draft's text (text) or upload its file (file)",
            400,
            "没有可检查的内容：请粘贴报告文字或上传文件。",
        )
    if len(text) > MAX_DRAFT_CHARS:
        raise DraftError(
            f"the draft is too long ({len(text):,} characters; the limit is {MAX_DRAFT_CHARS:,})",
            413,
            f"文字过长（{len(text):,} 字），一次最多检查 {MAX_DRAFT_CHARS:,} 字。",
        )
    return report_from_text(text, source="粘贴的文字", max_chars=MAX_DRAFT_CHARS)


def _read_upload(upload):
    name = PurePath(upload.filename.replace("\\", "/")).name[:200] or "draft"
    g.fazhi_draft_name = name
    ext = PurePath(name).suffix.lower()
    if ext not in DRAFT_EXTENSIONS:
        raise DraftError(
            f"unsupported file type '{ext[:12] or '(none)'}' (upload one of: {', '.join(DRAFT_EXTENSIONS)})",
            415,
            f"不支持这种文件（{ext[:12] or '无扩展名'}）：请上传 {'、'.join(DRAFT_EXTENSIONS)} 文件。",
        )
    fd, tmp = tempfile.mkstemp(prefix="fazhi-draft-", suffix=ext)
    try:
        with os.fdopen(fd, "wb") as out:
            size = 0
            while chunk := upload.stream.read(1 << 16):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise RequestEntityTooLarge()
                out.write(chunk)
        if size == 0:
            raise DraftError("the file is empty", 400, "上传的文件是空的。")
        report = load_report(tmp, source=name)
    finally:
        os.unlink(tmp)
    report.url = None
    chars = sum(len(p.text) for p in report.passages)
    if chars > MAX_DRAFT_CHARS:
        raise DraftError(
            f"the draft is too long ({chars:,} characters; the limit is {MAX_DRAFT_CHARS:,})",
            413,
            f"文件中的文字过长（{chars:,} 字），一次最多检查 {MAX_DRAFT_CHARS:,} 字。",
        )
    return report


def _named(exc: ExtractionError) -> str:
    """The extraction's reason, naming the uploaded file rather than the temporary one."""
    name = g.get("fazhi_draft_name") or "the draft"
    return f"{name}: {exc.reason}" + (f" ({exc.hint})" if exc.hint else "")


#: the reasons an extraction gives, in Chinese (matched by their beginning)
_REASONS_ZH = (
    ("not a text file", "这不是文本文件（含有二进制数据）。"),
    ("file is too large", "文件过大。"),
    ("text is too long", "文件中的文字过长。"),
    ("no text found", "文件中没有文字。"),
    ("the text is empty", "文字是空的。"),
    ("not a PDF file", "这不是 PDF 文件。"),
    ("encrypted PDF", "PDF 已加密，请先解除加密。"),
    ("PDF has no text layer", "PDF 没有文字层（可能是扫描件），请上传 Word 文件或粘贴文字。"),
    ("PDF extraction exceeded", "PDF 读取超出时间或内存限制。"),
    ("old binary Word", "暂不能读取旧版 Word（.doc）文件，请另存为 .docx 后上传。"),
    ("unsupported file type", "暂不支持这种文件，请另存为 .docx 或 .txt 后上传。"),
)


def _reason_zh(reason: str) -> str:
    for start, zh in _REASONS_ZH:
        if reason.startswith(start) or start in reason:
            return zh
    if "docx" in reason or "zip" in reason.lower():
        return "这不是有效的 Word（.docx）文件。"
    return "文件已损坏或格式不对。"


def _refuse(fmt: str, exc: DraftError):
    if fmt == "html":
        html = render_template("check.html", result=None, error=exc.message_zh, limits=_limits())
        return html, exc.status
    return json_response({"error": exc.user_message(), "message_zh": exc.message_zh}, exc.status)


def _for_page(result: dict) -> dict:
    """The result with links: each match to its passage, each source to its report."""
    links: dict[str, ReportLinks] = {}

    def rl(rid: str) -> ReportLinks:
        if rid not in links:
            links[rid] = ReportLinks(rid, {})
        return links[rid]

    passages = []
    for p in result["passages"]:
        sentences = []
        for s in p["sentences"]:
            matches = [dict(m, url=rl(m["id"]).passage(int(m["passage"]))) for m in s["matches"]]
            sentences.append(dict(s, matches=matches))
        passages.append(dict(p, sentences=sentences))
    sources = [
        dict(s, url=rl(s["id"]).page(), display_title=citation.title_of(s))
        for s in result["sources"]
    ]
    return dict(result, passages=passages, sources=sources)
