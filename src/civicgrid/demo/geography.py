"""The demo place tree: Lhasa, four of its districts, their streets/townships,
communities/villages and grids, with rectangular boundaries.

Each child is a cell of its parent's rectangle, shrunk by a small margin, so
a parent polygon always contains its children (and the gaps read as roads on a
map). Names follow the seed; codes follow the national scheme: streets 001+,
towns 101+, townships 201+; communities 001+, villages 201+.
"""

import math
import random
from dataclasses import dataclass, field

CITY = ("5401", "拉萨市")

# Each district: code, name, (west, south, east, north), streets. A street is
# (name, [communities]); a name ending in 村 is a village.
DISTRICTS = [
    (
        "540102",
        "城关区",
        (91.040, 29.610, 91.220, 29.700),
        [
            ("吉崩岗街道", ["吉崩岗社区", "木如社区", "丹杰林社区", "雪新村社区", "策墨林社区"]),
            ("八廓街道", ["八廓社区", "鲁固社区", "吉日社区", "雪社区"]),
            ("冲赛康街道", ["冲赛康社区", "沙让社区", "河坝林社区", "然吉社区", "夏萨苏社区"]),
            ("嘎玛贡桑街道", ["嘎玛贡桑社区", "泽新社区", "藏热社区", "团结新村社区", "胜利社区"]),
            ("公德林街道", ["公德林社区", "拉鲁社区", "八一社区", "丹孜社区"]),
            ("扎细街道", ["扎细社区", "俄杰塘社区", "北京东路社区", "江苏路社区", "色拉路社区"]),
            (
                "金珠西路街道",
                ["阿坝林卡社区", "金珠西路社区", "藏大社区", "罗布林卡社区", "岗坚社区"],
            ),
            ("两岛街道", ["仙足岛社区", "太阳岛社区", "中和社区", "察古社区"]),
            ("纳金街道", ["纳金社区", "塔玛村", "嘎巴村", "加木村"]),
            ("蔡公堂街道", ["蔡公堂社区", "白定村", "支沟村", "东嘎村"]),
            ("夺底街道", ["维巴村", "洛欧村", "夺底村", "扎基村"]),
            ("娘热街道", ["娘热社区", "仲吉村", "帕崩岗村", "加荣村"]),
        ],
    ),
    (
        "540103",
        "堆龙德庆区",
        (90.950, 29.610, 91.030, 29.700),
        [
            ("东嘎街道", ["东嘎社区", "桑木社区", "羊达社区"]),
            ("古荣镇", ["古荣村", "加入村", "巴热村"]),
        ],
    ),
    (
        "540121",
        "林周县",
        (91.180, 29.850, 91.340, 29.950),
        [
            ("甘丹曲果镇", ["甘丹曲果社区", "松盘村", "冲嘎村"]),
            ("唐古镇", ["唐古村", "乃朗村"]),
            ("江热夏乡", ["江热夏村", "达龙村"]),
            ("卡孜乡", ["卡孜村", "洛堆村"]),
        ],
    ),
    (
        "540124",
        "曲水县",
        (90.660, 29.310, 90.820, 29.390),
        [
            ("曲水镇", ["曲水社区", "雅江村", "茶巴朗村"]),
            ("达嘎镇", ["达嘎村", "其奴村"]),
            ("南木乡", ["南木村", "江村"]),
        ],
    ),
]

CHENGGUAN = "540102"
# Around every place's own rectangle so its outline does not touch its parent's.
MARGIN = 0.04


@dataclass
class PlaceSpec:
    code: str
    name: str
    level: str
    parent_code: str | None
    bbox: tuple[float, float, float, float]
    children: list["PlaceSpec"] = field(default_factory=list)

    @property
    def boundary(self) -> dict:
        w, s, e, n = (round(v, 6) for v in self.bbox)
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        return {"type": "Polygon", "coordinates": [ring]}

    @property
    def centroid(self) -> tuple[float, float]:
        w, s, e, n = self.bbox
        return round((s + n) / 2, 6), round((w + e) / 2, 6)

    @property
    def is_village(self) -> bool:
        return self.name.endswith("村")

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def cells(bbox, count: int) -> list[tuple[float, float, float, float]]:
    """``count`` cells of a rectangle, row by row from the north-west, each
    shrunk by MARGIN of its size on every side."""
    w, s, e, n = bbox
    # Columns follow the rectangle's shape in metres, not degrees.
    aspect = (e - w) * math.cos(math.radians((s + n) / 2)) / (n - s)
    cols = max(1, min(count, round(math.sqrt(count * aspect))))
    rows = math.ceil(count / cols)
    width, height = (e - w) / cols, (n - s) / rows
    out = []
    for i in range(count):
        row, col = divmod(i, cols)
        x0, y1 = w + col * width, n - row * height
        dx, dy = width * MARGIN, height * MARGIN
        out.append((x0 + dx, y1 - height + dy, x0 + width - dx, y1 - dy))
    return out


def _street_code(district: str, name: str, index: dict) -> str:
    kind = "town" if name.endswith("镇") else "township" if name.endswith("乡") else "street"
    index[kind] += 1
    base = {"street": 0, "town": 100, "township": 200}[kind]
    return f"{district}{base + index[kind]:03d}"


def grid_count(community_code: str, village: bool) -> int:
    """5 to 8 grids in an urban community, 4 or 5 in a village."""
    rng = random.Random(f"grids:{community_code}")
    return rng.randint(4, 5) if village else rng.randint(5, 8)


def build_tree() -> PlaceSpec:
    """The whole demo place tree, deterministic."""
    city_code, city_name = CITY
    boxes = [d[2] for d in DISTRICTS]
    city_box = (
        min(b[0] for b in boxes) - 0.05,
        min(b[1] for b in boxes) - 0.05,
        max(b[2] for b in boxes) + 0.05,
        max(b[3] for b in boxes) + 0.05,
    )
    city = PlaceSpec(city_code, city_name, "city", None, city_box)
    for d_code, d_name, d_box, streets in DISTRICTS:
        district = PlaceSpec(d_code, d_name, "district", city_code, d_box)
        city.children.append(district)
        index = {"street": 0, "town": 0, "township": 0}
        for (s_name, communities), s_box in zip(streets, cells(d_box, len(streets)), strict=True):
            street = PlaceSpec(_street_code(d_code, s_name, index), s_name, "street", d_code, s_box)
            district.children.append(street)
            counters = {"community": 0, "village": 200}
            for c_name, c_box in zip(communities, cells(s_box, len(communities)), strict=True):
                kind = "village" if c_name.endswith("村") else "community"
                counters[kind] += 1
                c_code = f"{street.code}{counters[kind]:03d}"
                community = PlaceSpec(c_code, c_name, "community", street.code, c_box)
                street.children.append(community)
                n = grid_count(c_code, community.is_village)
                for g, g_box in enumerate(cells(c_box, n), start=1):
                    community.children.append(
                        PlaceSpec(f"{c_code}{g:03d}", f"{c_name}第{g}网格", "grid", c_code, g_box)
                    )
    return city
