"""`textmad run RECIPE`: the self-consuming loop, its run directory, and resume.

Generation 0 trains once on the real train pool (``RUN/gen-000/``) and is shared by every arm; each
arm then runs generations 1..G in ``RUN/<arm>/gen-00k/``, generation by generation across arms.
A generation: load the previous generation's weights from disk (or the base model), build its mix
(``textmad.mix``), train, save, generate samples from prompts cut from real train documents,
evaluate, and write ``DONE`` last. Every file goes through ``textmad.io`` (temp file + rename), so a
kill at any moment leaves whole files; a folder without ``DONE`` is removed and redone on resume.
The RNGs are reseeded from (recipe seed, arm, generation) at the start of every generation and the
weights come from disk, so a resumed run writes the same samples and metrics as an uninterrupted one.

Runs unchanged under ``accelerate launch -m textmad run``: every process trains, generates and
evaluates; only the main process writes files and prints, and barriers follow each write. Several
CPU processes come from torchrun: ``ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2
-m textmad run ...`` (accelerate's ``--cpu`` launcher starts a single process unless mpirun is installed).

Run-level table (``metrics.jsonl`` / ``metrics.csv``): one row per arm and generation, generation 0
repeated for each arm, with arm, mode, generation, seed, mix_docs, mix_real, mix_fresh,
mix_synthetic, real_share (measured on the mix), train_loss, val_loss, train_tokens, train_steps,
samples, sample_tokens, every evaluator metric, and seconds_* timings.
"""
from __future__ import annotations

import csv
import datetime
import io
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import yaml

from textmad.errors import UserError
from textmad.io import read_json, read_jsonl, write_json, write_jsonl, write_text
from textmad.layout import DONE, GEN0, gen_dir, gen_name, is_done
from textmad.mix import ArmPlan, build_mix, derive_seed, plan_arms
from textmad.recipe import Recipe, arm_name, dump_yaml, load_recipe, to_dict

PACKAGES = ("torch", "transformers", "accelerate", "datasets", "peft", "sentencepiece", "tokenizers",
            "safetensors", "numpy", "gguf", "textmad")
# keys that locate a run rather than define it: changing them does not change a single result
LOCATION_KEYS = {"output_dir", "corpus.prepared_dir", "model.cache_dir"}


def configure_run(p):
    p.add_argument("recipe", metavar="RECIPE", help="YAML recipe file")
    p.add_argument("overrides", nargs="*", metavar="KEY.SUB=VALUE",
                   help="dotted overrides applied before validation, e.g. loop.generations=3")
    p.add_argument("--new-name", metavar="NAME", default="",
                   help="run under a new name (a new run directory), e.g. after changing the recipe; "
                        "give it after the overrides")
    p.add_argument("--seeds", metavar="S,S,...",
                   help="several seeds, one complete run directory each: output_dir/name/seed-S (textmad.sweep)")


def main_run(args) -> int:
    from textmad.sweep import run_recipes, seed_overrides

    recipe = load_recipe(args.recipe, args.overrides + seed_overrides(args.seeds))
    if args.new_name:
        if Path(args.new_name).name != args.new_name or args.new_name in (".", ".."):
            raise UserError(f"--new-name {args.new_name!r}: a run name is one folder name, without '/'")
        recipe.name = args.new_name
    from accelerate import Accelerator

    accelerator = Accelerator()
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched != accelerator.num_processes:
        # each process would believe it is the only one and write every file itself
        raise UserError(f"launched as {launched} processes but Accelerate set up {accelerator.num_processes} "
                        f"({accelerator.distributed_type}); on a machine without GPUs run "
                        f"`ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes {launched} "
                        f"-m textmad run ...` (accelerate's --cpu launcher starts a single process without mpirun)")
    for run in run_recipes(recipe, args.recipe):  # one per seed, one after another
        Loop(run, accelerator, source=args.recipe).run()
    return 0


