"""Groups of seeds side by side (e.g. one recipe per language on aligned splits): `textmad compare`
prints each group minus the first as a Welch interval on the change from each run's own gen-000,
and `textmad report` draws each group's seeds as a mean curve with a 95% band."""
import json
import math

import pytest
from scipy import stats as sps

from textmad import stats
from textmad.cli import main
from textmad.io import write_json, write_jsonl, write_text
from textmad.recipe import dump_yaml, load_recipe
from textmad.report.compare import between_lines, seed_groups
from textmad.report.rundir import open_runs

# per language and seed: (heldout_bpc at gen 0, at gen 2) under replace; tail coverage falls by `drop`
BPC = {"en": {0: (2.0, 2.2), 1: (2.1, 2.3), 2: (1.9, 2.05)},
       "bn": {0: (1.5, 1.8), 1: (1.6, 1.95), 2: (1.55, 1.85)}}
DROP = {"en": {0: 0.10, 1: 0.12, 2: 0.11}, "bn": {0: 0.20, 1: 0.12, 2: 0.34}}


def fake_seed(tmp_path, language: str, seed: int):
    """A finished run directory as `textmad run --seeds` leaves it: recipe, corpus.json, DONE markers
    and the run table (generations 0-2 of replace)."""
    recipe = load_recipe("recipes/tiny.yaml", [f"output_dir={tmp_path}", f"name=par-{language}", f"seed={seed}", f"corpus.name=quran-{language}",
                                               "loop.arms=[{mode: replace}]"])
    run_dir = tmp_path / f"par-{language}" / f"seed-{seed}"
    write_text(run_dir / "recipe.yaml", dump_yaml(recipe))
    write_json(run_dir / "corpus.json", {"corpus": f"quran-{language}", "language": language,
                                         "config": {"aligned_verses": 3}})
    write_text(run_dir / "gen-000" / "DONE", "")
    b0, b2 = BPC[language][seed]
    rows = []
    for k in (0, 1, 2):
        if k:
            write_text(run_dir / "replace" / f"gen-{k:03d}" / "DONE", "")
        rows.append({"arm": "replace", "mode": "replace", "generation": k, "heldout_bpc": b0 + (b2 - b0) * k / 2,
                     "tail_coverage": 0.5 * (1 - DROP[language][seed] * k / 2), "distinct_2": 0.8,
                     "mauve": 0.9 - 0.2 * k, "radioactivity_z": 0.5 * k - 0.25, "watermark_tpr": 1 - 0.02 * seed})
    write_jsonl(run_dir / "metrics.jsonl", rows)
    return run_dir


@pytest.fixture
def two_languages(tmp_path):
    return [fake_seed(tmp_path, lang, s) for lang in ("en", "bn") for s in (0, 1, 2)]


def welch(a, b):
    """Welch's interval written out: Welch-Satterthwaite degrees of freedom and scipy's t quantile."""
    va, vb = sps.tvar(a) / len(a), sps.tvar(b) / len(b)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    h = sps.t.ppf(0.975, dof) * math.sqrt(va + vb)
    d = sum(a) / len(a) - sum(b) / len(b)
    return d - h, d + h


def test_difference_is_welchs_interval():
    a, b = [0.15, 0.2, 0.19], [0.1, 0.1, 0.08, 0.12]
    got = stats.difference(a, b)
    assert (got.low, got.high) == pytest.approx(welch(a, b))
    assert got.n == 3 and got.mean == pytest.approx(0.18 - 0.1)
    assert stats.difference([1.0], [2.0, 3.0]).n == 1 and math.isnan(stats.difference([1.0], [2.0, 3.0]).low)
    assert stats.difference([1.0, 1.0], [0.0, 0.0]).text() == "1 ± 0 (2)"


