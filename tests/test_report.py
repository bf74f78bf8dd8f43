"""`textmad report` on real tiny runs: a self-contained report.html, report.md and PNG plots, checked as
files and as a page rendered by headless Chromium."""
from __future__ import annotations

import base64
import html
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, subprocess_env
from textmad.io import read_jsonl
from textmad.report.text import cut_words, visible

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_report(out: Path, *runs: Path) -> str:
    """`python -m textmad report` in a subprocess, so that the recorded command is the real one."""
    proc = subprocess.run([sys.executable, "-m", "textmad", "report", *map(str, runs), "--out", str(out)],
                          cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_en(tiny_run, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report-en")
    return out, make_report(out, tiny_run)


@pytest.fixture(scope="module")
def report_two(tiny_run, tiny_run_bn, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report-two")
    return out, make_report(out, tiny_run, tiny_run_bn)


def test_files_and_self_contained_html(report_en):
    out, page = report_en
    pngs = sorted((out / "plots").glob("*.png"))
    assert len(pngs) >= 5 and all(p.read_bytes().startswith(PNG_MAGIC) for p in pngs)
    assert sum(p.stat().st_size for p in pngs) < 1_000_000
    # no asset is fetched from anywhere: every src/href is local to the page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page and "<script" not in page
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(sources) == len(pngs)
    embedded = {base64.b64decode(s.removeprefix("data:image/png;base64,")) for s in sources
                if s.startswith("data:image/png;base64,")}
    assert embedded == {p.read_bytes() for p in pngs}
    markdown = (out / "report.md").read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\((plots/[^)]+\.png)\)", markdown)
    assert sorted(linked) == sorted(p.relative_to(out).as_posix() for p in pngs)


def test_records_recipe_seed_versions_and_command(report_en, tiny_run):
    out, page = report_en
    env = json.loads((tiny_run / "environment.json").read_text(encoding="utf-8"))
    assert html.escape((tiny_run / "recipe.yaml").read_text(encoding="utf-8")) in page
    assert f'&quot;torch&quot;: &quot;{env["packages"]["torch"]}&quot;' in page
    assert f'&quot;gen-000&quot;: {env["seeds"]["gen-000"]}' in page
    assert f"textmad report {tiny_run} --out {out}" in page
    assert html.escape(shlex.join(env["command"])) in page  # the run's command as a command line, not a list


def test_samples_table_at_first_middle_and_last_generation(report_en, tiny_run):
    _, page = report_en
    section = page[page.index("Samples: the same prompts"):]
    table = section[section.index("<table>", section.index("arm replace")):]
    table = table[:table.index("</table>")]
    assert re.findall(r"<th>([^<]*)</th>", table) == ["prompt", "gen-000", "gen-001", "gen-002"]
    first = table[:table.index("</tr>", table.index("<tbody>"))]
    anchor = read_jsonl(tiny_run / "gen-000" / "samples.jsonl")[0]
    assert html.escape(visible(anchor["prompt"])) in first
    for k in range(3):
        samples = read_jsonl(tiny_run / ("gen-000" if k == 0 else f"replace/gen-{k:03d}") / "samples.jsonl")
        # the continuation of the same prompt text, else (a later generation is prompted from its own
        # training text) the sample in the same position, shown with its own prompt
        same = [s for s in samples if s["prompt"] == anchor["prompt"]]
        sample = same[0] if same else next(s for s in samples if s["prompt_id"] == anchor["prompt_id"])
        expected = visible(cut_words(sample["text"], 60))
        if not same:
            expected = f"[prompt: {sample['prompt']}] {expected}"
        assert html.escape(expected) in first, k


def test_report_of_two_runs_compares_them(report_two, tiny_run_bn):
    out, page = report_two
    comparison = page[page.index("<h2>Comparison</h2>"):page.index("<h2>Metrics against generation</h2>")]
    rows = re.findall(r"<tr>(.*?)</tr>", comparison)
    cells = [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", r) for r in rows]
    assert cells[0][:5] == ["source", "lang", "arm", "generation", "heldout_bpb"]
    assert {(c[0], c[1]) for c in cells[1:]} == {("tiny", "en"), ("tiny-bn", "bn")}
    bn = next(s for s in read_jsonl(tiny_run_bn / "gen-000" / "samples.jsonl") if s["prompt_id"] == "p000000")
    assert html.escape(visible(cut_words(bn["text"], 60))) in page
    assert '<td lang="bn"' in page


def pixels_near(image, hex_colour: str, tolerance: int = 30) -> int:
    import numpy as np

    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image[..., :3].astype(int) - rgb).max(axis=-1) <= tolerance).sum())


def screenshot(page: Path, png: Path):
    from PIL import Image
    import numpy as np

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
                    "--window-size=1200,2000", page.resolve().as_uri()],
                   capture_output=True, timeout=60, check=True)
    return np.asarray(Image.open(png).convert("RGB"))


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="no chromium on PATH to render report.html")
def test_html_renders_its_plots_in_a_browser(report_en, tmp_path):
    out, page = report_en
    shot = screenshot(out / "report.html", tmp_path / "shot.png")
    assert shot.shape[:2] == (2000, 1200)
    blue, orange = pixels_near(shot, "#1f77b4"), pixels_near(shot, "#ff7f0e")
    assert blue > 300 and orange > 300, (blue, orange)
    # the same page with its images broken draws none of the line colours
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r'src="data:image/png;base64,[^"]*"', 'src="missing.png"', page), encoding="utf-8")
    shot = screenshot(broken, tmp_path / "broken.png")
    assert pixels_near(shot, "#1f77b4") < 50 and pixels_near(shot, "#ff7f0e") < 50