# ---------------------------------------------------------------- recipe identity and environment

def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: obj}


def recipe_differences(stored: dict, current: dict) -> list[str]:
    """'key: stored -> current' for every dotted key whose value differs (location keys excepted)."""
    old, new = _flatten(stored), _flatten(current)
    keys = sorted((set(old) | set(new)) - LOCATION_KEYS)
    missing = object()
    return [f"{k}: {old.get(k, missing)!r} -> {new.get(k, missing)!r}".replace(repr(missing), "(absent)")
            for k in keys if old.get(k, missing) != new.get(k, missing)]


def _git_commit() -> dict:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}
    if head.returncode:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def environment_record(recipe: Recipe, accelerator, plans: list[ArmPlan]) -> dict:
    import torch

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    device = str(accelerator.device)
    if accelerator.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(accelerator.device)})"
    seeds = {"recipe": recipe.seed, "corpus": recipe.corpus.seed, "evaluate": recipe.evaluate.seed,
             "base": derive_seed(recipe.seed, "base"), GEN0: derive_seed(recipe.seed, GEN0, 0)}
    for plan in plans:
        for k in range(1, plan.generations + 1):
            seeds[f"{plan.name}/{gen_name(k)}"] = derive_seed(recipe.seed, plan.name, k)
    return {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git": _git_commit(),
        "device": device,
        "num_processes": accelerator.num_processes,
        "distributed_type": str(accelerator.distributed_type),
        "mixed_precision": accelerator.mixed_precision,
        "torch_threads": torch.get_num_threads(),
        "seeds": seeds,
    }


# ---------------------------------------------------------------- metrics table

def table_row(metrics: dict, arm: str, mode: str) -> dict:
    """One flat row of the run table from a generation's metrics.json (generation 0 takes the arm's name)."""
    mix, train, samples = metrics["mix"], metrics["train"], metrics["samples"]
    row = {"arm": arm, "mode": mode, "generation": metrics["generation"], "seed": metrics["seed"],
           "mix_docs": mix["docs"], "mix_real": mix["real"], "mix_fresh": mix["fresh"],
           "mix_synthetic": mix["synthetic"], "real_share": mix["real_share"],
           "train_loss": train.get("train_loss"), "val_loss": train.get("val_loss"),
           "train_tokens": train.get("tokens"), "train_steps": train.get("steps"),
           "samples": samples["count"], "sample_tokens": samples["new_tokens"]}
    row.update(metrics["metrics"])
    row.update({f"seconds_{k}": v for k, v in metrics["timings"].items()})
    return row


def write_table(run_dir: Path, rows: list[dict]) -> None:
    write_jsonl(run_dir / "metrics.jsonl", rows)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(run_dir / "metrics.csv", buffer.getvalue())


def rebuild_table(run_dir: Path, recipe: Recipe) -> int:
    """Rewrite the run table from the metrics.json of every finished generation; the number of rows."""
    rows = []
    for arm in recipe.loop.arms:
        name = arm_name(arm)
        for k in range(recipe.loop.generations + 1):
            folder = gen_dir(run_dir, name, k)
            if not is_done(folder):
                continue
            m = read_json(folder / "metrics.json")
            try:
                row = table_row(m, name, arm.mode)
            except KeyError:  # a metrics.json without the loop's training sections
                row = {"arm": name, "mode": arm.mode, "generation": k, **m.get("metrics", {})}
            rows.append({key: v for key, v in row.items() if not isinstance(v, (dict, list))})
    if rows:
        write_table(run_dir, rows)
    return len(rows)


def _fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"


# ---------------------------------------------------------------- the loop

