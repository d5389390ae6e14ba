"""Text and places shown to anyone, without a login: the parts of a public
summary that every kind shares (a case on Open311 today; a wish wall or
published inspection results later). Plain Python, no Django.

- ``blank_personal_numbers``: phone and ID numbers and room numbers blanked.
- ``public_address``: an address cut at its building.
- ``public_point``: a position rounded to about 100 m.
"""

import re

BLANKED = "***"
# Two decimals of a degree are about 1 km, three about 100 m (111 m of
# latitude, 97 m of longitude at Lhasa).
POINT_DECIMALS = 3

_DIGIT = "0-9０-９"
# A number written in groups ("139 0891 2345", "0891-6321234"); seven digits
# or more make a phone number (mobile or landline) or an ID number.
_NUMBER = re.compile(rf"(?<![{_DIGIT}])[{_DIGIT}]+(?:[\s\-－][{_DIGIT}]{{3,}})*[XxＸ]?")
_LONG = 7
_DATE = re.compile(rf"[{_DIGIT}]{{4}}[-－/.][{_DIGIT}]{{1,2}}[-－/.][{_DIGIT}]{{1,2}}")
_NUMERAL = rf"[{_DIGIT}一二三四五六七八九十百零〇两]+"
# A room (or flat) of a building, in running text.
_ROOM = re.compile(
    rf"{_NUMERAL}\s*(?:室|号房|房间)"
    rf"|\b(?:room|rm|flat|apt|apartment)\b\.?\s*#?\s*[{_DIGIT}A-Za-z\-]+",
    re.IGNORECASE,
)
# Where an address goes finer than its building: a unit, floor, room or
# household; "3-2-301" style numbers; "#301"; English unit words.
_FINER_THAN_BUILDING = re.compile(
    rf"{_NUMERAL}\s*(?:单元|楼层|层|室|号房|房间|房|户)"
    rf"|[{_DIGIT}]+\s*楼(?![栋院宇])"
    rf"|[{_DIGIT}]+\s*[-－—]\s*[{_DIGIT}]+"
    rf"|#\s*[{_DIGIT}]"
    r"|\b(?:room|rm|flat|apt|apartment|unit|floor|fl|suite)\b",
    re.IGNORECASE,
)
_TRAILING = " \t\r\n,，、;；:：-－—·.。#"


def blank_personal_numbers(text: str) -> str:
    """Phone, ID and room numbers replaced by ``BLANKED``; dates are kept."""
    return _ROOM.sub(BLANKED, _NUMBER.sub(_blank_long, text))


def _blank_long(number: re.Match, blank: str = BLANKED) -> str:
    digits = sum(char.isdigit() for char in number[0])
    return blank if digits >= _LONG and not _DATE.fullmatch(number[0]) else number[0]


def public_address(address: str) -> str:
    """The address up to its building: "泽新路1号3单元502室" -> "泽新路1号"."""
    found = _FINER_THAN_BUILDING.search(address)
    if found is not None:
        address = address[: found.start()]
    return _NUMBER.sub(lambda m: _blank_long(m, ""), address).strip(_TRAILING)


def public_point(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    if lat is None or lon is None:
        return None, None
    return round(lat, POINT_DECIMALS), round(lon, POINT_DECIMALS)