def test_compare_states_each_language_minus_the_first_with_its_interval(two_languages, capsys):
    runs = open_runs([str(p) for p in two_languages])
    groups = seed_groups(runs)
    assert [len(g) for g in groups] == [3, 3]
    lines = between_lines(groups)
    bpc = next(line for line in lines if "heldout_bpc_change" in line)
    change = {lang: [BPC[lang][s][1] / BPC[lang][s][0] - 1 for s in (0, 1, 2)] for lang in BPC}
    low, high = welch(change["bn"], change["en"])
    mean = sum(change["bn"]) / 3 - sum(change["en"]) / 3
    assert bpc.startswith("par-bn (seeds 0 1 2) − par-en (seeds 0 1 2): replace, heldout_bpc_change at gen-002: ")
    assert f"{mean:.4g} ± {(high - low) / 2:.4g} (3)" in bpc and "excludes 0" in bpc
    tail = next(line for line in lines if "tail_coverage_change" in line)
    assert "includes 0" in tail  # the Bengali seeds spread too much for their larger mean drop to count
    assert main(["compare", *map(str, two_languages)]) == 0
    out = capsys.readouterr().out
    assert "Differences between groups of seeds" in out and bpc in out


def test_the_same_seed_twice_is_not_two_seeds(tmp_path):
    """Two runs of one recipe and seed under different names are two groups, never one group whose
    per-seed values would overwrite each other."""
    runs = [fake_seed(tmp_path, "en", 0), fake_seed(tmp_path / "again", "en", 0), fake_seed(tmp_path, "en", 1)]
    assert [len(g) for g in seed_groups(open_runs([str(p) for p in runs]))] == [2, 1]


def test_a_seed_folder_is_labelled_with_its_recipe_folder(tmp_path):
    """`run --seeds` writes NAME/seed-S: alone or beside other runs, seed-0 is labelled NAME/seed-0."""
    en0, bn1 = fake_seed(tmp_path, "en", 0), fake_seed(tmp_path, "bn", 1)
    assert [r.label for r in open_runs([str(en0)])] == ["par-en/seed-0"]
    assert [r.label for r in open_runs([str(en0), str(bn1)])] == ["par-en/seed-0", "par-bn/seed-1"]


def test_bands_figure_draws_each_language_per_arm(two_languages, tmp_path):
    from textmad.report.report import seeded_blocks

    groups = seed_groups(open_runs([str(p) for p in two_languages]))
    blocks = seeded_blocks(groups, tmp_path / "out")
    assert [b.path.name for b in blocks if b.kind == "img"] == ["seeds-perplexity.png", "seeds-tail.png",
                                                                 "seeds-diversity.png", "seeds-watermark.png",
                                                                 "seeds-semantic.png"]
    # the band of en at gen 2 on heldout_bpc, each seed divided by its own gen 0
    from textmad.report.seeds import curve

    gens, cells = curve(groups[0], "replace", "heldout_bpc", relative=True)
    assert gens == [0, 1, 2] and cells[0].mean == 1 and cells[0].half_width == 0
    ratios = [BPC["en"][s][1] / BPC["en"][s][0] for s in (0, 1, 2)]
    low, high = sps.t.interval(0.95, 2, loc=sum(ratios) / 3, scale=sps.sem(ratios))
    assert (cells[2].low, cells[2].high) == (pytest.approx(low), pytest.approx(high))
    # a z-score and MAUVE are on a scale every language shares: drawn as they are, never divided by gen 0
    # (radioactivity's gen-0 z is near 0, so a ratio to it would be noise)
    for metric, values in (("radioactivity_z", [-0.25, 0.25, 0.75]), ("mauve", [0.9, 0.7, 0.5])):
        gens, cells = curve(groups[1], "replace", metric, relative=True)
        assert gens == [0, 1, 2] and [c.mean for c in cells] == pytest.approx(values)
    # a share's band ends at 1: TPR 1, 0.98, 0.96 over seeds is 0.98 ± 0.0497, drawn 0.930 to 1
    gens, cells = curve(groups[0], "replace", "watermark_tpr", relative=True)
    assert cells[1].mean == pytest.approx(0.98) and cells[1].high == 1.0
    assert cells[1].low == pytest.approx(0.98 - sps.t.ppf(0.975, 2) * 0.02 / math.sqrt(3))


