"""The one way civicgrid writes a spreadsheet: every export and template goes
through ``Workbook`` here, so no cell's text is ever taken for a formula.

Text is written as text. A cell starting with = + - @, a tab or a carriage
return is what Excel and LibreOffice read as a formula or a DDE call
(CWE-1236): openpyxl itself turns "=HYPERLINK(...)" into a live formula. Such
text is stored as a string cell with Excel's quote prefix, shown as typed and
never evaluated, also after someone edits the cell; every other string is
typed as a string too (openpyxl would make "#N/A" an error value). Characters
a worksheet cannot hold (control characters) are dropped rather than failing
the whole export.

Workbooks are written in openpyxl's write-only mode, row by row, into a
temporary file the response streams, so memory stays flat however many rows.
"""

import io
import re
import tempfile
from collections.abc import Iterable

from openpyxl import Workbook as _OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet takes for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a worksheet cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_TEXT = 32767  # Excel's limit for one cell


class Sheet:
    """One worksheet; ``append`` writes a row of plain values."""

    def __init__(self, worksheet):
        self._worksheet = worksheet

    def append(self, values: Iterable) -> None:
        """A row; values already made by ``cell`` (formatted) go as they are."""
        self._worksheet.append(
            [value if isinstance(value, Cell) else self.cell(value) for value in values]
        )

    def cell(self, value, *, number_format: str = "", bold: bool = False):
        """A cell for ``value``: text always as text, formats as asked."""
        if isinstance(value, str):
            cell = WriteOnlyCell(self._worksheet, value=_ILLEGAL.sub("", value)[:_MAX_TEXT])
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        else:
            cell = WriteOnlyCell(self._worksheet, value=value)
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        return cell


class Workbook:
    """A workbook of ``Sheet``s, saved once, to a temporary file or bytes."""

    def __init__(self):
        self._workbook = _OpenpyxlWorkbook(write_only=True)

    def sheet(
        self, title: str, *, widths: Iterable[int] = (), header: Iterable = (), freeze=False
    ) -> Sheet:
        """A new worksheet with its column widths and a bold header row."""
        worksheet = self._workbook.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            worksheet.freeze_panes = "A2"
        sheet = Sheet(worksheet)
        header = list(header)
        if header:
            worksheet.append([sheet.cell(str(text), bold=True) for text in header])
        return sheet

    def to_file(self):
        """An open temporary file at its start; the caller (a response) closes it."""
        file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that streams it
        self._workbook.save(file)
        file.seek(0)
        return file

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()
