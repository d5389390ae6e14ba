"""Objects for the URL walk (tests/test_url_walk.py): the insights routes
take no object arguments; they read figures through the user's scope."""


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    return {}
