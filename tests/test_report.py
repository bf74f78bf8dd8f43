"""`textmad report` on real tiny runs: a self-contained report.html, report.md and PNG plots, checked as
files and as a page rendered by headless Chromium."""
from __future__ import annotations

import base64
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from PIL import Image

from conftest import ROOT, subprocess_env
from textmad.io import read_jsonl
from textmad.report.text import cut_words, visible

pytestmark = pytest.mark.slow  # every test here reports on the session's tiny runs (README: the fast test loop)

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
    # no asset is fetched from anywhere: every src/href of the markup is local to the page (plotly.js
    # carries URLs for map tiles and its logo link, which figures without maps never load)
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", markup, re.IGNORECASE)
    assert "<link" not in page
    # the only scripts are inline: plotly.js once, then one per interactive figure
    assert not re.search(r"<script[^>]*\ssrc", page, re.IGNORECASE)
    assert page.count("<script>") == 1 + page.count('class="plotly-graph-div"')
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    # 150 dpi, shown at their laid-out size
    for png in pngs:
        with Image.open(png) as im:
            assert round(im.info["dpi"][0]) == 150 and im.width >= 800, (png.name, im.size)
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
    assert cells[0][:6] == ["source", "lang", "arm", "generation", "heldout_bpc", "heldout_bpw"]
    assert {(c[0], c[1]) for c in cells[1:]} == {("tiny", "en"), ("tiny-bn", "bn")}
    bn = next(s for s in read_jsonl(tiny_run_bn / "gen-000" / "samples.jsonl") if s["prompt_id"] == "p000000")
    assert html.escape(visible(cut_words(bn["text"], 60))) in page
    assert '<td lang="bn"' in page


def pixels_near(image, hex_colour: str, tolerance: int = 30) -> int:
    import numpy as np

    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image[..., :3].astype(int) - rgb).max(axis=-1) <= tolerance).sum())


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(not BROWSER, reason="no chromium on PATH to render report.html")


@pytest.fixture(scope="module")
def no_bengali_fonts(tmp_path_factory) -> dict:
    """The environment of a browser on a machine without Bengali fonts: fontconfig sees only DejaVu
    Sans (matplotlib ships it; it has no Bengali), whatever this machine has installed."""
    import matplotlib

    folder = tmp_path_factory.mktemp("fontconfig")
    conf = folder / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?>\n<!DOCTYPE fontconfig SYSTEM 'fonts.dtd'>\n<fontconfig>"
                    f"<dir>{Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'}</dir>"
                    f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(folder)}


def chromium(page: Path, env: dict, *args: str) -> str:
    proc = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=10000", *args, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(page: Path, png: Path, env: dict, size: str = "1200,2000"):
    import numpy as np

    chromium(page, env, f"--screenshot={png}", f"--window-size={size}")
    return np.asarray(Image.open(png).convert("RGB"))


@needs_browser
def test_html_renders_its_plots_in_a_browser(report_en, tmp_path, no_bengali_fonts):
    out, page = report_en
    shot = screenshot(out / "report.html", tmp_path / "shot.png", no_bengali_fonts)
    assert shot.shape[:2] == (2000, 1200)
    blue, orange = pixels_near(shot, "#1f77b4"), pixels_near(shot, "#ff7f0e")
    assert blue > 300 and orange > 300, (blue, orange)
    # the same page with its images broken and its scripts gone draws none of the line colours
    broken = tmp_path / "broken.html"
    page = re.sub(r'src="data:image/png;base64,[^"]*"', 'src="missing.png"', page)
    broken.write_text(re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL), encoding="utf-8")
    shot = screenshot(broken, tmp_path / "broken.png", no_bengali_fonts)
    assert pixels_near(shot, "#1f77b4") < 50 and pixels_near(shot, "#ff7f0e") < 50


