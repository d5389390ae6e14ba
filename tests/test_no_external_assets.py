"""Government intranets often have no internet: every script, style and font
the pages load must come from the platform itself."""

import re
from pathlib import Path

import civicgrid

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_templates_load_nothing_from_elsewhere():
    package = Path(civicgrid.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EXTERNAL.search(line)
    ]
    assert offenders == []