@pytest.mark.slow
def test_report_on_real_seeds_of_two_recipes(tmp_path):
    """Two recipes (temperature 1.0 and 0.8) x 2 seeds of the tiny loop, 1 generation: the report draws
    the seeds as bands, shows per-run sections for the first seed of each, and states the differences."""
    from conftest import TINY, location_overrides

    base = tmp_path / "s"
    common = [str(TINY), *location_overrides(base), "loop.generations=1", "loop.arms=[{mode: replace}]"]
    assert main(["run", *common, "--seeds", "0,1"]) == 0
    assert main(["run", *common, "generate.temperature=0.8", "name=tiny-t08", "--seeds", "0,1"]) == 0
    runs = [base / "runs" / name / f"seed-{s}" for name in ("tiny", "tiny-t08") for s in (0, 1)]
    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out), "--static"]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Over seeds: means with 95% intervals" in md and "Between recipes (Welch" in md
    assert "tiny-t08 (seeds 0 1) − tiny (seeds 0 1): replace, heldout_bpc_change at gen-001" in md
    assert (out / "plots" / "seeds-perplexity.png").is_file()
    # per-run sections show the first seed of each recipe only; provenance lists every run
    assert "training loss of tiny/seed-0" in md and "training loss of tiny-t08/seed-0" in md
    assert "training loss of tiny/seed-1" not in md and "training loss of tiny-t08/seed-1" not in md
    assert md.count("Run directory `") == 4
    assert "Warning: some runs use aligned" not in md
    # one recipe on aligned parallel splits beside one that is not: the report says so
    for s in (0, 1):
        path = base / "runs" / "tiny-t08" / f"seed-{s}" / "corpus.json"
        corpus = json.loads(path.read_text(encoding="utf-8"))
        write_json(path, {**corpus, "config": {**corpus.get("config", {}), "aligned_verses": 3}})
    assert main(["report", *map(str, runs), "--out", str(out), "--static"]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Warning: some runs use aligned parallel splits and others do not (tiny/seed-0: not aligned" in md
    assert "tiny-t08/seed-0: aligned" in md


def test_seed_bands_draw_real_texts_level(two_languages, tmp_path, monkeypatch):
    """A closer-to-real metric's band figure has real text's own level: the held-out real sample's value from each
    seed's gen-000 metrics.json, the mean over seeds (each divided by its own gen 0 where the curves are)."""
    from textmad.report.seeds import bands_figure, real_levels

    def real_level(group, metric, relative):
        return real_levels(group, [metric], relative).get(metric)

    real = {0: 0.97, 1: 0.95, 2: 0.96}
    for path in two_languages:
        seed = int(path.name.split("-")[1])
        write_json(path / "gen-000" / "metrics.json", {"evaluation": {"real": {"mauve": 1.0, "distinct_2": real[seed]}}})
    groups = seed_groups(open_runs([str(p) for p in two_languages]))
    assert real_level(groups[0], "distinct_2", relative=False) == pytest.approx(0.96)
    assert real_level(groups[0], "distinct_2", relative=True) == pytest.approx(0.96 / 0.8)  # gen 0's distinct_2: 0.8
    assert real_level(groups[0], "mauve", relative=True) == 1.0  # an absolute metric is never divided
    assert real_level(groups[0], "heldout_bpc", relative=False) is None  # not recorded: no line
    from textmad.report import plots

    saved, save = [], plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (saved.append(fig), save(fig, path))[1])
    assert bands_figure(groups, ["distinct_2", "mauve"], tmp_path / "bands.png") == ["distinct_2", "mauve"]
    assert (tmp_path / "bands.png").stat().st_size > 0
    # two groups (en, bn), so a panel per metric and arm, each with both groups' real-text lines: distinct_2
    # divided by gen 0 (the languages differ), mauve as it is
    levels = [sorted({round(float(line.get_ydata()[0]), 6) for line in ax.get_lines() if line.get_label().startswith(
        "real text")}) for ax in saved[0].axes if ax.get_visible()]
    assert levels == [[round(0.96 / 0.8, 6)], [1.0]]
