"""Departments, paired units, self-governance brands, teams and service
providers of the demo district, as plain data keyed by place code."""

import random
from dataclasses import dataclass

from civicgrid.demo.geography import CHENGGUAN, PlaceSpec

# Departments that cases are whistled to: code, name, and the codes of the case
# categories they handle (demo/cases.py links them).
DEPARTMENTS = [
    ("fire", "城关区消防救援大队", ["fire_lane", "fire_hazard", "fire_equipment"]),
    ("power", "国网拉萨供电公司城关供电中心", ["utility_power", "power_outage", "meter_transfer"]),
    (
        "market",
        "城关区市场监督管理局",
        ["market_order", "food_safety", "price", "measuring_instrument", "special_equipment"],
    ),
    ("housing", "城关区住房和城乡建设局", ["building_safety", "property_management", "renovation"]),
    ("urban", "城关区城市管理和综合执法局", ["street_order", "sanitation", "illegal_building"]),
    ("water", "拉萨市自来水公司城关营业所", ["utility_water", "water_outage", "drainage"]),
    ("civil_affairs", "城关区民政局", ["elderly_care", "social_assistance", "disability_support"]),
]
PAIRED_UNITS_PER_COMMUNITY = (4, 8)  # Chengguan only: 300-odd, as the seed counts
PAIRED_UNIT_BASES = [
    "西藏大学", "西藏自治区人民医院", "拉萨市人民医院", "中国银行拉萨分行", "中国农业银行拉萨分行",
    "中国工商银行拉萨分行", "中国建设银行拉萨分行", "西藏日报社", "中国移动西藏公司",
    "中国电信拉萨分公司", "国网拉萨供电公司", "拉萨市第一中学", "拉萨市实验小学", "拉萨海关",
    "城关区税务局", "拉萨市公安局城关分局", "西藏自治区图书馆", "西藏博物馆", "拉萨市邮政分公司",
    "西藏航空公司", "拉萨火车站", "西藏天路股份有限公司", "拉萨市城投集团", "西藏藏医药大学",
    "西藏警官高等专科学校", "拉萨师范高等专科学校", "自治区气象局", "自治区地质矿产勘查开发局",
    "拉萨市水利局", "拉萨市交通运输局", "拉萨市文化局", "城关区人民法院", "城关区人民检察院",
    "拉萨市妇幼保健院", "西藏军区总医院", "拉萨市疾病预防控制中心", "中国人寿西藏分公司",
    "西藏广播电视台", "拉萨市第八中学", "拉萨北京实验中学",
]  # fmt: skip
ORDINALS = "一二三四五六七八九十"

# Self-governance brands: the seed names 4 and counts 37 district-wide.
# (name, community or street name, level)
NAMED_BRANDS = [
    ("卓玛调解室", "吉日社区", "community"),
    ("流动小板凳", "八廓社区", "community"),
    ("小格耙", "吉崩岗街道", "region"),
    ("布谷响铃", "八廓街道", "region"),
]
MORE_BRANDS = [
    "邻里守望", "甜茶馆议事会", "阿佳说事", "石榴籽家园", "红色小院", "连心桥", "暖心驿站",
    "民情夜话", "雪域邻里情", "格桑花开", "和美家园", "帮帮团", "老阿妈茶话会", "院坝协商会",
    "巾帼心连心", "少年志愿岗", "楼栋长议事会", "林卡议事厅", "转经路上说事", "吉祥邻里节",
    "文明劝导队", "扎西德勒便民岗", "睦邻互助社", "爱心理发室", "平安守护岗", "绿色家园",
    "书香邻里", "暖阳助老", "同心议事角", "一碗酥油茶", "家门口调解", "金色晚霞", "彩虹桥",
]  # fmt: skip
BRAND_TOTAL = 37
TEAMS = [
    ("silver-action", "银龄行动服务队", CHENGGUAN, "district", "离退休老干部组成，调解邻里纠纷"),
    ("lugu-women", "鲁固社区巾帼志愿服务队", "鲁固社区", "community", "上门助残、清洁家庭卫生"),
    ("mobile-grid", "城关区流动网格员服务队", CHENGGUAN, "district", "外卖骑手等新就业群体"),
]
# Seed: 17 community canteens in Chengguan, 木如社区幸福食堂 among them.
CANTEENS = 17
SERVICE_POINTS = [
    ("zexin-exchange", "泽新社区志愿服务积分兑换点", "泽新社区"),
    ("zexin-clinic", "泽新社区卫生服务站", "泽新社区"),
    ("gamagongsang-summer", "嘎玛贡桑街道爱心暑托班", "嘎玛贡桑街道"),
    ("linzhou-civil-station", "林周县民政服务站", "林周县"),
    ("linzhou-day-care", "林周县老年日间照料中心", "林周县"),
    ("linzhou-yiyang", "林周县颐养综合服务中心", "林周县"),
    ("jiangrexia-home", "江热夏乡农村幸福院", "江热夏乡"),
    ("tanggu-home", "唐古镇农村幸福院", "唐古镇"),
    ("kazi-neighbours", "卡孜乡睦邻点", "卡孜乡"),
    ("gurong-day-care", "古荣镇老年人日间照料中心", "古荣镇"),
]


