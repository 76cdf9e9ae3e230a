"""Plain data passed between the pipeline stages (no Whoosh types here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Canonical section keys (督察规定 Art. 25) and their Chinese labels, in report order.
SECTION_LABELS: dict[str, str] = {
    "measures": "主要举措和成效",
    "shortcomings": "存在的不足和原因",
    "leadership": "党政主要负责人履行推进法治建设第一责任人职责情况",
    "plans": "下一年度工作安排",
    "other_matters": "其他需要报告的情况",
    "other": "其他",
}
SECTION_KEYS: tuple[str, ...] = tuple(SECTION_LABELS)


@dataclass(frozen=True)
class TextLine:
    """One printed line of a PDF page and where it sits (PDF points, y upwards).

    ``spans`` are its runs of text separated by wide gaps (more than a
    character's width: table cells, columns, tab stops), left to right, as
    ``(x0, x1, text)``; empty when the line is one run.
    """

    text: str
    x0: float
    x1: float
    y0: float  # bottom
    y1: float  # top
    size: float  # font size of most of its glyphs
    bold: bool = False  # the font says bold, or the glyphs are drawn twice
    spans: tuple[tuple[float, float, str], ...] = ()


@dataclass(frozen=True)
class PageLayout:
    """The printed lines of one PDF page, top to bottom, and its horizontal rules
    ``(x0, x1, y)`` (table borders, underlines)."""

    width: float
    height: float
    lines: tuple[TextLine, ...] = ()
    rules: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class Extracted:
    """Raw text of one file, before normalization."""

    text: str
    #: "pdf", "docx", "doc", "wps", "ofd", "html" or "text"
    kind: str
    #: for paged formats, the text of each page (``text`` is these joined by "\f")
    pages: tuple[str, ...] = ()
    #: for PDFs, the lines of each page with their geometry (aligned with ``pages``);
    #: normalize rebuilds paragraphs from it rather than from the text
    layout: tuple[PageLayout, ...] = ()
    #: the pages (1-based) whose text was read with OCR, and its mean confidence (0–1)
    ocr_pages: tuple[int, ...] = ()
    ocr_confidence: float | None = None


@dataclass
class Section:
    """One heading of the report's outline."""

    key: str  # canonical key, one of SECTION_KEYS
    heading: str  # the heading as written (normalized), "" for the preamble
    level: int = 1  # 1 = top-level part
    parent: int | None = None  # index of the parent in Report.sections

    @property
    def label(self) -> str:
        return SECTION_LABELS[self.key]

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "heading": self.heading,
            "level": self.level,
            "parent": self.parent,
        }


#: What a passage is in the document, and how a page labels a hit in it. Every line
#: of a report is a passage of one of these kinds, so every character is searchable.
PASSAGE_KINDS: dict[str, str] = {
    "body": "正文",
    "title": "标题",
    "heading": "小标题",
    "header": "版头",
    "signature": "落款",
}
#: kinds whose wording drafters reuse (precedents compare these; the header's document
#: number and the signature's name and date are not wording)
WORDING_KINDS: frozenset[str] = frozenset({"body", "title", "heading"})


@dataclass
class Passage:
    """A paragraph, numbered item, heading, title or header/signature line: the unit of
    matching, snippets and citation."""

    id: int  # 1-based position in the report
    section: str  # canonical key of the part it belongs to
    heading: str  # innermost heading above it, its own text for a heading ("" in the preamble)
    text: str
    path: list[str] = field(default_factory=list)  # headings from the top down
    kind: str = "body"  # one of PASSAGE_KINDS

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """A structured report: metadata, outline and passages."""

    source: str
    title: str | None = None
    issuer: str | None = None
    township: str | None = None
    county: str | None = None
    city: str | None = None
    province: str | None = None
    year: int | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    doc_number: str | None = None
    #: whose document: township, county, city, province or department (REPORT_LEVELS)
    level: str | None = None
    #: what document: annual_report, policy_interpretation, … (REPORT_KINDS)
    kind: str | None = None
    #: the page's own metadata block: 索引号 and 主题分类
    index_number: str | None = None
    subject: str | None = None
    #: the report's public web address (a sidecar NAME.meta.json, or the page's canonical link)
    url: str | None = None
    sections: list[Section] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    #: the file format: "pdf", "docx", "html" or "text" (internal, not in listings)
    format: str = "text"
    sha256: str | None = None
    #: the text was read from a scan with OCR (some pages or all), and its mean confidence
    ocr: bool = False
    ocr_confidence: float | None = None

    META_FIELDS = (
        "source",
        "title",
        "issuer",
        "township",
        "county",
        "city",
        "province",
        "year",
        "date",
        "doc_number",
        "level",
        "kind",
        "index_number",
        "subject",
        "url",
    )
    #: how the text was read (not read from it): in listings and ``to_dict``
    READING_FIELDS = ("ocr", "ocr_confidence")

    def metadata(self) -> dict:
        return {k: getattr(self, k) for k in self.META_FIELDS}

    def to_dict(self, *, passages: bool = True) -> dict:
        d = self.metadata()
        d.update((k, getattr(self, k)) for k in self.READING_FIELDS)
        d["sections"] = [s.to_dict() for s in self.sections]
        if passages:
            d["passages"] = [p.to_dict() for p in self.passages]
        return d


#: Report levels and kinds (see indexer.ingest.doctype), with the labels pages show.
REPORT_LEVELS: dict[str, str] = {
    "township": "乡镇（街道）",
    "county": "县级",
    "city": "市级",
    "province": "省级",
    "department": "部门",
}
REPORT_KINDS: dict[str, str] = {
    "annual_report": "法治政府建设年度报告",
    "policy_interpretation": "政策解读",
    "work_plan": "工作要点、计划、方案",
    "assessment_plan": "考核方案、细则",
    "disclosure_report": "政府信息公开年度报告",
    "other": "其他文件",
}


#: The fields of a report in listings (`fazhi reports --json`, /api/reports).
LISTING_FIELDS: tuple[str, ...] = ("id", *Report.META_FIELDS, *Report.READING_FIELDS, "sections")


#: Short Chinese names users type for a section, besides the key and the full label.
SECTION_ALIASES: dict[str, str] = {
    "举措": "measures",
    "成效": "measures",
    "主要举措": "measures",
    "不足": "shortcomings",
    "问题": "shortcomings",
    "存在问题": "shortcomings",
    "负责人": "leadership",
    "第一责任人": "leadership",
    "履职": "leadership",
    "计划": "plans",
    "安排": "plans",
    "下一步": "plans",
    "其他需要报告": "other_matters",
    "其他事项": "other_matters",
    "其他情况": "other_matters",
    "其他": "other",
}


def resolve_section(value: str) -> str | None:
    """Canonical key for a section key, its Chinese label or a short alias."""
    v = value.strip()
    if v.lower() in SECTION_LABELS:
        return v.lower()
    for key, label in SECTION_LABELS.items():
        if v == label:
            return key
    return SECTION_ALIASES.get(v)
