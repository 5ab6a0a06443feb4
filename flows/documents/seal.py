"""The organ's seal as printed on its documents: a red ring, the seal text along the upper arc, a star.

An image (PNG with transparency) drawn with Pillow in the document's main font, made once per seal
text. It shows whose document it is, the way a stamped paper does; what makes a document genuine is
the verification code and the signed QR code (flows/documents/signing.py), never this picture. A province with
an electronic seal platform (GB/T 38540) replaces it there.
"""

from __future__ import annotations

import functools
import io
import math

from PIL import Image, ImageChops, ImageDraw, ImageFont

from flows.documents.fonts import font_codepoints, font_file

SIZE = 360  # pixels; printed 38 mm wide
RED = (200, 16, 30)
OPACITY = 0.85  # the organ's name and the date show through, as under a real stamp
INK = 255


def drawable(text: str) -> bool:
    """Whether the seal text can be drawn in the main font (otherwise the document goes without the picture)."""
    return bool(text.strip()) and all(ord(c) in font_codepoints() for c in text if not c.isspace())


@functools.lru_cache(maxsize=64)
def seal_png(text: str) -> bytes:
    """The seal of `text` as PNG bytes: one red everywhere, the shape in the alpha channel (compresses small)."""
    shape = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(shape)
    centre, radius = SIZE / 2, SIZE / 2 - 7
    draw.ellipse((7, 7, SIZE - 7, SIZE - 7), outline=INK, width=10)
    _star(draw, centre, centre + 9, 53)
    chars = [c for c in text if not c.isspace()]
    size = max(26, min(52, int(480 / max(len(chars), 1))))
    font = ImageFont.truetype(str(font_file()), size, index=0)
    spread = min(260.0, 30.0 * len(chars))  # degrees of arc the text covers, centred on the top
    for index, char in enumerate(chars):
        angle = -spread / 2 + spread * (index + 0.5) / len(chars)  # 0 = top, clockwise
        glyph = Image.new("L", (size + 10, size + 10), 0)
        ImageDraw.Draw(glyph).text(((size + 10) / 2, (size + 10) / 2), char, font=font, fill=INK, anchor="mm")
        rotated = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        r = radius - 14 - size / 2
        x = centre + r * math.sin(math.radians(angle)) - rotated.width / 2
        y = centre - r * math.cos(math.radians(angle)) - rotated.height / 2
        shape.paste(ImageChops.lighter(shape.crop((round(x), round(y), round(x) + rotated.width,
                                                   round(y) + rotated.height)), rotated), (round(x), round(y)))
    image = Image.new("RGBA", (SIZE, SIZE), (*RED, 0))
    image.putalpha(shape.point(lambda v: round(v * OPACITY)))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, outer: float) -> None:
    inner = outer * 0.38
    points = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.radians(-90 + 36 * k)
        points.append((x + r * math.cos(a), y + r * math.sin(a)))
    draw.polygon(points, fill=INK)