# Run in the page once it has loaded: what overflows, what plotly drew, which images decoded.
PROBE = """<script>
document.fonts.ready.then(() => {
  const cells = [...document.querySelectorAll("td")].filter(td => td.scrollWidth > td.clientWidth + 1);
  const result = {
    overflowing: cells.map(td => td.textContent.slice(0, 40)),
    page_width: document.documentElement.scrollWidth, window_width: window.innerWidth,
    figures: document.querySelectorAll(".plotly-graph-div").length,
    drawn: [...document.querySelectorAll(".plotly-graph-div")].filter(
      d => d.querySelectorAll(".scatterlayer .trace, .barlayer .trace").length > 0).length,
    images: [...document.images].filter(i => i.complete && i.naturalWidth > 0).length,
    bengali_font: [...document.fonts].filter(f => f.family.includes("Bengali")).map(f => f.status),
  };
  const out = document.createElement("pre"); out.id = "probe"; out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""


def probe(page_html: str, path: Path, env: dict) -> dict:
    path.write_text(page_html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(path, env, "--dump-dom", "--window-size=1200,2000")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found[1]))


@needs_browser
def test_bengali_glyphs_drawn_without_bengali_fonts(report_two, hostile_report, tmp_path, no_bengali_fonts):
    """On a machine with no Bengali font, the embedded subset draws Bengali: two different words give
    different pixels (tofu boxes would be identical), and the page without its font draws tofu."""
    import numpy as np

    out, page = report_two
    words = re.findall(r'<td lang="bn" class="text">([\u0980-\u09FF]{2,})</td>', page)
    assert len(set(words)) >= 2, "the Bengali report lists no lost words"
    first, second = sorted(set(words), key=len)[-2:]
    head = page[:page.index("<body>")]
    assert "@font-face" in head and "data:font/woff;base64," in head

    def draw(text: str, with_font: bool, name: str):
        h = head if with_font else re.sub(r"@font-face \{[^}]*\}", "", head)
        line = f'<body><p lang="bn" style="font-size:64px;margin:10px">{text}</p></body></html>'
        (tmp_path / f"{name}.html").write_text(h + line, encoding="utf-8")
        return screenshot(tmp_path / f"{name}.html", tmp_path / f"{name}.png", no_bengali_fonts, "900,200")

    same_length = second[:len(first)] if len(second) >= len(first) else second + first[len(second):]
    tofu = [draw(first, False, "tofu-a"), draw(same_length, False, "tofu-b")]
    glyphs = [draw(first, True, "font-a"), draw(same_length, True, "font-b")]
    ink = [int((g < 128).any(axis=-1).sum()) for g in glyphs]
    assert min(ink) > 500, ink  # something was drawn
    # the control: this browser has no Bengali font, so different words are the same row of boxes
    assert np.array_equal(tofu[0], tofu[1]) or first == same_length
    assert not np.array_equal(glyphs[0], glyphs[1])
    assert not np.array_equal(glyphs[0], tofu[0])
    result = probe(page, tmp_path / "two.html", no_bengali_fonts)
    assert result["bengali_font"] == ["loaded"], result


@needs_browser
def test_page_has_no_overflow_and_draws_every_figure(hostile_report, tmp_path, no_bengali_fonts):
    out, page = hostile_report
    result = probe(page, tmp_path / "probe.html", no_bengali_fonts)
    assert result["overflowing"] == [], result
    assert result["page_width"] <= result["window_width"], result
    assert result["figures"] >= 2 and result["drawn"] == result["figures"], result
    assert result["images"] == len(list((out / "plots").glob("*.png"))), result


HOSTILE = ("<script>alert(1)</script> <img src=x onerror=alert(2)> <svg onload=alert(3)> [link](javascript:x) "
           "| pipe ``` fence " + "0" * 400)


@pytest.fixture(scope="module")
def hostile_report(tiny_run, tmp_path_factory) -> tuple[Path, str]:
    """A copy of the tiny run whose samples (gen-000 and every last generation) carry hostile markup and
    a 400-character token, reported."""
    from textmad.io import write_jsonl

    base = tmp_path_factory.mktemp("hostile")
    run = base / "tiny"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("model"))
    for folder in (run / "gen-000", run / "replace" / "gen-002", run / "fresh-50" / "gen-002"):
        samples = read_jsonl(folder / "samples.jsonl")
        samples[0]["text"] = HOSTILE + " " + samples[0]["text"]
        write_jsonl(folder / "samples.jsonl", samples)
    out = base / "report"
    return out, make_report(out, run)


def test_markdown_and_html_escape_hostile_samples(hostile_report):
    out, page = hostile_report
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for raw in ("<script", "<img", "<svg", "[link](javascript"):
        assert raw not in markdown, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "\\| pipe" in markdown and "\\[link\\](javascript:x)" in markdown and "0" * 400 in markdown
    # HTML: escaped too; the only script elements are the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<svg onload" not in page
    assert page.count("<script>") == 1 + page.count('class="plotly-graph-div"')


def test_prints_the_true_file_size(tiny_run, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "textmad", "report", str(tiny_run), "--out", str(tmp_path),
                           "--static"], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    kib = int(re.search(r"report\.html \(([\d,]+) KiB", proc.stdout)[1].replace(",", ""))
    assert kib == round((tmp_path / "report.html").stat().st_size / 1024)
    assert "<script" not in (tmp_path / "report.html").read_text(encoding="utf-8")  # --static: no plotly


@pytest.mark.parametrize("which", ["en", "bn"])
def test_lost_words_from_the_run_files(which, request):
    """Each lost word is a tail word of the real pool that gen-000 wrote and the last generation did not,
    with its counts; every other tail word gen-000 wrote is still written."""
    from collections import Counter

    from textmad.evaluate.tail import bands
    from textmad.text import tokens
    from textmad.report.lost import lost_words
    from textmad.report.rundir import Run

    path = request.getfixturevalue("tiny_run" if which == "en" else "tiny_run_bn")
    run = Run(path)

    def count(rows):
        return Counter(w for r in rows for w in tokens(r["text"]))

    pool = count(r for r in read_jsonl(path / "gen-000" / "train_mix.jsonl") if r["origin"] == "real")
    tail = bands(pool, 20, 200)[0]["tail"]  # recipes/tiny.yaml's head_ranks, torso_ranks
    gen0 = count(read_jsonl(path / "gen-000" / "samples.jsonl"))
    for arm in ("replace", "fresh-50"):
        last = count(read_jsonl(path / arm / "gen-002" / "samples.jsonl"))
        result = lost_words(run, arm)
        assert result.last == 2 and result.gen0_tail == len(set(gen0) & tail)
        lost = {w: (cp, c0) for w, cp, c0 in result.lost}
        assert lost == {w: (pool[w], gen0[w]) for w in gen0 if w in tail and w not in last}
        assert [c0 for _, _, c0 in result.lost] == sorted((c0 for _, _, c0 in result.lost), reverse=True)
        assert result.survival[0] == (0, result.gen0_tail)
        assert result.survival[-1] == (2, result.gen0_tail - len(lost))
        if which == "bn" and lost:
            assert all(re.fullmatch(r"[\u0980-\u09FF\u200c\u200d]+", w) for w in lost)


def test_lost_words_appear_in_the_report(report_two, tiny_run_bn):
    from textmad.report.lost import lost_words
    from textmad.report.rundir import Run

    out, page = report_two
    markdown = (out / "report.md").read_text(encoding="utf-8")
    section = page[page.index("<h2>Which words were lost</h2>"):page.index("<h2>Training loss</h2>")]
    for arm in ("replace", "fresh-50"):
        for word, pool, gen0 in lost_words(Run(tiny_run_bn), arm).lost[:30]:
            assert f'<td lang="bn" class="text">{word}</td><td class="num">{gen0:,}</td><td class="num">{pool:,}</td>' \
                   in section
            assert f"| {word} | {gen0:,} | {pool:,} |" in markdown
    assert re.search(r'!\[[^\]]*\]\(plots/lost-tiny-bn\.png\)', markdown)


def test_run_table_by_family_with_one_format_per_column(report_en, tiny_run):
    from textmad.evaluate import METRICS

    out, page = report_en
    markdown = (out / "report.md").read_text(encoding="utf-8")
    section = markdown[markdown.index("the run table of tiny"):markdown.index("## How these runs were made")]
    tables = re.findall(r"\n(\w[\w ()]*):\n\n(\|.*?)\n(?=\n)", section, flags=re.DOTALL)
    groups = {name: [[c.strip().replace("\\_", "_") for c in line.strip("|").split(" | ")]
                     for line in table.splitlines() if not line.startswith("|---")] for name, table in tables}
    assert list(groups)[:2] == ["run", "perplexity"] and "timings (seconds)" in groups
    for name, (header, *rows) in groups.items():
        assert header[:2] == ["arm", "generation"]
        if name in METRICS.families():
            assert all(METRICS[c].family == name for c in header[2:]), (name, header)
        for i, column in enumerate(zip(*rows)):
            numbers = [c for c in column if c != "n/a"]
            if numbers and all(re.fullmatch(r"-?[\d,]*\.(\d+)", c) for c in numbers):
                assert len({len(c.split(".")[1]) for c in numbers}) == 1, (name, header[i])
    header, *rows = groups["run"]
    seeds = [row[header.index("seed")] for row in rows]
    assert seeds == [str(r["seed"]) for r in read_jsonl(tiny_run / "metrics.jsonl")]  # no thousands separators
    # one spelling of a missing value in every table, Markdown and HTML
    assert "n/a" in section and "| None |" not in markdown and "| — |" not in markdown
    assert "<td>None</td>" not in page and ">—</td>" not in page


def test_scales_follow_the_values(report_en, report_two):
    from textmad.report.plots import log_scale

    # the decoding report's held-out perplexity (183.5 to 215,190) needs a log axis; bits per byte does not
    assert log_scale([183.5, 1_000.0, 215_190.0]) and not log_scale([3.7, 3.8, 3.9])
    assert not log_scale([0.0, 0.5, 100.0])  # a zero has no logarithm
    # runs of different languages are each drawn relative to their own generation 0
    assert "divided by its own generation 0" in report_two[1]
    assert "divided by its own generation 0" not in report_en[1]


def panels(runs, metrics, tmp_path, monkeypatch) -> dict:
    """{metric: its matplotlib Axes} of `plots.family_plot` over ``runs``, kept as drawn (and saved)."""
    from textmad.report import plots

    figures, save = [], plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (figures.append(fig), save(fig, path))[1])
    drawn = plots.family_plot(runs, metrics, "panels", tmp_path / "panels.png")
    (figure,) = figures
    return dict(zip(drawn, (ax for ax in figure.axes if ax.get_visible())))


def inside(ax, value: float, margin: float = 0.05) -> bool:
    """``value`` lies within the y limits, at least ``margin`` of their span from either edge (log axes: in log space)."""
    import math

    lo, hi = ax.get_ylim()
    f = math.log10 if ax.get_yscale() == "log" else float
    return f(lo) + margin * (f(hi) - f(lo)) <= f(value) <= f(hi) - margin * (f(hi) - f(lo))


def test_real_text_lines_lie_inside_their_panels(tiny_run, tmp_path, monkeypatch):
    """The real-text line is drawn inside the frame, never on it; the generation-0 model's perplexity panel
    has one too: the generation-0 model's perplexity of held-out real text (the run's gen-000 heldout_ppl)."""
    from textmad.report import plots
    from textmad.report.report import PLOTTED
    from textmad.report.rundir import open_runs

    (run,) = open_runs([str(tiny_run)])
    axes = panels([run], [m for m in PLOTTED if m in run.metric_names()], tmp_path, monkeypatch)
    gen0_heldout = run.value(run.arms[0], 0, "heldout_ppl")
    reals = plots.real_values(run)
    assert reals["gen0_ppl"] == gen0_heldout
    checked = 0
    for metric, ax in axes.items():
        lines = [line for line in ax.get_lines() if line.get_label().startswith("real text")]
        for line in lines:
            assert inside(ax, line.get_ydata()[0]), (metric, line.get_ydata()[0], ax.get_ylim())
            checked += 1
        for line in ax.get_lines():
            assert all(inside(ax, y, margin=0.03) for y in line.get_ydata()), (metric, ax.get_ylim())
    assert checked >= 4
    (line,) = [line for line in axes["gen0_ppl"].get_lines() if line.get_label().startswith("real text")]
    assert line.get_ydata()[0] == gen0_heldout


def test_a_panel_flat_at_zero_says_so(tiny_run, tmp_path, monkeypatch):
    """Repeated 4-grams never occur in the toy's samples: the panel says so instead of drawing on the frame."""
    from textmad.report.rundir import open_runs

    (run,) = open_runs([str(tiny_run)])
    assert {y for points in run.series("repeated_4gram_share").values() for _, y in points} == {0.0}
    axes = panels([run], ["distinct_2", "repeated_4gram_share"], tmp_path, monkeypatch)
    flat = axes["repeated_4gram_share"]
    assert not flat.get_lines() and any(t.get_text().startswith("0 at every generation in every arm")
                                        for t in flat.texts)
    assert axes["distinct_2"].get_lines() and not axes["distinct_2"].texts


def test_gen0_panel_without_held_out_perplexity_says_why(tiny_run, tmp_path, monkeypatch):
    from textmad.report.rundir import open_runs

    (run,) = open_runs([str(tiny_run)])
    run.table = [{k: v for k, v in row.items() if not k.startswith("heldout_")} for row in run.table]
    axes = panels([run], ["gen0_ppl"], tmp_path, monkeypatch)
    ax = axes["gen0_ppl"]
    assert not [line for line in ax.get_lines() if line.get_label().startswith("real text")]
    assert any("no real-text line: the run has no generation-0 heldout_ppl" in t.get_text() for t in ax.texts)


def test_every_figure_is_at_least_1000_px_wide(report_en):
    out, _ = report_en
    for png in (out / "plots").glob("*.png"):
        with Image.open(png) as im:
            assert im.width >= 1000, (png.name, im.size)
