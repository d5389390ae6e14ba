"""Place-code arithmetic, once. Place codes nest (city 4 digits, district 6,
street 9, community 12, grid 15), so a place's ancestors are its code's
prefixes and "inside" is a prefix match. Scope, the figures' tallies and the
notices' audiences all cut codes here::

    ancestor_codes("540102001001001")  # ["5401", "540102", ..., "540102001001001"]
    community_code(alarm.place_code)   # "540102001001"
    is_within("540102001001001", "540102001")  # True
"""

CITY, DISTRICT, STREET, COMMUNITY, GRID = 4, 6, 9, 12, 15
LEVEL_LENGTHS = {"city": CITY, "district": DISTRICT, "street": STREET,
                 "community": COMMUNITY, "grid": GRID}  # fmt: skip
# Tally depths: the whole platform (0) and each level.
DEPTHS = (0, CITY, DISTRICT, STREET, COMMUNITY, GRID)


def ancestor_codes(code: str) -> list[str]:
    """Codes of a place and every node above it, shortest first."""
    return [code[:n] for n in DEPTHS[1:] if n <= len(code)]


def prefixes(code: str, depths=DEPTHS) -> list[str]:
    """``code`` cut at each of ``depths`` it reaches (the empty prefix for 0)."""
    return [code[:n] for n in depths if n <= len(code)]


def community_code(code: str) -> str:
    return code[:COMMUNITY]


def is_within(code: str, scope_code: str) -> bool:
    """Whether the place ``code`` lies at or under ``scope_code``."""
    return bool(scope_code) and code.startswith(scope_code)
