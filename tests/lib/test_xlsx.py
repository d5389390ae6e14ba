"""The one spreadsheet writer: text that looks like a formula stays text, in
every cell of every export (the exports' own tests call ``assert_all_text``)."""

import io
from datetime import date, datetime

from openpyxl import load_workbook

from civicgrid.lib import xlsx
from tests.checks import HOSTILE, assert_all_text


def test_hostile_text_is_written_as_text():
    workbook = xlsx.Workbook()
    sheet = workbook.sheet("表", widths=[10, 10], header=["=head", "名称"])
    sheet.append([*HOSTILE, 42, 1.5, date(2026, 1, 31), None])
    sheet.append(["bell\x07 and nul\x00 dropped", sheet.cell(0.25, number_format="0.0%")])
    content = workbook.to_bytes()
    assert_all_text(content, planted=[*HOSTILE, "=head", "bell and nul dropped"])
    values = list(load_workbook(io.BytesIO(content)).active.values)
    assert values[1][len(HOSTILE) : len(HOSTILE) + 3] == (42, 1.5, datetime(2026, 1, 31))
    assert values[2][1] == 0.25


def test_to_file_is_at_its_start():
    workbook = xlsx.Workbook()
    workbook.sheet("表").append(["=1"])
    file = workbook.to_file()
    assert_all_text(file.read(), planted=["=1"])
