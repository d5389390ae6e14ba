"""Government intranets often have no internet: every script, style and font
the pages load must come from the platform itself."""

import re
from pathlib import Path

import civicgrid

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def template_lines_matching(*patterns: re.Pattern) -> list[str]:
    """path:line of every template line that one of ``patterns`` finds."""
    package = Path(civicgrid.__file__).parent
    return [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(pattern.search(line) for pattern in patterns)
    ]


def test_templates_load_nothing_from_elsewhere():
    assert template_lines_matching(EXTERNAL) == []
