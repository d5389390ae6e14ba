"""Buildings, households and residents of the demo district, as plain data.

Everything is drawn from ``random.Random`` with fixed seeds. Generated people's
ages count from ``REFERENCE_DATE`` so that the same load gives the same birth
dates and ID numbers on any day; the seed's named residents count from today,
so that 顿珠 is 75 whenever the demo is loaded.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from civicgrid.demo.geography import CHENGGUAN, PlaceSpec
from civicgrid.demo.identity import HAN_SURNAMES, IdNumbers, han_name, mobile, tibetan_name

REFERENCE_DATE = date(2026, 1, 1)
# Households at scale 1: most in Chengguan, the rest in the three other districts.
CHENGGUAN_HOUSEHOLDS = 18_000
OTHER_HOUSEHOLDS = 2_000
MAX_HOUSEHOLDS_PER_GRID = 9_999  # the household number has a 4-digit sequence

# (kind, weight): tuned so that ~14% of residents are 60+, ~2% 80+, ~3 a household.
HOUSEHOLD_KINDS = [
    ("elder_alone", 6),
    ("elder_couple", 9),
    ("single", 12),
    ("couple", 10),
    ("family", 40),
    ("three_generations", 16),
    ("grown_child", 10),
]
# Party-member central households look after 10-20 neighbours each (seed: 3,600
# added in 2025). With 18,000 Chengguan households that allows about one in 17,
# not the seed's 1 in 5: ~1,070 at scale 1, ~3,200 at scale 3.
NEIGHBOURS_PER_CENTRAL = (10, 20)
# Probabilities, each chosen to land near the seed's figures at scale 1.
P_PARTY_MEMBER = 0.055  # of adults; heads of central households are added on top
P_RETIRED_CADRE = 0.05  # of people 60+
P_DISABLED = (0.012, 0.05)  # under 60, 60+
P_SPECIAL_CHILD = 0.008  # of children under 14: ~100 in Chengguan, seed says 87 trackers
P_RIDER = 0.033  # of Chengguan men aged 20-40: ~300 new-employment workers
P_DUAL_WORKER = 0.3  # of two-parent households with a child under 14: ~15% of all
P_LOW_INCOME = (0.04, 0.12)  # households; elderly living alone
P_NO_FAMILY = 0.25  # of elderly living alone


@dataclass
class Member:
    name: str
    gender: str
    birth: date
    relation: str
    tags: dict[str, int | None] = field(default_factory=dict)
    id_number: str = ""
    phone: str = ""


@dataclass(eq=False)  # identity: one row per generated building
class BuildingSpec:
    grid_code: str
    name: str
    address: str
    lat: float
    lon: float


@dataclass
class HouseholdSpec:
    number: str
    grid_code: str
    building: BuildingSpec
    address: str
    members: list[Member]
    is_central: bool = False
    central_number: str | None = None
    story: bool = False

    def can_lead(self, on: date) -> bool:
        """Whose head may run a central household: a working-age adult."""
        head = self.members[0]
        if self.story:
            return head.name == STORY_CENTRAL
        return 25 <= age_on(head.birth, on) <= 70


# The seed's named residents: community -> households -> members
# (name, gender, age today, relation, tags). Each becomes one of the first
# households of the community's first grid.
STORIES = {
    "泽新社区": [
        [("顿珠", "male", 75, "head", ["living_alone"])],
        [
            ("尼玛", "male", 66, "head", ["party_member"]),
            ("央金", "female", 63, "spouse", []),
            ("旦增平措", "male", 38, "child", []),
            ("拉巴卓玛", "female", 35, "other", []),
            ("格桑央宗", "female", 9, "grandchild", []),
        ],
    ],
    "俄杰塘社区": [
        [
            ("边巴", "male", 52, "head", ["party_member"]),
            ("德吉央宗", "female", 49, "spouse", []),
            ("白玛曲珍", "female", 19, "child", []),
        ]
    ],
    "吉崩岗社区": [
        [
            ("拉姆", "female", 34, "head", []),
            ("索朗多吉", "male", 36, "spouse", []),
            ("普布次仁", "male", 6, "child", []),
        ]
    ],
    "阿坝林卡社区": [
        [
            ("卓嘎", "female", 45, "head", []),
            ("巴桑罗布", "male", 48, "spouse", []),
            ("次旦卓玛", "female", 16, "child", []),
        ]
    ],
    "木如社区": [[("次仁", "male", 78, "head", ["living_alone", "no_family"])]],
    "冲赛康社区": [
        [
            ("扎西", "male", 28, "head", ["new_employment"]),
            ("米玛次珍", "female", 26, "spouse", []),
        ]
    ],
}
# The one story household that must be a central household; other story
# households keep exactly the tags the seed gives them.
STORY_CENTRAL = "边巴"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Generator:
    def __init__(self, today: date, seed: int = 5401) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.reference = min(REFERENCE_DATE, today)
        self.ids = IdNumbers()

    # -- people ---------------------------------------------------------------

    def _birth(self, age: float) -> date:
        return self.reference - timedelta(days=int(age * 365.2425))

    def _person(self, tibetan: bool, gender: str, age: float, relation: str, surname=None):
        rng = self.rng
        name = tibetan_name(rng, gender) if tibetan else han_name(rng, gender, surname)
        return Member(name, gender, self._birth(age), relation)

    def _couple(self, tibetan: bool, age: float, surname: str | None):
        rng = self.rng
        head_gender = "male" if rng.random() < 0.7 else "female"
        other = "female" if head_gender == "male" else "male"
        head = self._person(tibetan, head_gender, age, "head", surname)
        spouse_age = max(20.0, age + rng.uniform(-4, 4))
        return [head, self._person(tibetan, other, spouse_age, "spouse")]

    def _children(self, tibetan, parent_age, max_age, count, surname):
        top = max(0.1, min(parent_age - 20, max_age))
        return [
            self._person(tibetan, self.rng.choice(["male", "female"]), self.rng.uniform(0, top),
                         "child", surname)
            for _ in range(count)
        ]  # fmt: skip

    def household_members(self, tibetan: bool) -> list[Member]:
        rng = self.rng
        kinds, weights = zip(*HOUSEHOLD_KINDS, strict=True)
        kind = rng.choices(kinds, weights)[0]
        surname = None if tibetan else rng.choice(HAN_SURNAMES)
        elderly_age = rng.triangular(60, 96, 63)
        if kind == "elder_alone":
            gender = rng.choice(["male", "female"])
            people = [self._person(tibetan, gender, elderly_age, "head", surname)]
            people[0].tags["living_alone"] = None
            if rng.random() < P_NO_FAMILY:
                people[0].tags["no_family"] = None
        elif kind == "elder_couple":
            people = self._couple(tibetan, elderly_age, surname)
        elif kind == "single":
            people = [self._person(tibetan, rng.choice(["male", "female"]),
                                   rng.uniform(19, 40), "head", surname)]  # fmt: skip
        elif kind == "couple":
            people = self._couple(tibetan, rng.uniform(23, 58), surname)
        elif kind == "family":
            age = rng.uniform(26, 52)
            people = self._couple(tibetan, age, surname)
            people += self._children(tibetan, age, 22, rng.choices([1, 2, 3], [50, 38, 12])[0],
                                     surname)  # fmt: skip
        elif kind == "three_generations":
            age = rng.uniform(28, 48)
            people = self._couple(tibetan, age, surname)
            people += self._children(tibetan, age, 16, rng.choice([1, 2, 2]), surname)
            old = min(96.0, age + rng.uniform(24, 34))
            for gender in ["female", "male"][: rng.choice([1, 1, 2])]:
                people.append(self._person(tibetan, gender, old, "parent"))
        else:  # grown_child
            age = rng.uniform(45, 60)
            people = self._couple(tibetan, age, surname)
            people += self._children(tibetan, age, 30, 1, surname)
            people[-1].birth = self._birth(rng.uniform(18, min(30, age - 20)))
        return people

    def story_members(self, story) -> list[Member]:
        return [
            Member(name, gender, years_before(self.today, age), relation, dict.fromkeys(tags))
            for name, gender, age, relation, tags in story
        ]

    def tag(self, members: list[Member], in_chengguan: bool) -> None:
        """Target-group tags; age groups are derived from birth dates, never tagged."""
        rng = self.rng
        ages = [age_on(m.birth, self.reference) for m in members]
        for m, age in zip(members, ages, strict=True):
            if age >= 18 and rng.random() < P_PARTY_MEMBER:
                m.tags["party_member"] = None
            if age >= 60 and rng.random() < P_RETIRED_CADRE:
                m.tags["retired_cadre"] = None
                if rng.random() < 0.8:
                    m.tags["party_member"] = None
            if rng.random() < P_DISABLED[age >= 60]:
                m.tags["disabled"] = rng.choices([1, 2, 3, 4], [15, 25, 30, 30])[0]
            if age < 14 and rng.random() < P_SPECIAL_CHILD:
                m.tags["special_child"] = None
            if in_chengguan and m.gender == "male" and 20 <= age <= 40 and rng.random() < P_RIDER:
                m.tags["new_employment"] = None
        head = members[0]
        if rng.random() < P_LOW_INCOME["living_alone" in head.tags]:
            head.tags["low_income"] = None
        parents = [m for m in members if m.relation in ("head", "spouse")]
        young = any(m.relation == "child" and a < 14 for m, a in zip(members, ages, strict=True))
        if len(parents) == 2 and young and rng.random() < P_DUAL_WORKER:
            for m in parents:
                m.tags["dual_worker"] = None

    def identify(self, members: list[Member], area: str) -> None:
        for m in members:
            m.id_number = self.ids.next(area, m.birth, m.gender)
            # No phone of their own under 16, nor for half of the 80+. Ages from
            # the reference date keep the random stream the same on any day.
            age = age_on(m.birth, self.reference)
            if age >= 16 and not (age >= 80 and self.rng.random() < 0.5):
                m.phone = mobile(self.rng)

    # -- places ---------------------------------------------------------------

    def buildings(self, grid: PlaceSpec, path: str, village: bool):
        """Endless buildings for a grid: (spec, capacity)."""
        rng = random.Random(f"buildings:{grid.code}")
        w, s, e, n = grid.bbox
        dx, dy = (e - w) * 0.15, (n - s) * 0.15
        number = 0
        while True:
            number += 1
            name = f"{number}号院" if village else f"{number}栋"
            lat = round(rng.uniform(s + dy, n - dy), 6)
            lon = round(rng.uniform(w + dx, e - dx), 6)
            capacity = rng.randint(1, 2) if village else rng.randint(8, 30)
            yield BuildingSpec(grid.code, name, f"{path}{name}", lat, lon), capacity

    def grid_households(self, grid: PlaceSpec, count: int, path: str, village: bool, stories):
        """``count`` households of a grid, the pending ``stories`` first
        (consumed from the list)."""
        area = grid.code[:6]
        in_chengguan = area == CHENGGUAN
        tibetan_share = 0.8 if in_chengguan and not village else 0.97
        sites = self.buildings(grid, path, village)
        homes = []
        room = capacity = 0
        for seq in range(1, count + 1):
            if room == capacity:
                (building, capacity), room = next(sites), 0
            story = bool(stories)
            if story:
                members = self.story_members(stories.pop(0))
            else:
                members = self.household_members(self.rng.random() < tibetan_share)
                self.tag(members, in_chengguan)
            self.identify(members, area)
            address = building.address
            if not village:
                unit, flat = divmod(room, 12)
                address += f"{unit + 1}单元{flat // 2 + 1}0{flat % 2 + 1}室"
            room += 1
            number = f"{grid.code}{seq:04d}"
            homes.append(HouseholdSpec(number, grid.code, building, address, members, story=story))
        if in_chengguan:
            _link_central_households(homes, self.reference, self.rng)
        return homes


def _quotas(grids: list[PlaceSpec], total: int, rng: random.Random) -> list[int]:
    """Split ``total`` over grids, each within ±25% of the mean, summing exactly."""
    weights = [rng.uniform(0.75, 1.25) for _ in grids]
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(grids)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _link_central_households(homes: list[HouseholdSpec], on: date, rng: random.Random) -> None:
    """Runs of neighbouring households in one grid: a central household (the
    run's first that can lead one) and the 10-20 it looks after. A tail shorter
    than a run stays unlinked."""
    low, high = NEIGHBOURS_PER_CENTRAL
    i = 0
    while len(homes) - i > low:
        run = homes[i : i + 1 + rng.randint(low, high)]
        central = next((h for h in run if h.can_lead(on)), None)
        i += len(run)
        if central is None:
            continue
        central.is_central = True
        central.members[0].tags["party_member"] = None
        for h in run:
            if h is not central:
                h.central_number = central.number


def _grid_quotas(city: PlaceSpec, scale: int, per_grid: int | None) -> dict[str, int]:
    grids = [g for g in city.walk() if g.level == "grid"]
    if per_grid is not None:
        return {g.code: per_grid for g in grids}
    rng = random.Random("quotas")
    quota = {}
    for inside, total in ((True, CHENGGUAN_HOUSEHOLDS), (False, OTHER_HOUSEHOLDS)):
        part = [g for g in grids if g.code.startswith(CHENGGUAN) == inside]
        quota.update(zip([g.code for g in part], _quotas(part, total * scale, rng), strict=True))
    if max(quota.values()) > MAX_HOUSEHOLDS_PER_GRID:
        raise ValueError(f"more than {MAX_HOUSEHOLDS_PER_GRID} households in a grid")
    return quota


def plan(city: PlaceSpec, today: date, scale: int = 1, households_per_grid: int | None = None):
    """Buildings and households (with members) for the whole tree."""
    gen = Generator(today)
    quota = _grid_quotas(city, scale, households_per_grid)
    buildings: list[BuildingSpec] = []
    households: list[HouseholdSpec] = []
    for district in city.children:
        for street in district.children:
            for community in street.children:
                path = f"拉萨市{district.name}{street.name}{community.name}"
                stories = list(STORIES.get(community.name, []))
                for grid in community.children:
                    count = max(quota[grid.code], len(stories))
                    homes = gen.grid_households(grid, count, path, community.is_village, stories)
                    buildings.extend(dict.fromkeys(h.building for h in homes))
                    households.extend(homes)
    return buildings, households
