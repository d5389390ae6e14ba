"""Importing a household register (.xlsx) of 100,000 rows.

Platform: ``registry.spreadsheet_import.register_import`` for a superuser:
read, validate every row, then write households and residents (ID and phone
encrypted, blind-indexed) in one transaction. Rolled back after each round so
the database stays as it was.
Baseline: openpyxl read-only iteration (``values_only``) over the same file.
Goal (issue 7): platform rows/s >= 0.3x the baseline's.
"""

import io
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from openpyxl import Workbook, load_workbook

from benchmarks.harness import Result, Say, interleave
from civicgrid.registry.models import Place
from civicgrid.registry.spreadsheet_import import register_import
from civicgrid.registry.spreadsheets import COLUMNS
from civicgrid.registry.validation import id_check_digit

NAME = "excel_import"
AREA = "540180"  # no demo or scale-data resident has it
RELATIONS = ["户主", "配偶", "子女"]


def register_file(rows: int, grids: list[str], seed: int = 1) -> bytes:
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍台账")
    sheet.append([c.header for c in COLUMNS])
    used: dict[tuple[date, str], int] = {}
    for n in range(rows):
        household = n // 3
        gender = rng.choice(["男", "女"])
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(30_000))
        key = (birth, gender)
        k = used.get(key, 0)
        used[key] = k + 1
        first17 = f"{AREA}{birth:%Y%m%d}{2 * k + (1 if gender == '男' else 2):03d}"
        values = {
            "number": f"IMP{household:08d}",
            "grid": grids[household % len(grids)],
            "address": f"导入路{household}号",
            "name": f"测试{n}",
            "gender": gender,
            "birth_date": f"{birth:%Y-%m-%d}",
            "id_number": first17 + id_check_digit(first17),
            "phone": f"139{rng.randrange(10**8):08d}",
            "relation": RELATIONS[n % 3],
            "groups": "",
            "central": "否",
            "note": "",
        }
        sheet.append([values[c.key] for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    rows = 300 if quick else 100_000
    grids = list(
        Place.objects.filter(level="grid").order_by("code").values_list("code", flat=True)[:200]
    )
    if not grids:
        raise RuntimeError("no places: run civicgrid demo-data first")
    content = register_file(rows, grids)
    say(f"excel import: {rows} rows, {len(content) / 1e6:.1f} MB")

    def baseline_side():
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        return count

    outcome = {}

    def platform_side():
        with transaction.atomic():
            user = get_user_model().objects.create(
                username="bench-import", is_superuser=True, is_staff=True
            )
            result = register_import(actor=user, file=io.BytesIO(content), filename="bench.xlsx")
            outcome.update(ok=result.ok, errors=[str(e) for e in result.errors[:5]],
                           **result.counts())  # fmt: skip
            transaction.set_rollback(True)

    rounds = 1
    timings = interleave({"baseline": baseline_side, "platform": platform_side},
                         rounds=rounds, warmup=0)  # fmt: skip
    if not outcome.get("ok"):
        raise RuntimeError(f"import refused the file: {outcome.get('errors')}")
    return [
        Result(
            benchmark=NAME,
            hot_path=f"Excel import, {rows:,} rows",
            unit="rows/s",
            platform=timings["platform"].rate(rows * rounds),
            baseline=timings["baseline"].rate(rows * rounds),
            baseline_name="openpyxl read-only iteration of the same file",
            goal_op=">=",
            goal=0.3,
            details={
                "rows": rows,
                "bytes": len(content),
                "rounds": rounds,
                "platform_s": timings["platform"].total,
                "baseline_s": timings["baseline"].total,
                **outcome,
            },
        )  # fmt: skip
    ]
