"""Child process that reads scanned PDF pages with OCR (see :mod:`indexer.ingest.ocr`).

Run as ``python -I ocrworker.py PATH --pages 1,3 --dpi 150 --max-side 2000
--page-cpu 60 --cpu 900 --memory BYTES --threads 1``. It sets its own limits
before it reads the file — the file's processor time (RLIMIT_CPU), the
page's (a profiling timer re-armed before each page, ending the process with
SIGPROF), and address space — then prints one JSON object a line on stdout,
as it goes, so that the parent can show progress and keep every page read
before a limit stopped the rest::

    {"event": "ready", "cpu": 1.1}                       engine loaded
    {"event": "start", "page": 3, "cap": "page", "budget": 60.0}
    {"event": "page", "page": 3, "width": 595.3, "height": 841.9, "blank": false,
     "boxes": [[text, x0, x1, y0, y1, score], ...], "cpu": 6.8}
    {"event": "error", "error": "internal" | "memory" | "damaged", "detail": "..."}

``cap`` says which budget the page runs under: its own (``page``) or what
is left of the file's (``file``). Boxes are in PDF points, y upwards, as the
text layer's lines are; pages are numbered from 1.

A page is rendered by PDFium (pypdfium2) at ``--dpi``, at most
``--max-side`` pixels on its longer side (the recogniser works at that size
anyway), and only its red channel is read: a red seal is as light as the paper
there, while black and blue ink stay dark, so seals do not become text. A
page with almost no dark pixels is blank and is not recognised. Recognition
is rapidocr's (PP-OCR models shipped in its wheel, run by onnxruntime on
``--threads`` threads): nothing is downloaded.

Like :mod:`.pdfworker` it imports nothing from the ``indexer`` package.
"""

from __future__ import annotations

import json
import math
import sys
import time

#: A pixel of the red channel darker than this is ink.
INK = 160
#: A page with a smaller share of ink pixels than this is blank.
BLANK_SHARE = 0.0005


def _emit(out, obj: dict) -> None:
    out.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))
    out.flush()


def _cpu() -> float:
    return time.process_time()


def _set_limits(file_cpu: float, memory: int) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: only the parent's wall-clock limit applies
        return
    if file_cpu > 0:
        whole = math.ceil(file_cpu) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (whole, whole + 1))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _arm(seconds: float) -> None:
    """End the process with SIGPROF after ``seconds`` more of processor time (0: disarm)."""
    try:
        import signal
    except ImportError:
        return
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_PROF, max(seconds, 0.0))


def load_engine(threads: int):
    """rapidocr's engine on ``threads`` threads, quiet, orientation classifier off
    (scans are upright; a slight skew is handled by the detector's rotated boxes), and a
    lower detection threshold (measured: it finds 一、 at the start of a heading)."""
    import cv2
    from rapidocr import RapidOCR

    cv2.setNumThreads(threads)
    return RapidOCR(
        params={
            "Global.log_level": "critical",
            "Global.use_cls": False,
            # the detector's default (0.3) misses a lone thin stroke: 一、 opening a heading
            "Det.thresh": 0.1,
            "Det.box_thresh": 0.3,
            # detection on the page at most 1,280 pixels a side (recognition still reads the
            # lines at full resolution): a third less time, as accurate on A4 pages
            "Det.limit_type": "max",
            "Det.limit_side_len": 1280,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


def render(doc, index: int, dpi: float, max_side: int):
    """Page ``index`` (0-based) as an 8-bit red-channel array, its size in points, the
    scale (pixels per point) and whether it is blank."""
    import numpy as np

    page = doc[index]
    try:
        width, height = page.get_size()
        scale = min(dpi / 72.0, max_side / max(width, height, 1.0))
        bitmap = page.render(scale=scale, grayscale=False)
        rgb = bitmap.to_numpy()
    finally:
        page.close()
    # pypdfium2 renders BGR(A): the red channel is the third
    red = np.ascontiguousarray(rgb[:, :, 2]) if rgb.ndim == 3 else rgb
    blank = float((red < INK).mean()) < BLANK_SHARE
    return red, float(width), float(height), scale, blank


def recognise(engine, red, height: float, scale: float) -> list[list]:
    """Boxes read on the page: ``[text, x0, x1, y0, y1, score]`` in points, y upwards."""
    import numpy as np

    result = engine(np.dstack([red, red, red]))
    boxes = getattr(result, "boxes", None)
    if boxes is None:
        return []
    out = []
    for box, text, score in zip(boxes, result.txts, result.scores, strict=False):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        out.append(
            [
                str(text),
                round(min(xs) / scale, 2),
                round(max(xs) / scale, 2),
                round(height - max(ys) / scale, 2),
                round(height - min(ys) / scale, 2),
                round(float(score), 4),
            ]
        )
    return out


def run(path: str, pages: list[int], args, out) -> None:
    try:
        import pypdfium2 as pdfium

        engine = load_engine(args.threads)
    except MemoryError:
        _emit(out, {"event": "error", "error": "memory", "detail": "MemoryError"})
        return
    except ImportError as e:
        error = "memory" if "map" in str(e) or "allocate memory" in str(e) else "internal"
        _emit(out, {"event": "error", "error": error, "detail": _one_line(e)})
        return
    _emit(out, {"event": "ready", "cpu": round(_cpu(), 2)})
    try:
        doc = pdfium.PdfDocument(path)
    except Exception as e:  # noqa: BLE001 - PDFium's errors: the file is damaged
        _emit(out, {"event": "error", "error": "damaged", "detail": _one_line(e)})
        return
    try:
        for number in pages:
            left = args.cpu - _cpu() if args.cpu > 0 else math.inf
            budget = min(args.page_cpu if args.page_cpu > 0 else math.inf, left)
            cap = "page" if budget < left or math.isinf(left) else "file"
            _emit(
                out,
                {"event": "start", "page": number, "cap": cap,
                 "budget": None if math.isinf(budget) else round(budget, 2)},
            )  # fmt: skip
            if not math.isinf(budget):
                _arm(max(budget, 0.01))
            start = _cpu()
            red, width, height, scale, blank = render(doc, number - 1, args.dpi, args.max_side)
            boxes = [] if blank else recognise(engine, red, height, scale)
            _arm(0)
            _emit(
                out,
                {"event": "page", "page": number, "width": round(width, 2),
                 "height": round(height, 2), "blank": blank, "boxes": boxes,
                 "cpu": round(_cpu() - start, 2)},
            )  # fmt: skip
    except MemoryError:
        _emit(out, {"event": "error", "error": "memory", "detail": "MemoryError"})
    except Exception as e:  # noqa: BLE001 - reported to the parent, never a traceback
        _emit(out, {"event": "error", "error": "damaged", "detail": _one_line(e)})
    finally:
        doc.close()


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    name = type(exc).__name__
    return (f"{name}: {msg}" if msg else name)[:160]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="OCR pages of one PDF; JSON lines out.")
    parser.add_argument("path")
    parser.add_argument("--pages", required=True, help="page numbers from 1, comma-separated")
    parser.add_argument("--dpi", type=float, default=150)
    parser.add_argument("--max-side", type=int, default=2000)
    parser.add_argument("--page-cpu", type=float, default=0)
    parser.add_argument("--cpu", type=float, default=0)
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    _set_limits(args.cpu, args.memory)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # whatever a library prints must not mix with the JSON lines
    pages = [int(p) for p in args.pages.split(",") if p]
    try:
        run(args.path, pages, args, out)
    except MemoryError:
        _emit(out, {"event": "error", "error": "memory", "detail": "MemoryError"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
