"""Made-up names, ID numbers and mobile phone numbers."""

import random
from datetime import date

from civicgrid.registry.validation import id_check_digit

# Tibetan names are mostly two two-character names joined (扎西顿珠). Generated
# names always have four characters, so the seed's two-character names (顿珠,
# 边巴...) stay unique to the residents the seed talks about.
TIBETAN_ANY = [
    "扎西", "次仁", "尼玛", "达瓦", "边巴", "普布", "巴桑", "拉巴", "格桑", "索朗",
    "白玛", "米玛", "次旦", "旦增", "益西", "洛桑", "丹增", "平措", "德吉", "强巴",
]  # fmt: skip
TIBETAN_MALE = [
    "多吉", "顿珠", "旺堆", "罗布", "朗杰", "坚参", "加措", "欧珠", "桑珠", "群培",
    "土登", "晋美", "贡布", "琼达", "平措", "次仁", "扎西", "旺久",
]  # fmt: skip
TIBETAN_FEMALE = [
    "卓玛", "央金", "拉姆", "曲珍", "卓嘎", "次珍", "央宗", "措姆", "玉珍", "普赤",
    "德吉", "旦珍", "拉珍", "边珍", "达珍", "曲措", "仓决", "梅朵",
]  # fmt: skip
HAN_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高梁宋郑谢唐"
HAN_MALE = [
    "伟", "强", "军", "磊", "勇", "杰", "涛", "明", "超", "斌", "鹏", "建国", "志强",
    "海涛", "文博", "浩然", "子轩", "俊杰",
]  # fmt: skip
HAN_FEMALE = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "玉兰", "秀英", "佳怡",
    "欣怡", "梓涵", "雨桐", "思琪", "慧敏",
]  # fmt: skip
MOBILE_PREFIXES = [
    "134", "135", "136", "138", "139", "150", "151", "152", "157", "158", "159", "177",
    "178", "180", "181", "182", "183", "187", "188", "189", "191", "199",
]  # fmt: skip


def tibetan_name(rng: random.Random, gender: str) -> str:
    first = rng.choice(TIBETAN_ANY)
    second = rng.choice(TIBETAN_MALE if gender == "male" else TIBETAN_FEMALE)
    while second == first:
        second = rng.choice(TIBETAN_MALE if gender == "male" else TIBETAN_FEMALE)
    return first + second


def han_name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    given = rng.choice(HAN_MALE if gender == "male" else HAN_FEMALE)
    return (surname or rng.choice(HAN_SURNAMES)) + given


class IdNumbers:
    """Hands out unique ID numbers: the sequence is odd for men and even for
    women, as the real scheme has it, counted per area and birth date."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, date, str], int] = {}

    def next(self, area: str, birth: date, gender: str) -> str:
        key = (area, birth, gender)
        n = self._used.get(key, 0)
        self._used[key] = n + 1
        seq = 2 * n + (1 if gender == "male" else 2)
        if seq > 999:
            raise ValueError(f"more than 500 people born {birth} in {area}")
        first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
        return first17 + id_check_digit(first17)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
