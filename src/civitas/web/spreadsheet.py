"""CSV files for people: what staff download to open in a spreadsheet. Headers in the
reader's language, numbers in the reader's locale (no thousands separator, so that every
spreadsheet reads them back as numbers), and the separator a spreadsheet of that locale
expects: a semicolon where the decimal sign is a comma. A byte-order mark tells
spreadsheets the file is UTF-8. Files for machines (open data) keep plain CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from babel.numbers import format_decimal, get_decimal_symbol
from starlette.responses import Response


def cell(value: object, locale: str) -> object:
    """A number in the locale; anything else as it is (None as an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return format_decimal(value, locale=locale, group_separator=False)
    return value


def separator(locale: str) -> str:
    return ";" if get_decimal_symbol(locale) == "," else ","


def people_csv(
    name: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, locale: str
) -> Response:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=separator(locale), lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([cell(v, locale) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def read_people_csv(text: str) -> list[dict[str, str]]:
    """Such a file read back (for tests and imports): the separator sniffed from the header."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
