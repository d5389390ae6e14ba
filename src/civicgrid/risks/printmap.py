"""A printable map of one grid: one A4 page (PNG, 150 dpi) with the grid's
boundary, its households as numbered coloured dots, a legend and a key of
numbers to addresses; the successor of the hand-drawn grid map."""

import io
import math
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry import shape

from civicgrid.registry.models import Place
from civicgrid.risks.models import Colour

FONT_PATHS = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
]
PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 60
MAP_HEIGHT = 1050
FILL = {Colour.RED: "#d32f2f", Colour.YELLOW: "#f9a825", Colour.GREEN: "#2e7d32", "": "#9e9e9e"}


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    raise ImproperlyConfigured(
        "The printed grid map needs a CJK font: install the Debian package fonts-noto-cjk "
        f"(looked for {', '.join(str(p) for p in FONT_PATHS)})."
    )


def _rings(boundary) -> list[list[tuple[float, float]]]:
    geometry = shape(boundary)
    polygons = getattr(geometry, "geoms", [geometry])
    return [list(polygon.exterior.coords) for polygon in polygons]


def render_grid_map(*, place: Place, households: list) -> bytes:
    """``households``: objects with number, address, lat, lon and a colour
    attribute, in the order they are numbered."""
    title_font, text_font, small_font = _font(40), _font(24), _font(18)
    image = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN - 20), _("%(name)s 民情地图") % {"name": place.name},
              font=title_font, fill="black")  # fmt: skip
    subtitle = _("网格编码 %(code)s · 打印于 %(date)s") % {
        "code": place.code,
        "date": timezone.localdate().isoformat(),
    }
    draw.text((MARGIN, MARGIN + 30), subtitle, font=small_font, fill="#555")

    rings = _rings(place.boundary) if place.boundary else []
    points = [(h.lon, h.lat) for h in households if h.lat is not None and h.lon is not None]
    xs = [x for ring in rings for x, _y in ring] + [x for x, _y in points]
    ys = [y for ring in rings for _x, y in ring] + [y for _x, y in points]
    top = MARGIN + 80
    frame = (MARGIN, top, PAGE[0] - MARGIN, top + MAP_HEIGHT)
    draw.rectangle(frame, outline="#bbb", width=2)
    if xs:
        west, east, south, north = min(xs), max(xs), min(ys), max(ys)
        squash = math.cos(math.radians((south + north) / 2))
        width = max((east - west) * squash, 1e-9)
        height = max(north - south, 1e-9)
        inner = (frame[2] - frame[0] - 80, frame[3] - frame[1] - 80)
        scale = min(inner[0] / width, inner[1] / height)
        left = frame[0] + 40 + (inner[0] - width * scale) / 2
        up = frame[1] + 40 + (inner[1] - height * scale) / 2

        def at(lon, lat):
            return (left + (lon - west) * squash * scale, up + (north - lat) * scale)

        for ring in rings:
            draw.line([at(x, y) for x, y in ring], fill="#1565c0", width=4)
        for n, h in enumerate(households, start=1):
            if h.lat is None or h.lon is None:
                continue
            x, y = at(h.lon, h.lat)
            draw.ellipse((x - 11, y - 11, x + 11, y + 11), fill=FILL.get(h.colour, FILL[""]),
                         outline="white", width=2)  # fmt: skip
            draw.text((x + 13, y - 12), str(n), font=small_font, fill="black")

    legend_top = frame[3] + 20
    counts = {c: sum(1 for h in households if h.colour == c) for c in Colour.values}
    x = MARGIN
    for colour, label in Colour.choices:
        draw.ellipse((x, legend_top + 6, x + 22, legend_top + 28), fill=FILL[colour])
        text = _("%(label)s色户 %(n)d") % {"label": label, "n": counts[colour]}
        draw.text((x + 30, legend_top), text, font=text_font, fill="black")
        x += 260
    key_top = legend_top + 50
    columns, line = 3, 26
    rows = (PAGE[1] - MARGIN - key_top) // line
    column_width = (PAGE[0] - 2 * MARGIN) // columns
    for n, h in enumerate(households[: rows * columns], start=1):
        column, row = divmod(n - 1, rows)
        text = f"{n}. {h.address}"[:22]
        draw.text((MARGIN + column * column_width, key_top + row * line), text,
                  font=small_font, fill="black")  # fmt: skip
    if len(households) > rows * columns:
        more = _("另有 %(n)d 户未列出") % {"n": len(households) - rows * columns}
        draw.text((MARGIN, PAGE[1] - MARGIN + 10), more, font=small_font, fill="#555")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
