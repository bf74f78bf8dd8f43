"""Table formatting shared by the report, `textmad compare` and `textmad eval`: one format per column,
one spelling of a missing value, terminal width, and exports that parse back."""
from __future__ import annotations

import csv
import io
import json

import pytest

from textmad.report.tables import UNAVAILABLE, format_rows, metric_table, render, terminal_table
from textmad.report.text import display_width

HEADER = ["arm", "seed", "train_tokens", "heldout_ppl", "tail_coverage", "span", "formality_f"]
ROWS = [["replace", 477145320, 454842, 124.9385488565283, 0.0018587360594795538, 88590.0, None],
        ["fresh-50", 690874673, 23408, 111.24, 0.0, 0.000123, 81.4655172413793],
        ["বাংলা", 0, 7, 1e7, 0.45, 1.5, 72.0]]


def test_one_format_per_column():
    cells = format_rows(HEADER, ROWS)
    seeds, tokens, ppl, tail, span, formality = ([row[i] for row in cells] for i in range(1, 7))
    assert seeds == ["477145320", "690874673", "0"]  # identifiers: no thousands separators
    assert tokens == ["454,842", "23,408", "7"]
    assert ppl == ["1.249e+02", "1.112e+02", "1.000e+07"]  # spans more than four decades: scientific throughout
    assert tail == ["0.0019", "0.0000", "0.4500"]  # four significant digits for the largest value
    assert span == ["8.859e+04", "1.230e-04", "1.500e+00"]
    assert formality == [UNAVAILABLE, "81.47", "72.00"]


def test_exports_keep_full_precision_and_missing_values():
    parsed = list(csv.DictReader(io.StringIO(render(HEADER, ROWS, "csv"))))
    assert float(parsed[0]["heldout_ppl"]) == ROWS[0][3] and parsed[0]["formality_f"] == ""
    assert parsed[2]["arm"] == "বাংলা"
    rows = json.loads(render(HEADER, ROWS, "json"))
    assert rows[0]["tail_coverage"] == ROWS[0][4] and rows[0]["formality_f"] is None
    markdown = render(HEADER, ROWS, "markdown").splitlines()
    assert markdown[0] == "| arm | seed | train\\_tokens | heldout\\_ppl | tail\\_coverage | span | formality\\_f |"
    assert markdown[2].endswith(f"| {UNAVAILABLE} |")
    with pytest.raises(ValueError, match="accepted: table, csv, json, markdown"):
        render(HEADER, ROWS, "xml")


@pytest.mark.parametrize("width", [200, 70, 40])
def test_terminal_table_fits_width(width):
    text = terminal_table(HEADER, ROWS, width)
    assert max(display_width(line) for line in text.splitlines()) <= width
    for cell in ("477145320", "1.000e+07", UNAVAILABLE, "বাংলা"):
        assert cell in text
    if width == 200:
        assert text.splitlines()[0].split() == HEADER  # fits as it is


def test_metric_table_follows_the_registry():
    from textmad.evaluate import METRICS

    header, rows = metric_table({"gen-000": {"tail_coverage": 0.5, "heldout_ppl": 120.0, "zipf_exponent": None},
                                 "replace/gen-001": {"heldout_ppl": 130.0, "unknown": 1.0}})
    order = [m.name for m in METRICS]
    assert header == ["source", "heldout_ppl", "tail_coverage"] and order.index("heldout_ppl") < order.index("tail_coverage")
    assert rows == [["gen-000", 120.0, 0.5], ["replace/gen-001", 130.0, None]]
    one = render(*metric_table({"gen-000": {"heldout_ppl": 120.0, "tail_coverage": 0.5}}), "table", width=30)
    assert "heldout_ppl" in one.splitlines()[2]  # one source: transposed, a line per metric
