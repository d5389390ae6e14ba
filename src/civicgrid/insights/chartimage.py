"""Charts as images for the .docx (Word has no ECharts): a plain bar chart
drawn with Pillow, labelled in a CJK font, numbers above the bars."""

import io
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
]
SIZE = (1500, 780)  # 15 cm × 7.8 cm at 254 dpi
MARGIN, TOP, BOTTOM = 80, 110, 150
BAR = "#1565c0"


def _font(size: int):
    for path in FONT_PATHS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    raise ImproperlyConfigured(
        "Charts in the work summary need a CJK font: install fonts-noto-cjk "
        f"(looked for {', '.join(str(p) for p in FONT_PATHS)})."
    )


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(title: str, labels: list[str], values: list) -> bytes:
    """A PNG of ``values`` (None drawn as no bar) over ``labels``."""
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    big, small = _font(40), _font(26)
    draw.text((SIZE[0] // 2, 50), title, font=big, fill="black", anchor="mm")
    width, height = SIZE[0] - 2 * MARGIN, SIZE[1] - TOP - BOTTOM
    base = TOP + height
    draw.line([(MARGIN, base), (MARGIN + width, base)], fill="#616161", width=2)
    highest = max((v for v in values if v is not None), default=0) or 1
    step = width / max(len(values), 1)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        centre = MARGIN + step * (index + 0.5)
        if value is not None:
            top = base - height * value / highest
            half = min(step * 0.35, 60)
            draw.rectangle([(centre - half, top), (centre + half, base)], fill=BAR)
            draw.text((centre, top - 8), _number(value), font=small, fill="black", anchor="mb")
        draw.text((centre, base + 14), label[:8], font=small, fill="#212121", anchor="mt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(254, 254))
    return buffer.getvalue()
