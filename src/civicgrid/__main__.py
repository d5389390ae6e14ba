"""The one `civicgrid` command: Django's management commands plus our own."""

import os
import sys


def main() -> None:
    from civicgrid.ops.supervisor import watch_parent

    # Started by a supervisor (`civicgrid run`, `ingest --processes`): stop with it.
    watch_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "civicgrid"
    # Sub-commands are spelled with hyphens on the command line (demo-data).
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
