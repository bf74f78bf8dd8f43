"""`textmad export RUN --to DIR`: a run's generations as a Hugging Face dataset folder.

The folder holds two configs, ``samples`` (the default: samples.jsonl rows) and ``train_mix``
(train_mix.jsonl rows), each with one parquet split per arm and generation (``gen_000`` for the shared
generation 0, ``<arm>_gen_001`` ...; characters other than letters, digits and _ become _), every row
with its provenance columns plus ``arm`` and ``generation``, and a README.md dataset card whose YAML
declares the configs, languages and licence: ``datasets.load_dataset(DIR)`` loads it offline.
``--push-to-hub REPO`` uploads the finished folder in one commit (nothing half-pushed).

``textmad.load_samples(RUN)`` returns every sample of a run as one ``datasets.Dataset``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from textmad import rundir
from textmad.errors import UserError
from textmad.recipe import arm_name, load_recipe

MARKER = ".textmad-export.json"  # written into every export: a later export may replace the folder
CONFIGS = {"samples": rundir.SAMPLES, "train_mix": rundir.TRAIN_MIX}


def split_name(arm: str | None, k: int) -> str:
    return re.sub(r"\W", "_", rundir.GEN0 if k == 0 else f"{arm}_{rundir.gen_name(k)}", flags=re.ASCII)


def generations(run_dir: Path, arms: list[str] | None = None, gens: list[int] | None = None) -> list[tuple]:
    """(arm name or None for generation 0, mode, k, folder) of every finished generation selected."""
    recipe = load_recipe(Path(run_dir) / rundir.RECIPE)
    known = {arm_name(a): a.mode for a in recipe.loop.arms}
    for a in arms or []:
        if a not in known:
            raise UserError(f"--arm {a!r}: no such arm in {run_dir / rundir.RECIPE}; accepted: {', '.join(known)}")
    out = []
    if rundir.is_done(run_dir / rundir.GEN0) and (not gens or 0 in gens):
        out.append((None, "real", 0, run_dir / rundir.GEN0))
    for name, mode in known.items():
        if arms and name not in arms:
            continue
        for k in rundir.finished_generations(run_dir, name):
            if k and (not gens or k in gens):
                out.append((name, mode, k, rundir.gen_dir(run_dir, name, k)))
    for k in gens or []:
        if not any(g[2] == k for g in out):
            raise UserError(f"--generation {k}: no finished generation {k} in {run_dir}"
                            + (f" for arm(s) {', '.join(arms)}" if arms else ""))
    if not out:
        raise UserError(f"{run_dir}: no finished generation to export")
    return out


def _rows(folder: Path, file: str, arm: str | None, k: int) -> list[dict]:
    rows = rundir.read_gen_jsonl(folder / file) if (folder / file).exists() else []
    tag = {"arm": arm or rundir.GEN0, "generation": k}
    # nested values (decoding settings) as JSON text: parquet cannot hold a struct whose fields are all null
    return [{**tag, **{key: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v
                       for key, v in r.items()}} for r in rows]


def _check_target(target: Path, run_dir: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"--to {target}: exists and is not a folder; give a new folder or an earlier export")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise UserError(f"--to {target}: a non-empty folder that is not an earlier textmad export (no {MARKER}); "
                        f"refusing to replace it. Give a new or empty folder")
    t, r = target.resolve(), run_dir.resolve()
    if t == r or r in t.parents or t in r.parents:
        raise UserError(f"--to {target}: inside or around the run directory {run_dir}; give a folder outside it")


def export_run(run_dir, to, arms: list[str] | None = None, gens: list[int] | None = None) -> dict:
    """Write the dataset folder ``to`` (atomically: the old export stays until the new one is whole); its splits."""
    import datasets

    from textmad.cards import front_matter, metrics_table
    from textmad.io import atomic_dir, write_json, write_text

    run_dir, target = Path(run_dir), Path(to)
    if not rundir.is_run_dir(run_dir):
        raise UserError(f"{run_dir}: not a run directory (no {rundir.RECIPE} and {rundir.GEN0}/)")
    _check_target(target, run_dir)
    recipe = load_recipe(Path(run_dir) / rundir.RECIPE)
    corpus = rundir.read_run_json(run_dir, rundir.CORPUS)
    language = corpus.get("language") or recipe.corpus.language
    selected = generations(run_dir, arms, gens)
    splits = [split_name(a, k) for a, _, k, _ in selected]
    if len(set(splits)) < len(splits):
        raise UserError(f"{run_dir}: arm names collide once made split names ({', '.join(splits)}); export one arm "
                        f"at a time with --arm")
    configs, columns, reasons, counts = [], {}, {}, {}
    with atomic_dir(target) as tmp:
        for config, file in CONFIGS.items():
            files = []
            for (arm, mode, k, folder), split in zip(selected, splits):
                rows = _rows(folder, file, arm, k)
                if not rows:
                    continue
                (tmp / config).mkdir(exist_ok=True)
                datasets.Dataset.from_list(rows).to_parquet(str(tmp / config / f"{split}.parquet"))
                files.append({"split": split, "path": f"{config}/{split}.parquet"})
                counts[f"{config}/{split}"] = len(rows)
            if files:
                configs.append({"config_name": config, **({"default": True} if config == "samples" else {}),
                                "data_files": files})
        for (arm, mode, k, folder), split in zip(selected, splits):
            m = rundir.read_gen_json(folder / rundir.METRICS)
            columns[split] = m.get("metrics", {})
            reasons[split] = m.get("evaluation", {}).get("unavailable", {})
        card = corpus.get("card", {})
        meta = {"language": [language] if language else [], "license": "other",
                "license_details": card.get("licence", "see the corpus the run used"),
                "tags": ["textmad", "model-collapse", "synthetic-data"], "configs": configs}
        recipe_text = (run_dir / rundir.RECIPE).read_text(encoding="utf-8")
        split_lines = "\n".join(f"| {s} | {a or 'all arms'} | {mode} | {k} | {counts.get('samples/' + s, 0)} | "
                                f"{counts.get('train_mix/' + s, 0)} |" for (a, mode, k, _), s in zip(selected, splits))
        write_text(tmp / "README.md", front_matter(meta) + (
            f"# {recipe.name}: generations of a textmad self-consuming loop\n\n"
            f"Made by `textmad run` (corpus {recipe.corpus.name}, language {language}, model: "
            f"{_base(recipe)}) and `textmad export`. Config `samples` (default): the text each generation wrote, "
            f"with its prompt, decoding settings (JSON), seed and the hash of the weights that wrote it. Config "
            f"`train_mix`: the documents each generation was trained on, with their origin (real, fresh, "
            f"synthetic:K = written by generation K) and source id.\n\n"
            f"```python\nimport datasets\nsamples = datasets.load_dataset(FOLDER)  # or the hub repo id\n"
            f"mix = datasets.load_dataset(FOLDER, \"train_mix\")\n```\n\n"
            f"## Licence\n\nInherited from the corpus: {card.get('licence', 'see the corpus card')}\n"
            f"Generated text derives from it.\n\n"
            f"## Splits\n\n| split | arm | mode | generation | samples | train mix |\n|---|---|---|---|---|---|\n"
            f"{split_lines}\n\n## Metrics of each generation\n\nFrom each generation's metrics.json "
            f"(directions from textmad's metric registry; reasons for nulls are in the run's metrics.json).\n\n"
            f"{metrics_table(columns)}\n\n## Recipe\n\n```yaml\n{recipe_text}```\n"))
        write_json(tmp / MARKER, {"run": str(run_dir.resolve()), "splits": splits, "rows": counts})
    return {"splits": splits, "rows": counts}


def _base(recipe) -> str:
    from textmad.cards import base_model

    return base_model(recipe)


def push_to_hub(folder: Path, repo: str, private: bool = False) -> str:
    """Upload ``folder`` to the dataset repo ``repo`` in one commit; a clear error without token or network."""
    try:
        import huggingface_hub as hf
    except ImportError:
        raise UserError("--push-to-hub needs huggingface_hub: pip install huggingface_hub") from None
    token = hf.get_token()
    if not token:
        raise UserError(f"--push-to-hub {repo}: no Hugging Face token (set HF_TOKEN or run `hf auth login`); the "
                        f"export in {folder} is complete and nothing was pushed")
    api = hf.HfApi(token=token)
    try:
        api.whoami()
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        # one commit: the hub shows the whole folder or, on failure, nothing of it
        info = api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="dataset",
                                 commit_message="textmad export", ignore_patterns=[MARKER])
    except Exception as e:  # no network, a bad token, a repo id the hub refuses: the export stays local
        raise UserError(f"--push-to-hub {repo}: {type(e).__name__}: {e}. The export in {folder} is complete and "
                        f"no commit was made on the hub") from None
    return str(getattr(info, "commit_url", repo))


def main_export(args) -> int:
    out = export_run(Path(args.run), Path(args.to), args.arm, args.generation)
    print(f"wrote {args.to}: {len(out['splits'])} split(s) ({', '.join(out['splits'])}); "
          f"load with datasets.load_dataset({str(args.to)!r})")
    if args.push_to_hub:
        print(f"pushed to {push_to_hub(Path(args.to), args.push_to_hub, args.private)}")
    return 0


def load_samples(run_dir, as_pandas: bool = False):
    """Every sample of every finished generation of a run as one ``datasets.Dataset`` (pandas with ``as_pandas``).

    Columns: samples.jsonl's (id, arm, generation, prompt_id, prompt, text, decoding as JSON text, seed,
    model_sha256, ...), generation 0 first, then each arm's generations in order.
    """
    import datasets

    run_dir = Path(run_dir)
    if not rundir.is_run_dir(run_dir):
        raise UserError(f"{run_dir}: not a run directory (no {rundir.RECIPE} and {rundir.GEN0}/)")
    rows = [r for arm, _, k, folder in generations(run_dir) for r in _rows(folder, rundir.SAMPLES, arm, k)]
    ds = datasets.Dataset.from_list(rows)
    return ds.to_pandas() if as_pandas else ds
