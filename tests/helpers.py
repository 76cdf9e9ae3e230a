"""Plain helpers and constants shared by the tests; the fixtures are in ``conftest.py``.

Paths of the checkout and the seed reports, ``fazhi`` in a child process,
reports and indexes built in memory or in a temporary directory, the web app
on an index (in process or behind a real WSGI server), and the headless
Chromium the browser tests launch.
"""

from __future__ import annotations

import hashlib
import random
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from indexer import index as idx
from indexer.analytics import CorpusReport
from indexer.model import Passage, Report, Section

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"
#: the bundled seed reports (text files)
SEEDS = sorted(CORPUS.glob("*.txt"))
#: the benchmark tools' small corpus (tests/test_bench*.py): 29 text files and one
#: Word document, no PDFs (they are slow to extract)
BENCH_REPORTS = 30
BENCH_CORPUS_ARGS = {"seed": 7, "pdf_share": 0.0, "docx_share": 1 / BENCH_REPORTS}
#: `fazhi` in a child process (the package need not be installed)
FAZHI = [
    sys.executable,
    "-c",
    "import sys; from indexer.cli import main; sys.exit(main(sys.argv[1:]))",
]


def short_seeds(dst: Path, chars: int = 1200) -> Path:
    """The five seed reports, cut to ``chars`` characters each, in a new directory ``dst``
    (for tests where the index matters, not the text)."""
    dst.mkdir()
    for seed in SEEDS:
        (dst / seed.name).write_text(seed.read_text(encoding="utf-8")[:chars], "utf-8")
    return dst


@contextmanager
def web_app(index_dir: Path, **config):
    """The web app on ``index_dir`` (TESTING on), its engine closed afterwards."""
    from webui import create_app

    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, **config})
    try:
        yield app
    finally:
        app.extensions["fazhi"].close()


def make_report(
    source: str,
    passages: list[str] | list[tuple[str, str]],
    *,
    township: str | None = "美湖镇",
    county: str | None = "德化县",
    city: str | None = "泉州市",
    province: str | None = "福建省",
    year: int | None = 2023,
    date: str | None = None,
    title: str | None = None,
) -> Report:
    """A report built in memory; passages are texts or (section key, text) pairs."""
    r = Report(
        source=source,
        title=title or f"{township or ''}关于{year}年度法治政府建设情况的报告",
        issuer=f"{township}人民政府" if township else None,
        township=township,
        county=county,
        city=city,
        province=province,
        year=year,
        date=date,
    )
    heads = {}
    for i, item in enumerate(passages, 1):
        key, text = item if isinstance(item, tuple) else ("measures", item)
        if key not in heads:
            heads[key] = f"{len(heads) + 1}、{key}"
            r.sections.append(Section(key=key, heading=heads[key]))
        r.passages.append(Passage(i, key, heads[key], text, [heads[key]]))
    r.sha256 = hashlib.sha256(repr((source, passages)).encode()).hexdigest()
    return r


def build_index(index_dir: Path, reports: list[Report]) -> Path:
    with idx.write_session(index_dir) as w:
        for r in reports:
            w.add_report(r, r.sha256[:16], str(index_dir / r.source))
    return index_dir


# ---------------------------------------------------------------- browser tests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def live_server(index_dir: Path):
    """The app on ``index_dir``, served by a real WSGI server on a free port of 127.0.0.1;
    yields its base URL."""
    from werkzeug.serving import make_server

    from webui import create_app

    server = make_server("127.0.0.1", 0, create_app({"INDEX_DIR": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# ---------------------------------------------------------------- downloads


def read_csv(data: bytes) -> list[list[str]]:
    """A CSV download's rows (it must start with a UTF-8 BOM)."""
    import csv
    import io

    assert data.startswith("\ufeff".encode()), "no BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list[str]]:
    """The rows of an .xlsx download's sheet as the CSV writes them (numbers as numbers
    print in CSV: 2023, 0.5, 1.0 → "1.0" kept apart from "1"), after checking that no
    cell is a formula or a link."""
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    rows = []
    for row in sheet.iter_rows():
        out = []
        for c in row:
            assert c.data_type != "f" and c.hyperlink is None, c.coordinate
            out.append("" if c.value is None else str(c.value))
        rows.append(out)
    return rows


def same_table(csv_rows: list[list[str]], xlsx_rows: list[list[str]]) -> bool:
    """Whether the two downloads hold the same rows (numbers compared as numbers; a CSV
    cell that would start a formula carries a leading ')."""

    def norm(v: str) -> str:
        try:
            return repr(float(v))
        except ValueError:
            return v[1:] if v.startswith("'") and v[1:2] in "=+-@" else v

    trim = [[norm(v) for v in r] for r in csv_rows]
    other = [[norm(v) for v in r] for r in xlsx_rows]
    width = max((len(r) for r in trim + other), default=0)
    pad = [r + [""] * (width - len(r)) for r in trim]
    return pad == [r + [""] * (width - len(r)) for r in other]


def sentence_pool(rng: random.Random, n: int) -> list[CorpusReport]:
    """``n`` reports of sentences drawn from a few, some altered, some with the town's name."""
    alphabet = "法治政府建设依法行政执法普法乡镇村"
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(12, 30))) for _ in range(12)]
    out = []
    for i in range(n):
        town = rng.choice(["甲镇", "乙乡", "丙镇"])
        passages = []
        for _ in range(rng.randint(1, 3)):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                s = list(rng.choice(base))
                for _ in range(rng.choice([0, 0, 1, 3])):
                    s[rng.randrange(len(s))] = rng.choice(alphabet)
                if rng.random() < 0.2:
                    s.insert(2, town)
                sentences.append("".join(s) + "。")
            passages.append("".join(sentences))
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        meta = {"id": f"r{i:03d}", "source": f"r{i:03d}.txt", "township": town,
                "year": 2020 + i % 4, "date": f"{2020 + i % 4}-{month:02d}-{day:02d}"}  # fmt: skip
        out.append(CorpusReport(meta, tuple(range(1, len(passages) + 1)), tuple(passages)))
    return out
