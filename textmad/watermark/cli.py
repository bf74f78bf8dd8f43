"""`textmad watermark detect TARGET`: score a run, one generation, or a .txt/.jsonl file for the watermark.

TARGET may be
- a run directory: one row per finished generation of every arm (``--arm``, ``--gen`` narrow it):
  samples, too short, flagged share at the p threshold, mean z (deduplicated) and transformers' mean z;
- a generation folder (``gen-000/`` or ``<arm>/gen-00k/``): one row per sample;
- a .txt file (documents separated by blank lines) or a .jsonl file (a "text" field, and "prompt"
  when present, which is then context and not scored): one row per document.
The key (key, green-list ratio, seeding scheme, context width, min_tokens, p_threshold) comes from the
run's recipe.yaml, from ``--recipe R`` (its ``generate.watermark``), or from ``--key`` and its
companions; a file has no key of its own, so one of the two is required. The tokenizer comes from the
run's gen-000/model, or ``--tokenizer DIR`` (any folder a transformers tokenizer loads from).
Scores are those of ``textmad.watermark`` (each (context, token) pair once, exact binomial p-value),
with transformers' own figures beside them.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from textmad import rundir as rd
from textmad.errors import UserError


def _check(value, name: str, ok: bool, accepted: str):
    if value is not None and not ok:
        raise UserError(f"{name} = {value!r}; accepted: {accepted}")


def _watermark_cfg(args, run_dir: Path | None, target: Path):
    from textmad.recipe import WatermarkConfig, load_recipe

    if args.recipe and args.key is not None:
        raise UserError("give --recipe R or --key K, not both")
    if args.recipe:
        w = load_recipe(args.recipe).generate.watermark
    elif args.key is not None:
        w = WatermarkConfig(enabled=True, hashing_key=args.key)
    elif run_dir is not None:
        w = load_recipe(run_dir / rd.RECIPE).generate.watermark
    else:
        raise UserError(f"textmad watermark detect {target}: no key given; a file has no recipe of its own: give "
                        f"--recipe R (its generate.watermark) or --key K (with --ratio, --scheme, --width)")
    if args.key is None and any(v is not None for v in (args.ratio, args.scheme, args.width)):
        raise UserError("--ratio, --scheme and --width go with --key (a recipe gives its own)")
    _check(args.ratio, "--ratio", args.ratio is None or 0 < args.ratio < 1, "a number in (0, 1)")
    _check(args.width, "--width", args.width is None or args.width >= 1, "an integer >= 1")
    _check(args.min_tokens, "--min-tokens", args.min_tokens is None or args.min_tokens >= 1, "an integer >= 1")
    _check(args.p_threshold, "--p-threshold", args.p_threshold is None or 0 < args.p_threshold < 1,
           "a number in (0, 1)")
    changes = {k: v for k, v in (("greenlist_ratio", args.ratio), ("seeding_scheme", args.scheme),
                                 ("context_width", args.width), ("min_tokens", args.min_tokens),
                                 ("p_threshold", args.p_threshold)) if v is not None}
    return dataclasses.replace(w, **changes)


def _tokenizer(args, run_dir: Path | None, target: Path):
    from transformers import AutoTokenizer

    folder = Path(args.tokenizer) if args.tokenizer else (run_dir / rd.GEN0 / rd.MODEL if run_dir else None)
    if folder is None:
        raise UserError(f"textmad watermark detect {target}: no tokenizer; give --tokenizer DIR (the model folder "
                        f"of the run that wrote the text, e.g. RUN/{rd.GEN0}/{rd.MODEL})")
    if not folder.is_dir():
        raise UserError(f"--tokenizer {folder}: no such folder")
    try:
        return AutoTokenizer.from_pretrained(str(folder))  # a local folder: no remote code, no download
    except (OSError, ValueError) as e:
        raise UserError(f"--tokenizer {folder}: no tokenizer could be loaded ({e})") from None


def _vocab_size(args, run_dir: Path | None, tokenizer) -> int:
    """The model's vocabulary size (the green lists permute it), from the model folder's config.json when
    there is one (it may exceed the tokenizer's length), else the tokenizer's length."""
    import json

    folder = Path(args.tokenizer) if args.tokenizer else run_dir / rd.GEN0 / rd.MODEL
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        config = config.get("text_config", config)
        return int(config["vocab_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return len(tokenizer)


def _rows_of_file(path: Path) -> list[dict]:
    from textmad.io import read_jsonl

    if path.suffix.lower() == ".jsonl":
        try:
            rows = read_jsonl(path)
        except ValueError as e:
            raise UserError(f"{path}: {e}") from None
        bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict) or not isinstance(r.get("text"), str)), None)
        if bad is not None:
            raise UserError(f"{path}: line {bad + 1} has no \"text\" string field")
        return [{"id": str(r.get("id", i)), "prompt": r.get("prompt") or "", "text": r["text"]} for i, r in enumerate(rows)]
    if path.suffix.lower() == ".txt":
        texts = [t.strip() for t in path.read_text(encoding="utf-8").split("\n\n") if t.strip()]
        return [{"id": str(i), "prompt": "", "text": t} for i, t in enumerate(texts)]
    raise UserError(f"{path}: not a run directory, a generation folder, or a .txt/.jsonl file")


SAMPLE_HEADER = ["id", "scored", "green", "z", "p", "flagged", "z_transformers", "p_transformers"]


def _sample_rows(detector, tokenizer, rows: list[dict], threshold: float) -> list[list]:
    from textmad.watermark import TOO_SHORT, score_rows

    out = []
    for r, s in zip(rows, score_rows(detector, tokenizer, rows)):
        verdict = TOO_SHORT if s.z is None else ("yes" if s.flagged(threshold) else "no")
        out.append([r["id"], s.scored, s.green, s.z, s.p, verdict, s.z_transformers, s.p_transformers])
    return out


def _runs(paths: list[str]) -> list[Path]:
    """Run directories: each path itself, or its seed-S run directories."""
    out = []
    for p in map(Path, paths):
        found = [p] if rd.is_run_dir(p) else sorted(c for c in p.glob("seed-*") if rd.is_run_dir(c)) if p.is_dir() else []
        if not found:
            raise UserError(f"{p}: not a run directory nor a folder of seed-S run directories")
        out += found
    return out


def _metric_list(text: str) -> list[str]:
    from textmad.evaluate import METRICS

    names = [m for m in text.split(",") if m]
    bad = [m for m in names if m not in METRICS]
    if bad or not names:
        raise UserError(f"--metrics {text!r}: {', '.join(bad) or 'empty'} not registered metrics; e.g. "
                        f"heldout_ppl,self_bleu")
    return names


def _tables(paths):
    """{(arm, generation): {seed: row}} over the runs' tables."""
    cells: dict = {}
    for run in _runs(paths):
        for row in rd.read_table(run):
            cells.setdefault((row["arm"], row["generation"]), {})[str(run)] = row
    return cells


def main_cost(args) -> tuple[list[str], list[list]]:
    from textmad.stats import paired_difference, t_interval

    cells, metrics = _tables(args.runs), _metric_list(args.metrics)
    arms = {a for a, _ in cells}
    for arm in (args.marked, args.plain):
        if arm not in arms:
            raise UserError(f"--marked/--plain {arm}: not an arm of these runs; arms: {', '.join(sorted(arms))}")
    last = max(k for a, k in cells if a == args.marked)
    rows = []
    for k in sorted({1, last}):
        marked, plain = cells.get((args.marked, k), {}), cells.get((args.plain, k), {})
        for m in metrics:
            a = {s: r[m] for s, r in marked.items() if rd.is_number(r.get(m))}
            b = {s: r[m] for s, r in plain.items() if rd.is_number(r.get(m))}
            d = paired_difference(a, b)
            rows.append([m, k, t_interval(list(b.values())).mean, t_interval(list(a.values())).mean,
                         d.mean if d.n else None, d.low if d.n > 1 else None, d.high if d.n > 1 else None, d.n])
    return ["metric", "generation", args.plain, args.marked, "difference", "low", "high", "seeds"], rows


def main_summary(args) -> tuple[list[str], list[list]]:
    from textmad.evaluate import METRICS
    from textmad.stats import t_interval

    cells, metrics = _tables(args.runs), _metric_list(args.metrics)
    header, rows = ["arm", "generation", "seeds"], []
    for m in metrics:
        header += [m, f"{m}_low", f"{m}_high"]
    for (arm, k), by_seed in sorted(cells.items(), key=lambda kv: (kv[0][1] > 0, kv[0][0], kv[0][1])):
        if k == 0 and rows and rows[0][1] == 0:
            continue  # generation 0 is shared: once
        row = [rd.GEN0 if k == 0 else arm, k, len(by_seed)]
        for m in metrics:
            i = t_interval([r[m] for r in by_seed.values() if rd.is_number(r.get(m))])
            i = i.within(METRICS[m].bounds if m in METRICS else None)  # a rate's interval ends at 0 and 1
            row += [i.mean if i.n else None, i.low if i.n > 1 else None, i.high if i.n > 1 else None]
        rows.append(row)
    return header, rows


def main_watermark(args) -> int:
    from textmad.report.tables import emit, render

    if args.action in ("cost", "summary"):
        header, rows = (main_cost if args.action == "cost" else main_summary)(args)
        emit(render(header, rows, args.format, keys=2), args.out)
        return 0
    return main_detect(args)


def main_detect(args) -> int:
    import statistics

    from textmad.recipe import load_recipe
    from textmad.report.tables import emit, render
    from textmad.watermark import TOO_SHORT, Detector

    target = Path(args.target)
    if not target.exists():
        raise UserError(f"{target}: no such file or directory")
    run_dir, only_arm, only_gen = None, args.arm, args.gen
    if target.is_dir():
        if rd.is_run_dir(target):
            run_dir = target
        elif rd.is_run_dir(target.parent if target.name == rd.GEN0 else target.parent.parent):
            run_dir = target.parent if target.name == rd.GEN0 else target.parent.parent
            if not rd.is_done(target):
                raise UserError(f"{target}: this generation is unfinished (no {rd.DONE})")
        else:
            raise UserError(f"{target}: not a run directory or a generation folder of one")
    w = _watermark_cfg(args, run_dir, target)
    tokenizer = _tokenizer(args, run_dir, target)
    detector = Detector(w, _vocab_size(args, run_dir, tokenizer), tokenizer.bos_token_id)
    if run_dir is None:
        header, rows = SAMPLE_HEADER, _sample_rows(detector, tokenizer, _rows_of_file(target), w.p_threshold)
    elif target != run_dir:
        samples = rd.read_gen_jsonl(target / rd.SAMPLES)
        header, rows = SAMPLE_HEADER, _sample_rows(detector, tokenizer, samples, w.p_threshold)
    else:
        from textmad.recipe import arm_name

        recipe = load_recipe(run_dir / rd.RECIPE)
        arms = [arm_name(a) for a in recipe.loop.arms]
        if only_arm is not None and only_arm not in arms:
            raise UserError(f"--arm {only_arm}: not an arm of {run_dir}; its arms: {', '.join(arms)}")
        gens = [(rd.GEN0, 0, run_dir / rd.GEN0)] if only_arm is None and only_gen in (None, 0) else []
        for arm in arms if only_arm is None else [only_arm]:
            gens += [(arm, k, rd.gen_dir(run_dir, arm, k)) for k in rd.finished_generations(run_dir, arm)
                     if k > 0 and only_gen in (None, k)]
        header = ["arm", "generation", "samples", "too_short", "flagged_share", "mean_z", "mean_z_transformers"]
        rows = []
        for arm, k, folder in gens:
            scored = _sample_rows(detector, tokenizer, rd.read_gen_jsonl(folder / rd.SAMPLES), w.p_threshold)
            tested = [r for r in scored if r[5] != TOO_SHORT]
            rows.append([arm, k, len(scored), len(scored) - len(tested),
                         sum(r[5] == "yes" for r in tested) / len(tested) if tested else None,
                         statistics.fmean(r[3] for r in tested) if tested else None,
                         statistics.fmean(r[6] for r in tested) if tested else None])
        if not rows:
            raise UserError(f"{run_dir}: no finished generation matches --arm/--gen")
    emit(render(header, rows, args.format), args.out)
    return 0
