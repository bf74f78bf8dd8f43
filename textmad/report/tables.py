"""Tables for people and for programs: one number format per column, one spelling of a missing value,
and four outputs (a terminal table that fits the terminal's width, CSV, JSON, Markdown).

Cells arrive raw (numbers, strings, None); people get formatted strings, programs get the numbers
themselves (full precision, missing as an empty CSV cell or JSON null). `textmad compare`, the
report's tables and `textmad eval` all format through here.
"""
from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

from textmad.io import write_text
from textmad.report.rundir import is_number
from textmad.report.text import display_width, pad

UNAVAILABLE = "n/a"  # the one spelling of a missing value in every table a person reads
FORMATS = ("table", "csv", "json", "markdown")
# Integer columns that are identifiers, not amounts: no thousands separators.
IDENTIFIERS = ("seed", "generation")


def column_format(name: str, values: list):
    """The one formatter of a column: integers (with thousands separators unless an identifier),
    fixed decimals giving four significant digits to the column's largest value, or scientific
    notation where the column spans more than four decades."""
    numbers = [v for v in values if is_number(v)]
    if not numbers:
        return lambda v: UNAVAILABLE if v is None or is_number(v) else str(v)
    if all(isinstance(v, int) for v in numbers):
        spec = "{:d}" if name in IDENTIFIERS or name.endswith("_seed") else "{:,d}"
        return lambda v: spec.format(int(v)) if is_number(v) else (UNAVAILABLE if v is None else str(v))
    largest = max(abs(v) for v in numbers)
    if largest == 0:
        return lambda v: "0" if is_number(v) else (UNAVAILABLE if v is None else str(v))
    smallest = min((abs(v) for v in numbers if v), default=largest)
    if largest >= 1e6 or largest / smallest > 1e4 or largest < 1e-3:
        spec = "{:.3e}"
    else:
        digits = math.floor(math.log10(largest)) + 1
        spec = f"{{:.{min(6, max(0, 4 - digits))}f}}"
    return lambda v: spec.format(v) if is_number(v) else (UNAVAILABLE if v is None else str(v))


def format_rows(header: list[str], rows: list[list]) -> list[list[str]]:
    """String cells, each column with its one format."""
    formats = [column_format(name, [row[i] for row in rows]) for i, name in enumerate(header)]
    return [[f(cell) for f, cell in zip(formats, row)] for row in rows]


def _numeric(column: list) -> bool:
    return all(is_number(v) or v is None for v in column)


def _text_table(header: list[str] | list[list[str]], cells: list[list[str]], right: list[bool]) -> str:
    """Padded columns under one header line (or several stacked ones), a rule, then the cells."""
    headers = header if header and isinstance(header[0], list) else [header]
    widths = [max(display_width(c) for c in col) for col in zip(*headers, *cells)]
    return "\n".join("  ".join(pad(c, w, right=r) for c, w, r in zip(row, widths, right)).rstrip()
                     for row in [*headers, ["-" * w for w in widths], *cells])


def _width(header: list[str], cells: list[list[str]]) -> int:
    return sum(max(display_width(c) for c in col) for col in zip(header, *cells)) + 2 * (len(header) - 1)


def terminal_table(header: list[str], rows: list[list], width: int | None = None, keys: int = 1) -> str:
    """A plain-text table within ``width`` columns (default: the terminal's): as it is when it fits,
    else transposed (a line per column, the ``keys`` leading key columns stacked as header lines)
    when that fits, else cut into blocks of columns that each repeat the key columns."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    cells = format_rows(header, rows)
    right = [_numeric([row[i] for row in rows]) if rows else False for i in range(len(header))]
    if _width(header, cells) <= width:
        return _text_table(header, cells, right)
    t_headers = [[name] + [row[i] for row in cells] for i, name in enumerate(header[:keys])]
    t_cells = [[name] + [row[i] for row in cells] for i, name in enumerate(header) if i >= keys]
    if _width(t_headers[0], t_headers[1:] + t_cells) <= width or len(cells) <= 1:
        return _text_table(t_headers, t_cells, [False] + [True] * len(cells))
    blocks, start = [], keys
    while start < len(header):
        end = start + 1
        while end < len(header) and _width(header[:keys] + header[start:end + 1],
                                           [r[:keys] + r[start:end + 1] for r in cells]) <= width:
            end += 1
        pick = list(range(keys)) + list(range(start, end))
        blocks.append(_text_table([header[i] for i in pick], [[r[i] for i in pick] for r in cells],
                                  [right[i] for i in pick]))
        start = end
    return "\n\n".join(blocks)


def markdown_cell(text: str) -> str:
    """One line of Markdown table text that renders as the text itself: HTML-escaped (so sample text
    such as ``<script>`` is shown, never run), pipes and Markdown punctuation backslash-escaped."""
    import html
    import re

    text = html.escape(" ".join(str(text).split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#~])", r"\\\1", text)


def markdown_table(header: list[str], cells: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(map(markdown_cell, header)) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in cells])


def render(header: list[str], rows: list[list], fmt: str = "table", width: int | None = None, keys: int = 1) -> str:
    """``rows`` (raw cells) as ``fmt``: "table" (fits ``width``), "csv" and "json" (numbers at full
    precision, missing values empty / null), "markdown" (formatted like the table)."""
    if fmt == "table":
        return terminal_table(header, rows, width, keys)
    if fmt == "markdown":
        return "\n".join(markdown_table(header, format_rows(header, rows)))
    if fmt == "json":
        return json.dumps([dict(zip(header, (v if v is None or is_number(v) or isinstance(v, str) else str(v)
                                             for v in row))) for row in rows], ensure_ascii=False, indent=1)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for v in row]
                          for row in rows])
        return buffer.getvalue().rstrip("\n")
    raise ValueError(f"format {fmt!r}; accepted: {', '.join(FORMATS)}")


def metric_table(values: dict[str, dict]) -> tuple[list[str], list[list]]:
    """Header and raw rows of labelled metric values ({label: {metric: value}}): one row per label,
    the registered metrics that have a number somewhere as columns, in registry order."""
    from textmad.evaluate import METRICS

    names = [m.name for m in METRICS if any(is_number(v.get(m.name)) for v in values.values())]
    return ["source"] + names, [[label] + [v.get(n) if is_number(v.get(n)) else None for n in names]
                                for label, v in values.items()]


def add_format_arguments(p) -> None:
    """--format and --out for a verb that prints a table (compare, eval)."""
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table (fits the terminal), csv, json (full precision, missing as empty/null) or markdown")
    p.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of printing")


def emit(text: str, out: str | None) -> None:
    """Print ``text``, or write it to ``out`` atomically and say where."""
    if out is None:
        print(text)
        return
    path = Path(out)
    write_text(path, text + "\n")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