@dataclass
class OrganisationSpec:
    code: str
    name: str
    kind: str
    place_code: str
    level: str = ""
    contact_phone: str = ""
    description: str = ""


def build(city: PlaceSpec) -> list[OrganisationSpec]:
    rng = random.Random("organisations")
    by_name = {p.name: p.code for p in city.walk() if p.level != "grid"}
    chengguan = next(d for d in city.children if d.code == CHENGGUAN)
    communities = [p for p in chengguan.walk() if p.level == "community"]

    def phone() -> str:
        return f"0891-6{rng.randrange(10**6):06d}"

    out = [
        OrganisationSpec(code, name, "department", CHENGGUAN, "district", contact_phone=phone())
        for code, name, _categories in DEPARTMENTS
    ]

    branches: dict[str, int] = {}
    base_cycle = 0
    for community in communities:
        low, high = PAIRED_UNITS_PER_COMMUNITY
        for n in range(1, random.Random(f"units:{community.code}").randint(low, high) + 1):
            base = PAIRED_UNIT_BASES[base_cycle % len(PAIRED_UNIT_BASES)]
            base_cycle += 1
            branches[base] = branches.get(base, 0) + 1
            ordinal = ORDINALS[branches[base] - 1]  # 300-odd units over 40 bases: ≤ 10 each
            out.append(
                OrganisationSpec(
                    f"unit-{community.code}-{n}",
                    f"{base}第{ordinal}党支部",
                    "paired_unit",
                    community.code,
                    "community",
                    contact_phone=phone(),
                    description=f"与{community.name}结对共建",
                )
            )

    brands = [(name, by_name[place], level) for name, place, level in NAMED_BRANDS]
    for i, name in enumerate(MORE_BRANDS[: BRAND_TOTAL - len(brands)]):
        community = communities[(i * 7) % len(communities)]
        brands.append((f"{community.name}“{name}”", community.code, "community"))
    for i, (name, place_code, level) in enumerate(brands, start=1):
        out.append(OrganisationSpec(f"brand-{i:02d}", name, "brand", place_code, level))

    for code, name, place, level, description in TEAMS:
        place_code = by_name.get(place, place)
        out.append(OrganisationSpec(code, name, "team", place_code, level, description=description))

    muru = next(c for c in communities if c.name == "木如社区")
    others = [c for c in communities if c is not muru]
    for community in [muru, *rng.sample(others, CANTEENS - 1)]:
        out.append(
            OrganisationSpec(
                f"canteen-{community.code}",
                f"{community.name}幸福食堂",
                "service_provider",
                community.code,
                "community",
                contact_phone=phone(),
                description="老年助餐，孤寡老人凭老年卡5元一餐",
            )
        )
    for code, name, place in SERVICE_POINTS:
        out.append(OrganisationSpec(code, name, "service_provider", by_name[place]))
    return out