class Loop:
    def __init__(self, recipe: Recipe, accelerator, source: str = "recipe"):
        self.recipe = recipe
        self.acc = accelerator
        self.source = source
        self.run_dir = recipe.run_dir
        self.main = accelerator.is_main_process

    def log(self, text: str) -> None:
        if self.main:
            print(text, flush=True)

    def barrier(self) -> None:
        self.acc.wait_for_everyone()

    # -------------------------------------------------------- setup

    def check_recipe(self) -> bool:
        """Refuse a changed recipe on resume. True: the run directory holds this recipe already."""
        stored_path = self.run_dir / "recipe.yaml"
        if not stored_path.exists():
            return False
        stored = yaml.safe_load(stored_path.read_text(encoding="utf-8")) or {}
        diff = recipe_differences(stored, to_dict(self.recipe))
        if diff:
            raise UserError(
                f"{self.source}: the run directory {self.run_dir} was started with a different recipe "
                f"({stored_path}); differing keys:\n  " + "\n  ".join(diff) +
                "\nRun the stored recipe to resume, or give --new-name NAME to start a new run.")
        return True

    def prepare_corpus(self, resuming: bool):
        from textmad.corpus import prepare

        with self.acc.main_process_first():
            corpus = prepare(self.recipe.corpus)
        stored = self.run_dir / "corpus.json"
        if resuming and stored.exists():
            then = {k: v.get("sha256") for k, v in read_json(stored)["splits"].items()}
            now = {k: v.get("sha256") for k, v in corpus.manifest["splits"].items()}
            if then != now:
                changed = ", ".join(k for k in now if then.get(k) != now[k])
                raise UserError(f"{self.run_dir}: the prepared corpus differs from the one this run started with "
                                f"(splits {changed}; compare {stored} with {corpus.dir / 'manifest.json'}); "
                                f"start a new run with --new-name NAME")
        self.train_docs = corpus.split("train")
        self.heldout_docs = corpus.split("heldout")
        self.fresh_docs = corpus.split("fresh")
        self.language = corpus.language
        self.corpus = corpus
        self.texts = {("real", d["id"]): d["text"] for d in self.train_docs}
        self.texts.update({("fresh", d["id"]): d["text"] for d in self.fresh_docs})

    def run(self) -> None:
        recipe = self.recipe
        resuming = self.check_recipe()
        self.prepare_corpus(resuming)
        self.plans = plan_arms(recipe, len(self.train_docs), len(self.fresh_docs), self.source)
        env = environment_record(recipe, self.acc, self.plans)
        self.barrier()  # every process has seen the run directory as it was before the main process writes
        if self.main:
            # nothing is written before the recipe, the corpus and the arms' needs have been checked
            for stale in self.run_dir.glob(".*.tmp"):  # left by a kill during an atomic write
                stale.unlink()
            if not resuming:
                write_text(self.run_dir / "recipe.yaml", dump_yaml(recipe))
            write_json(self.run_dir / "corpus.json", self.corpus.manifest)
            env_path = self.run_dir / "environment.json"
            if resuming and env_path.exists():
                earlier = read_json(env_path)
                env["earlier_sessions"] = earlier.pop("earlier_sessions", []) + [
                    {key: earlier.get(key) for key in ("started", "command", "device", "num_processes")}]
            write_json(env_path, env)
        self.barrier()
        self.log(f"textmad run {self.run_dir}: {'resuming' if resuming else 'starting'}; corpus "
                 f"{recipe.corpus.name} [{self.language}] train {len(self.train_docs)} / heldout "
                 f"{len(self.heldout_docs)} / fresh {len(self.fresh_docs)} documents; arms "
                 f"{', '.join(p.name for p in self.plans)}; {recipe.loop.generations} generations; "
                 f"{self.acc.num_processes} process(es) on {self.acc.device}")
        self.gen0_model = None
        self.update_table()
        self.generation(None, 0)
        for k in range(1, recipe.loop.generations + 1):
            for plan in self.plans:
                self.generation(plan, k)
        self.log(f"done: {self.run_dir} (metrics.csv: {len(self.plans)} arm(s) x "
                 f"{recipe.loop.generations + 1} generations)")

    # -------------------------------------------------------- one generation

    def mix_rows(self, plan: ArmPlan | None, k: int) -> list[dict]:
        """The generation's training documents with provenance and text, in training order."""
        if k == 0:
            refs = [{"origin": "real", "source_id": d["id"]} for d in self.train_docs]
        else:
            synthetic = {}
            for j in range(k):
                rows = read_jsonl(gen_dir(self.run_dir, plan.name, j) / "samples.jsonl")
                synthetic[j] = [r["id"] for r in rows]
                self.texts.update({(f"synthetic:{j}", r["id"]): r["text"] for r in rows})
            refs = build_mix(plan, k, [d["id"] for d in self.train_docs], [d["id"] for d in self.fresh_docs],
                             synthetic)
        rows = []
        for i, ref in enumerate(refs):
            pool = "fresh" if ref["origin"].startswith("fresh") else ref["origin"]
            rows.append({"id": f"{k:03d}-{i:06d}", "origin": ref["origin"], "source_id": ref["source_id"],
                         "text": self.texts[(pool, ref["source_id"])]})
        return rows

    def generation(self, plan: ArmPlan | None, k: int) -> None:
        from textmad.generate import generate, make_prompts, prompts_needed
        from textmad.model import load_base, load_model, model_sha256, save_model
        from textmad.train import NonFiniteLoss, train

        recipe, acc = self.recipe, self.acc
        arm = plan.name if plan else GEN0
        label = "generation 0 (shared)" if k == 0 else f"arm {arm}, generation {k}"
        folder = gen_dir(self.run_dir, arm, k)
        if is_done(folder):
            self.log(self.summary(plan, k, read_json(folder / "metrics.json"), resumed=True))
            return
        self.barrier()
        if self.main and folder.exists():
            shutil.rmtree(folder)  # an unfinished generation is redone from its start
        self.barrier()

        from accelerate.utils import set_seed

        seed = derive_seed(recipe.seed, arm, k)
        timings = {}
        start = time.perf_counter()
        if k == 0 or recipe.train.init == "base":
            set_seed(derive_seed(recipe.seed, "base"))  # the same base weights as generation 0's
            model, tokenizer = load_base(recipe, [d["text"] for d in self.train_docs], acc)
        else:
            set_seed(seed)
            model, tokenizer = load_model(gen_dir(self.run_dir, arm, k - 1) / "model", recipe, acc)
        set_seed(seed)
        mix = self.mix_rows(plan, k)
        if self.main:
            write_jsonl(folder / "train_mix.jsonl", mix)
        timings["load"] = time.perf_counter() - start

        start = time.perf_counter()
        epochs = recipe.train.gen0_epochs if k == 0 and recipe.train.gen0_epochs else recipe.train.epochs
        try:
            stats = train(model, tokenizer, [r["text"] for r in mix], recipe.train, acc,
                          seed=derive_seed(seed, "train"), epochs=epochs, desc=label,
                          log_path=folder / "train_log.jsonl")
        except NonFiniteLoss as e:  # its message names the arm and generation (desc) and the step
            raise UserError(f"{e}. The run stopped; the completed generations in {self.run_dir} are kept. "
                            f"A changed recipe runs under a new name: add --new-name NAME") from None
        model = acc.unwrap_model(model)
        save_model(model, tokenizer, folder / "model", acc)
        self.barrier()
        timings["train"] = time.perf_counter() - start

        start = time.perf_counter()
        model_hash = model_sha256(folder / "model")
        # The same prompts in every generation and arm, so a prompt's continuations show the drift.
        prompts = make_prompts(self.train_docs, tokenizer, recipe.generate,
                               seed=derive_seed(recipe.seed, "prompts"), n=prompts_needed(recipe.generate))
        samples = generate(model, tokenizer, prompts, recipe.generate, acc, seed=derive_seed(seed, "generate"),
                           generation=k, arm=arm, model_hash=model_hash, desc=label)
        if self.main:
            write_jsonl(folder / "samples.jsonl", samples)
        timings["generate"] = time.perf_counter() - start

        start = time.perf_counter()
        scores = self.evaluate(model, tokenizer, samples, k)
        timings["evaluate"] = time.perf_counter() - start
        timings["total"] = sum(timings.values())

        counts = {"real": 0, "fresh": 0, "synthetic": 0}
        for row in mix:
            counts[row["origin"].split(":")[0]] += 1
        metrics = {
            "arm": arm, "mode": plan.mode if plan else "real", "generation": k, "seed": seed,
            "model_sha256": model_hash,
            "mix": {"docs": len(mix), **counts,
                    "real_share": (counts["real"] + counts["fresh"]) / len(mix) if mix else 0.0,
                    "planned_share": plan.shares[k - 1] if plan and plan.mode in ("augment", "fresh") else None},
            "train": {key: v for key, v in stats.items() if isinstance(v, (int, float, str, bool)) or v is None},
            "samples": {"count": len(samples), "new_tokens": sum(int(s.get("new_tokens", 0)) for s in samples)},
            **scores.record(),  # "metrics", "evaluation" and "about" (each metric's direction and baseline)
            "timings": {key: round(v, 3) for key, v in timings.items()},
        }
        if self.main:
            write_json(folder / "metrics.json", metrics)
            write_text(folder / DONE, datetime.datetime.now(datetime.timezone.utc).isoformat() + "\n")
            self.update_table()
        self.barrier()
        self.log(self.summary(plan, k, metrics))
        del model
        acc.free_memory()

    # -------------------------------------------------------- evaluation, table, progress

    def evaluate(self, model, tokenizer, samples: list[dict], k: int):
        """The generation's ``Scores``, by the function `textmad eval RUN` uses too."""
        from textmad.evaluate.score import score_generation

        gen0_values = None
        if k == 0:
            gen0 = (model, tokenizer)
        else:
            if self.gen0_model is None:
                from textmad.model import load_model

                self.gen0_model = load_model(self.run_dir / GEN0 / "model", self.recipe, self.acc)
            gen0 = self.gen0_model
            gen0_values = read_json(self.run_dir / GEN0 / "metrics.json")["metrics"]
        scores = score_generation(self.recipe, [s["text"] for s in samples], generation=k, model=(model, tokenizer),
                                  gen0=gen0, heldout=[d["text"] for d in self.heldout_docs],
                                  pool=[d["text"] for d in self.train_docs], language=self.language,
                                  gen0_values=gen0_values, accelerator=self.acc)
        # a metric the recipe asks for and cannot have is said in the log, with its reason
        by_reason = {}
        for name, reason in scores.evaluation()["unavailable"].items():
            by_reason.setdefault(reason, []).append(name)
        for reason, names in by_reason.items():
            self.log(f"  unavailable: {', '.join(names)}: {reason}")
        return scores

    def update_table(self) -> None:
        if self.main:
            rebuild_table(self.run_dir, self.recipe)

    def summary(self, plan: ArmPlan | None, k: int, m: dict, resumed: bool = False) -> str:
        arm = plan.name if plan else "all arms"
        mix, train, scores = m["mix"], m["train"], m["metrics"]
        parts = [f"{arm:<16} gen {k}/{self.recipe.loop.generations}",
                 f"mix {mix['docs']} docs ({mix['real']} real, {mix['fresh']} fresh, {mix['synthetic']} synthetic)",
                 f"train loss {_fmt(train.get('train_loss'), '.3f')} val {_fmt(train.get('val_loss'), '.3f')}",
                 f"heldout ppl {_fmt(scores.get('heldout_ppl'), '.2f')} bpb {_fmt(scores.get('heldout_bpb'), '.3f')}",
                 f"samples {m['samples']['count']}",
                 "(done earlier)" if resumed else f"{m['timings']['total']:.0f}s"]
        return "  ".join(parts)
