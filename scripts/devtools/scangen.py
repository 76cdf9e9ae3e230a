"""Scanned reports for tests and measurements: a report printed, stamped and scanned.

:func:`render_scanned_report` prints a report the way :mod:`.pdfgen` does,
rasterises every page (PDFium), stamps a red round seal over the signature
on the last page (multiplied over the ink, as a stamp on paper is), turns the
page by a slight skew, adds speckle noise and saves the pages as JPEG images
in a PDF with no text layer at all. :func:`image_pdf` builds other
image-only PDFs (blank pages, one huge image) and :func:`mixed_pdf` puts a
scanned page among text pages.

Only reportlab, pypdfium2, Pillow and numpy are used.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont

from .pdfgen import layout_lines, render_report_pdf

#: a CJK font for the seal's ring of characters (Debian's fonts-wqy-microhei), if installed
SEAL_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
SEAL_RED = (215, 25, 32)


def rasterise(pdf: str | Path, dpi: int) -> list[Image.Image]:
    """Every page of ``pdf`` as an RGB image at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


def _font(size: int):
    for path in SEAL_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def seal(diameter: int, text: str) -> Image.Image:
    """A red round seal on white: a ring, a star and ``text`` around the upper arc."""
    img = Image.new("RGB", (diameter, diameter), "white")
    d = ImageDraw.Draw(img)
    r = diameter / 2
    ring = max(3, diameter // 40)
    d.ellipse((ring, ring, diameter - ring, diameter - ring), outline=SEAL_RED, width=ring)
    star = [
        (
            r + (r * 0.28 if i % 2 == 0 else r * 0.11) * math.sin(math.pi * i / 5),
            r - (r * 0.28 if i % 2 == 0 else r * 0.11) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    d.polygon(star, fill=SEAL_RED)
    font = _font(int(diameter * 0.13))
    if font is not None and text:
        span = math.radians(220)
        for i, ch in enumerate(text):
            a = -span / 2 + span * (i + 0.5) / len(text)
            glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
            ImageDraw.Draw(glyph).text((font.size // 2, font.size // 2), ch, font=font, fill=255)
            glyph = glyph.rotate(-math.degrees(a), resample=Image.BICUBIC)
            cx = r + (r * 0.72) * math.sin(a) - glyph.width / 2
            cy = r - (r * 0.72) * math.cos(a) - glyph.height / 2
            img.paste(Image.new("RGB", glyph.size, SEAL_RED), (int(cx), int(cy)), glyph)
    return img


def stamp(page: Image.Image, centre: tuple[int, int], diameter: int, text: str) -> Image.Image:
    """``page`` with a seal multiplied over it (ink under the stamp stays dark)."""
    mark = Image.new("RGB", page.size, "white")
    mark.paste(seal(diameter, text), (centre[0] - diameter // 2, centre[1] - diameter // 2))
    return ImageChops.multiply(page, mark)


def scan_effects(
    page: Image.Image, rng: random.Random, *, skew: float, noise: float
) -> Image.Image:
    """Turn ``page`` by up to ``skew`` degrees and add grey speckles on ``noise`` of the pixels."""
    angle = rng.uniform(-skew, skew) or skew
    page = page.rotate(angle, resample=Image.BICUBIC, fillcolor="white")
    pixels = np.asarray(page).astype(np.int16)
    gen = np.random.default_rng(rng.randrange(1 << 30))
    mask = gen.random(pixels.shape[:2]) < noise
    pixels[mask] = gen.integers(60, 200, size=(int(mask.sum()), 1))
    pixels += gen.normal(0, 6, size=pixels.shape).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def image_pdf(images: list[Image.Image], out: str | Path, dpi: int, quality: int = 70) -> Path:
    """A PDF of one JPEG image a page, no text layer, each page the image's size at ``dpi``."""
    out = Path(out)
    first, rest = images[0], images[1:]
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest, quality=quality)
    return out


def render_scanned_report(
    text: str,
    out: str | Path,
    *,
    issuer: str = "",
    dpi: int = 150,
    chars_per_line: int = 28,
    lines_per_page: int = 22,
    skew: float = 0.6,
    noise: float = 0.01,
    quality: int = 70,
    seed: int = 0,
) -> Path:
    """The report printed (as :func:`~.pdfgen.render_report_pdf`, lines wrapped by
    width as Word wraps them), stamped with a red seal
    reading ``issuer`` over the last lines (the signature block), skewed, speckled and
    saved as JPEG pages without a text layer."""
    out = Path(out)
    printed = render_report_pdf(
        text,
        out.with_suffix(".print.pdf"),
        chars_per_line=chars_per_line,
        lines_per_page=lines_per_page,
        by_width=True,
    )
    pages = rasterise(printed, dpi)
    printed.unlink()
    lines = layout_lines(text, chars_per_line, by_width=True)
    on_last = (len(lines) - 1) % lines_per_page  # the last line's place on its page
    scale = dpi / 72
    top = 842 - 100  # as render_report_pdf lays out an A4 page
    y = int((842 - (top - on_last * 28.9)) * scale)
    left = (595 - chars_per_line * 16) / 2  # the body's left margin (16 pt characters)
    x = int((left + 6 * 16) * scale)  # over the issuing body's name, as a seal is placed
    diameter = int(120 * scale)  # a 42 mm seal
    pages[-1] = stamp(pages[-1], (x, y - int(14 * scale)), diameter, issuer)
    rng = random.Random(seed)
    pages = [scan_effects(p, rng, skew=skew, noise=noise) for p in pages]
    return image_pdf(pages, out, dpi, quality)


def mixed_pdf(text_pdf: str | Path, scanned_pdf: str | Path, out: str | Path, at: int) -> Path:
    """``text_pdf`` with the first page of ``scanned_pdf`` inserted as page ``at`` (0-based)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(text_pdf))
    scan = pdfium.PdfDocument(str(scanned_pdf))
    try:
        doc.import_pages(scan, [0], index=at)
        doc.save(str(out))
    finally:
        scan.close()
        doc.close()
    return Path(out)


def _image_pages_pdf(out: str | Path, pages: int, image: bytes, draw: bytes) -> Path:
    """``pages`` A4 pages that each draw the one image XObject ``image``."""
    from .pdfgen import write_raw_pdf

    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        image,
    ]
    content = 4 + pages
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources"
        b" << /XObject << /Im0 3 0 R >> >> /Contents %d 0 R >>" % content
    ] * pages
    objects.append(b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream")
    return write_raw_pdf(out, objects)


def blank_scan_pdf(out: str | Path, pages: int) -> Path:
    """A PDF of ``pages`` pages, each showing the same small white image (a blank scan)."""
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Length 64 >>\nstream\n" + b"\xff" * 64 + b"\nendstream"
    )
    return _image_pages_pdf(out, pages, image, b"q 595 0 0 842 0 0 cm /Im0 Do Q")


def huge_image_pdf(out: str | Path, side: int = 20_000) -> Path:
    """A one-page PDF showing a ``side`` × ``side`` pixel image (1 bit a pixel, deflated:
    a small file that would take gigabytes to decode)."""
    import zlib

    c = zlib.compressobj(9)
    row = b"\xff" * ((side + 7) // 8)
    data = b"".join(c.compress(row) for _ in range(side)) + c.flush()
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(data))
        + data
        + b"\nendstream"
    )
    return _image_pages_pdf(out, 1, image, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
