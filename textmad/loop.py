"""`textmad run RECIPE`: the self-consuming loop and its resume.

Generation 0 trains once on the real train pool (``RUN/gen-000/``) and is shared by every arm; each
arm then runs generations 1..G in ``RUN/<arm>/gen-00k/``, generation by generation across arms.
A generation runs the stages of the recipe in order, one method each: ``load`` the previous
generation's weights from disk (or the base model), ``mix`` its training documents
(``textmad.mix``), ``train`` and save, ``sample`` from prompts cut from real train documents,
``evaluate``, and ``record`` its metrics and ``DONE`` last. Every file goes through ``textmad.io``
(temp file + rename), so a kill at any moment leaves whole files; a folder without ``DONE`` is
removed and redone on resume. The RNGs are reseeded from (recipe seed, arm, generation) at the
start of every generation and the weights come from disk, so a resumed run writes the same samples
and metrics as an uninterrupted one. File names, the run table, provenance, the lock and the
boundary check live in ``textmad.rundir``.

One writer: the main process holds the run directory's lock for the whole run; a second
``textmad run`` on it stops with an error naming the holder. SIGTERM and SIGINT stop the run
between two Python steps: the unfinished generation is left without ``DONE``, the finished ones
are kept, and the same command resumes (exit status 128 + the signal number).

Runs unchanged under ``accelerate launch -m textmad run``: every process trains, generates and
evaluates; only the main process writes files and prints, and barriers follow each write. Several
CPU processes come from torchrun: ``ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2
-m textmad run ...`` (accelerate's ``--cpu`` launcher starts a single process unless mpirun is installed).
``train.batch_size`` is the global batch, split evenly across processes, so the steps and the
learning-rate schedule do not depend on the process count. torchrun's agent forwards SIGTERM and
SIGINT to the workers; a worker also receives SIGTERM when the launcher dies without forwarding
(killed with SIGKILL). The launch settings that change results (process count, device type,
dtype, mixed precision) are recorded in environment.json; a resume that changes them is refused.

Run-level table (``metrics.jsonl`` / ``metrics.csv``): one row per arm and generation, generation 0
repeated for each arm, with run, corpus, language, arm, mode, generation, seed, mix_docs, mix_real,
mix_fresh, mix_synthetic, real_share (measured on the mix), train_loss, val_loss, train_tokens,
train_steps, samples, sample_tokens, every evaluator metric, and seconds_* timings.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import yaml

from textmad import rundir
from textmad import watermark as wm
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.io import write_json, write_jsonl, write_text
from textmad.modes import SHARED_MODES
from textmad.mix import ArmPlan, build_mix, derive_seed, plan_arms
from textmad.recipe import Recipe, arm_name, dump_yaml, flatten, recipe_differences, to_dict
from textmad.progress import RunProgress
from textmad.provenance import environment_record
from textmad.cards import write_model_card
from textmad.rundir import DONE, GEN0, TRACKERS, gen_dir, gen_name, inside, is_done, read_gen_json, read_gen_jsonl

# ---------------------------------------------------------------- signals

class Stopped(Exception):
    """SIGTERM or SIGINT arrived; raised where the run was, so files and the lock are closed on the way out."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signal = signal.Signals(signum)


@contextlib.contextmanager
def stop_on_signals():
    def stop(signum, frame):
        raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def stop_with_launcher() -> None:
    """Under torchrun, ask Linux for SIGTERM when the launcher dies: a SIGKILL-ed launcher cannot forward signals."""
    if "TORCHELASTIC_RUN_ID" not in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# ---------------------------------------------------------------- recipe identity

def launch_differences(stored: dict, current: dict) -> list[str]:
    return [f"{k}: {stored[k]!r} -> {current.get(k)!r}" for k in stored if stored[k] != current.get(k)]


@contextlib.contextmanager
def timed(timings: dict, stage: str):
    """Add the seconds spent in the block to ``timings[stage]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"


# ---------------------------------------------------------------- the loop

class Loop:
    def __init__(self, recipe: Recipe, accelerator, source: str = "recipe", new_name: bool = False):
        self.recipe = recipe
        self.acc = accelerator
        self.source = source
        self.new_name = new_name
        self.run_dir = inside(Path(recipe.output_dir), recipe.run_dir)
        self.main = accelerator.is_main_process

    def log(self, text: str) -> None:
        if self.main:
            print(text, flush=True)

    def barrier(self) -> None:
        self.acc.wait_for_everyone()

    def agree(self, action) -> None:
        """Run ``action`` on the main process; a UserError there is raised by every process."""
        error = None
        if self.main:
            try:
                action()
            except UserError as e:
                error = e
        if self.acc.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            message = broadcast_object_list([str(error) if error else ""])[0]
            error = error or (UserError(message) if message else None)
        if error:
            raise error

    # -------------------------------------------------------- setup

    def check_recipe(self) -> bool:
        """Refuse a changed recipe on resume. True: resume the run directory's finished generations.

        A run directory without a finished generation (no DONE anywhere, e.g. after a crash in
        generation 0) may be restarted with a changed recipe: it has no results to contradict.
        """
        stored_path = self.run_dir / rundir.RECIPE
        if not stored_path.exists():
            return False
        try:  # a damaged file: an error naming it, not a parser's traceback
            stored = yaml.safe_load(stored_path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, ValueError) as e:
            raise UserError(f"{stored_path}: the run's stored recipe cannot be read ({str(e)[:200]}); restore it "
                            f"(it is the recipe the run started with), or start a new run with --new-name NAME") from None
        diff = recipe_differences(stored, to_dict(self.recipe))
        if diff and not rundir.has_finished(self.run_dir):
            self.log(f"textmad run {self.run_dir}: restarting with a changed recipe, since no generation has "
                     f"finished; differing keys: " + "; ".join(diff))
            return False
        if diff:
            raise UserError(
                f"{self.source}: the run directory {self.run_dir} was started with a different recipe "
                f"({stored_path}); differing keys:\n  " + "\n  ".join(diff) +
                "\nRun the stored recipe to resume, or give --new-name NAME to start a new run.")
        return True

    def check_finished(self) -> None:
        """Resume only from intact finished generations (issue 22): each one's metrics.json a complete record,
        its samples.jsonl whole (every line parses, as many samples as recorded) and its weights the ones
        recorded (model_sha256); otherwise an error naming the file and how to redo that generation."""
        from textmad.model import model_sha256

        arms = [arm_name(a) for a in self.recipe.loop.arms]
        folders = dict.fromkeys(gen_dir(self.run_dir, arm, k) for arm in arms
                                for k in rundir.finished_generations(self.run_dir, arm))
        for folder in folders:
            redo = (f"the finished generation {folder} is damaged. Delete {folder / DONE} and run the same "
                    f"`textmad run` command: it redoes that generation")
            metrics = read_gen_json(folder / rundir.METRICS)
            if not (isinstance(metrics, dict) and all(isinstance(metrics.get(key), dict) for key in
                                                      ("mix", "train", "samples", "metrics"))):
                raise UserError(f"{folder / rundir.METRICS}: not a generation's record (it needs mix, train, "
                                f"samples and metrics); {redo}")
            count = len(read_gen_jsonl(folder / rundir.SAMPLES))
            if count != metrics["samples"].get("count"):
                raise UserError(f"{folder / rundir.SAMPLES}: {count} samples where {rundir.METRICS} records "
                                f"{metrics['samples'].get('count')}; {redo}")
            try:
                weights = model_sha256(folder / rundir.MODEL)
            except (OSError, UserError) as e:
                raise UserError(f"{folder / rundir.MODEL}: cannot be read ({e}); {redo}") from None
            if weights != metrics.get("model_sha256"):
                raise UserError(f"{folder / rundir.MODEL}: its weights are not the ones {rundir.METRICS} records "
                                f"(sha256 {weights[:12]}..., recorded {str(metrics.get('model_sha256'))[:12]}...); "
                                f"{redo}")

    def check_launch(self, launch: dict) -> None:
        """Refuse to resume under launch settings that change results (process count, device, dtype)."""
        path = self.run_dir / rundir.ENVIRONMENT
        stored = rundir.read_run_json(self.run_dir, rundir.ENVIRONMENT).get("launch")
        diff = launch_differences(stored, launch) if stored and rundir.has_finished(self.run_dir) else []
        if diff:
            raise UserError(f"{self.run_dir}: this run was launched with other settings that change results "
                            f"({path}): " + "; ".join(diff) + ". Launch it as before to resume, or give "
                            "--new-name NAME to start a new run with these settings.")

    def prepare_corpus(self, resuming: bool):
        from textmad.corpus import prepare
        from textmad.evaluate.context import RunContext

        with self.acc.main_process_first():
            corpus = prepare(self.recipe.corpus)
        stored = self.run_dir / rundir.CORPUS
        if resuming and stored.exists():
            then = {k: v.get("sha256") for k, v in rundir.read_run_json(self.run_dir, rundir.CORPUS)["splits"].items()}
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
        self.context = RunContext(self.run_dir, self.recipe, self.acc, language=corpus.language,
                                  pool=[d["text"] for d in self.train_docs], heldout=self.heldout_docs)

    def seeds(self) -> dict:
        recipe = self.recipe
        seeds = {"recipe": recipe.seed, "corpus": recipe.corpus.seed, "evaluate": recipe.evaluate.seed,
                 "base": derive_seed(recipe.seed, "base"), GEN0: derive_seed(recipe.seed, GEN0, 0)}
        for plan in self.plans:
            for k in range(1, plan.generations + 1):
                seeds[f"{plan.name}/{gen_name(k)}"] = derive_seed(recipe.seed, plan.name, k)
        return seeds

    def write_setup(self, resuming: bool, env: dict) -> None:
        """recipe.yaml (once), corpus.json and environment.json (earlier sessions kept); main process only."""
        for stale in self.run_dir.glob(".*.tmp"):  # left by a kill during an atomic write
            inside(self.run_dir, stale).unlink()
        if not resuming:
            write_text(inside(self.run_dir, self.run_dir / rundir.RECIPE), dump_yaml(self.recipe))
        write_json(inside(self.run_dir, self.run_dir / rundir.CORPUS), self.corpus.manifest)
        env_path = inside(self.run_dir, self.run_dir / rundir.ENVIRONMENT)
        if resuming and env_path.exists():
            earlier = rundir.read_run_json(self.run_dir, rundir.ENVIRONMENT)
            env["earlier_sessions"] = earlier.pop("earlier_sessions", []) + [
                {key: earlier.get(key) for key in ("started", "command", "device", "num_processes", "launch")}]
        write_json(env_path, env)

    def run(self) -> None:
        with contextlib.ExitStack() as held:
            # the lock comes first: what the checks below read cannot change under this process
            self.agree(lambda: held.enter_context(rundir.hold_lock(self.run_dir)))
            self.run_locked()

    def run_locked(self) -> None:
        recipe = self.recipe
        resuming = self.check_recipe()
        if resuming:
            self.agree(self.check_finished)
        self.prepare_corpus(resuming)
        self.plans = plan_arms(recipe, len(self.train_docs), len(self.fresh_docs), self.source)
        env = environment_record(recipe, self.acc, self.seeds())
        if resuming:
            self.check_launch(env["launch"])
        self.barrier()  # every process has seen the run directory as it was before the main process writes
        if self.main:
            # nothing is written before the recipe, the corpus and the arms' needs have been checked
            self.write_setup(resuming, env)
        self.barrier()
        self.log(f"textmad run {self.run_dir}: {'resuming' if resuming else 'starting'}; corpus "
                 f"{recipe.corpus.name} [{self.language}] train {len(self.train_docs)} / heldout "
                 f"{len(self.heldout_docs)} / fresh {len(self.fresh_docs)} documents; arms "
                 f"{', '.join(p.name for p in self.plans)}; {recipe.loop.generations} generations; "
                 f"{self.acc.num_processes} process(es) on {self.acc.device}")
        self.said = set()  # reasons already logged for unavailable metrics: said once per run
        self.progress = RunProgress(1 + recipe.loop.generations * len(self.plans))
        self.update_table()
        self.start_trackers()
        try:
            self.generation(None, 0)
            for k in range(1, recipe.loop.generations + 1):
                for plan in self.plans:
                    self.generation(plan, k)
        finally:
            self.stop_trackers()
        self.log(f"done: {self.run_dir} ({rundir.TABLE_CSV}: {len(self.plans)} arm(s) x "
                 f"{recipe.loop.generations + 1} generations)")

    # -------------------------------------------------------- one generation, stage by stage

    def generation(self, plan: ArmPlan | None, k: int) -> None:
        arm = plan.name if plan else GEN0
        label = "generation 0 (shared)" if k == 0 else f"arm {arm}, generation {k}"
        folder = inside(self.run_dir, gen_dir(self.run_dir, arm, k))
        if is_done(folder):
            self.log(self.summary(plan, k, read_gen_json(folder / rundir.METRICS), resumed=True)
                     + "  " + self.progress.step(ran=False))
            return
        self.barrier()
        if self.main and folder.exists():
            shutil.rmtree(folder)  # an unfinished generation is redone from its start
        self.barrier()
        seed = derive_seed(self.recipe.seed, arm, k)
        timings = {}
        with timed(timings, "load"):
            model, tokenizer = self.load(arm, k, seed)
            mix = self.mix(plan, k, folder, model, tokenizer)
        with timed(timings, "train"):
            model, stats = self.train(model, tokenizer, mix, k, seed, label, folder)
        with timed(timings, "generate"):
            model_hash, samples = self.sample(model, tokenizer, arm, k, seed, label, folder)
        with timed(timings, "evaluate"):
            scores = self.evaluate(model, tokenizer, samples, arm, k, rundir.trained_real(mix))
        timings["total"] = sum(timings.values())
        metrics = self.record(plan, k, seed, folder, mix, stats, samples, model_hash, scores, timings)
        self.track(plan, k, metrics, stats)
        self.log(self.summary(plan, k, metrics) + "  " + self.progress.step(ran=True))
        del model
        self.acc.free_memory()

    def load(self, arm: str, k: int, seed: int):
        """The model this generation starts from: the base model, or the previous generation's weights."""
        from accelerate.utils import set_seed

        from textmad import budget
        from textmad.model import load_base, load_model

        if k == 0 or self.recipe.train.init == "base":
            set_seed(derive_seed(self.recipe.seed, "base"))  # the same base weights as generation 0's
            model, tokenizer = load_base(self.recipe, [d["text"] for d in self.train_docs], self.acc)
            if k == 0 and self.main:
                budget.check(self.recipe, model, tokenizer, [d["text"] for d in self.train_docs],
                             [d["text"] for d in self.heldout_docs], log=self.log)
        else:
            set_seed(seed)
            model, tokenizer = load_model(gen_dir(self.run_dir, arm, k - 1) / rundir.MODEL, self.recipe, self.acc)
        set_seed(seed)
        return model, tokenizer

    def mix(self, plan: ArmPlan | None, k: int, folder: Path, model=None, tokenizer=None) -> list[dict]:
        """The generation's training documents with provenance and text, in training order (written to
        train_mix.jsonl); an arm's loop.filter runs on them first (textmad.watermark; what it drops goes
        to filtered_out.jsonl)."""
        if k == 0:
            refs = [{"origin": rundir.origin("real"), "source_id": d["id"]} for d in self.train_docs]
        else:
            synthetic = {}
            for j in range(k):
                marked = wm.arm_watermarks(self.recipe, wm.arm_config(self.recipe, plan.name))
                name = wm.gen0_samples_name(self.recipe, marked, rundir.SAMPLES) if j == 0 else rundir.SAMPLES
                rows = read_gen_jsonl(gen_dir(self.run_dir, plan.name, j) / name)
                synthetic[j] = [r["id"] for r in rows]
                self.texts.update({(rundir.origin("synthetic", j), r["id"]): r["text"] for r in rows})
            refs = build_mix(plan, k, [d["id"] for d in self.train_docs], [d["id"] for d in self.fresh_docs],
                             synthetic)
        rows = []
        for i, ref in enumerate(refs):
            kind = rundir.parse_origin(ref["origin"])[0]
            pool = kind if kind == "fresh" else ref["origin"]
            rows.append({"id": f"{k:03d}-{i:06d}", "origin": ref["origin"], "source_id": ref["source_id"],
                         "text": self.texts[(pool, ref["source_id"])]})
        rows, dropped, self.filtered = wm.filter_mix(rows, self.recipe, plan.name if plan else GEN0, k, tokenizer,
                                                     model, self.gen0)  # issue 24
        if self.main:
            write_jsonl(folder / rundir.TRAIN_MIX, rows)
            if dropped:
                write_jsonl(folder / rundir.FILTERED_OUT, dropped)
        return rows

    def train(self, model, tokenizer, mix: list[dict], k: int, seed: int, label: str, folder: Path):
        """Train on the mix and save the weights; (the unwrapped model, training figures)."""
        from textmad.model import save_model
        from textmad.train import NonFiniteLoss, train

        recipe = self.recipe
        epochs = recipe.train.gen0_epochs if k == 0 and recipe.train.gen0_epochs else recipe.train.epochs
        try:
            stats = train(model, tokenizer, [r["text"] for r in mix], recipe.train, self.acc,
                          seed=derive_seed(seed, "train"), epochs=epochs, desc=label,
                          log_path=folder / rundir.TRAIN_LOG)
        except NonFiniteLoss as e:  # its message names the arm and generation (desc) and the step
            raise UserError(f"{e}. The run stopped; the completed generations in {self.run_dir} are kept. "
                            f"A changed recipe runs under a new name: add --new-name NAME") from None
        model = self.acc.unwrap_model(model)
        save_model(model, tokenizer, folder / rundir.MODEL, self.acc)
        self.barrier()
        return model, stats

    def sample(self, model, tokenizer, arm: str, k: int, seed: int, label: str, folder: Path):
        """(weights hash, samples): the same prompts in every generation and arm, so a prompt's
        continuations show the drift; written to samples.jsonl."""
        from textmad.generate import generate, make_prompts, prompts_needed
        from textmad.model import model_sha256

        recipe = self.recipe
        model_hash = model_sha256(folder / rundir.MODEL)
        prompts = make_prompts(self.train_docs, tokenizer, recipe.generate,
                               seed=derive_seed(recipe.seed, "prompts"), n=prompts_needed(recipe.generate))
        marked = wm.arm_watermarks(recipe, wm.arm_config(recipe, arm))
        samples = generate(model, tokenizer, prompts, wm.generate_config(recipe, marked), self.acc,
                           seed=derive_seed(seed, "generate"), generation=k, arm=arm, model_hash=model_hash, desc=label)
        extras = wm.sample_extras(model, tokenizer, prompts, samples, recipe, self.acc, derive_seed(seed, "generate"),
                                  k, arm, model_hash, label)  # issue 24: scores, gen-0's other set, radioactivity
        self.radioactive = extras.get(rundir.RADIOACTIVITY)
        if self.main:
            write_jsonl(folder / rundir.SAMPLES, samples)
            for name, rows in extras.items():
                write_jsonl(folder / name, rows)
        return model_hash, samples

    def record(self, plan: ArmPlan | None, k: int, seed: int, folder: Path, mix: list[dict], stats: dict,
               samples: list[dict], model_hash: str, scores, timings: dict) -> dict:
        """Write metrics.json, then DONE, then the run table; the generation's metrics."""
        counts = dict.fromkeys(rundir.ORIGIN_KINDS, 0)
        for row in mix:
            counts[rundir.parse_origin(row["origin"])[0]] += 1
        metrics = {
            "arm": plan.name if plan else GEN0, "mode": plan.mode if plan else "real", "generation": k,
            "seed": seed, "model_sha256": model_hash,
            "mix": {"docs": len(mix), **counts,
                    "real_share": (counts["real"] + counts["fresh"]) / len(mix) if mix else 0.0,
                    "planned_share": plan.shares[k - 1] if plan and plan.mode in SHARED_MODES else None},
            "train": {key: v for key, v in stats.items() if isinstance(v, (int, float, str, bool)) or v is None},
            "samples": {"count": len(samples), "new_tokens": sum(int(s.get("new_tokens", 0)) for s in samples)},
            **scores.record(),  # "metrics", "evaluation" and "about" (each metric's direction and baseline)
            "timings": {key: round(v, 3) for key, v in timings.items()},
        }
        if self.main:
            write_json(folder / rundir.METRICS, metrics)
            write_model_card(folder / rundir.MODEL, self.recipe, metrics, self.language)  # issue 26: hub-ready card
            write_text(folder / DONE, datetime.datetime.now(datetime.timezone.utc).isoformat() + "\n")
            self.update_table()
        self.barrier()
        return metrics

    # -------------------------------------------------------- evaluation, table, progress

    def gen0(self):
        """Generation 0's (model, tokenizer), loaded from disk once per run."""
        return self.context.gen0_model()[0]

    def evaluate(self, model, tokenizer, samples: list[dict], arm: str, k: int, trained: list[str]):
        """The generation's ``Scores``, by the run context `textmad eval RUN` uses too (``trained``: the real
        text of its training mix)."""
        scores = self.context.score(arm, k, samples, (model, tokenizer), radioactive=self.radioactive,
                                    filtered=self.filtered, trained=trained)
        # a metric the recipe asks for and cannot have is said in the log, with its reason
        by_reason = {}
        for name, reason in scores.evaluation()["unavailable"].items():
            by_reason.setdefault(reason, []).append(name)
        for reason, names in by_reason.items():
            if reason not in self.said:
                self.said.add(reason)
                self.log(f"  unavailable: {', '.join(names)}: {reason}")
        return scores

    # -------------------------------------------------------- experiment trackers (recipe key log_with)

    def start_trackers(self) -> None:
        """Accelerate's trackers for this run, writing under RUN/trackers/ (main process only)."""
        if not self.recipe.log_with:
            return
        self.acc.project_configuration.logging_dir = str(inside(self.run_dir, self.run_dir / TRACKERS))
        config = {k: v if isinstance(v, (int, float, str, bool)) else str(v)
                  for k, v in flatten(to_dict(self.recipe)).items()}
        self.acc.init_trackers(self.recipe.name, config=config)

    def stop_trackers(self) -> None:
        # tracker.finish() rather than accelerator.end_training(), which would also end the process
        # group that the next seed's run still needs
        for tracker in self.acc.trackers:
            tracker.finish()
        self.acc.trackers.clear()

    def track(self, plan: ArmPlan | None, k: int, metrics: dict, stats: dict) -> None:
        """Training loss per step (one series per arm and generation) and every numeric metric per
        generation (one series per arm; generation 0 starts every arm's series)."""
        if not self.recipe.log_with:
            return
        arms = [plan.name] if plan else [p.name for p in self.plans]
        name = f"{plan.name}/{gen_name(k)}" if plan else GEN0
        for point in stats.get("loss_curve") or []:
            self.acc.log({f"train_loss/{name}": point["loss"], f"learning_rate/{name}": point["lr"]},
                         step=point["step"])
        values = {m: v for m, v in metrics["metrics"].items() if rundir.is_number(v)}
        for arm in arms:
            self.acc.log({f"{metric}/{arm}": value for metric, value in values.items()}, step=k)

    def update_table(self) -> None:
        if self.main:
            self.context.rebuild_table()

    def summary(self, plan: ArmPlan | None, k: int, m: dict, resumed: bool = False) -> str:
        arm = plan.name if plan else "all arms"
        mix, train, scores = m["mix"], m["train"], m["metrics"]
        parts = [f"{arm:<16} gen {k}/{self.recipe.loop.generations}",
                 f"mix {mix['docs']} docs ({mix['real']} real, {mix['fresh']} fresh, {mix['synthetic']} synthetic)",
                 f"train loss {_fmt(train.get('train_loss'), '.3f')} val {_fmt(train.get('val_loss'), '.3f')}",
                 "heldout " + " ".join(f"{name.removeprefix('heldout_')} "  # heldout ppl 12.34 bpb 1.234
                                       f"{_fmt(scores.get(name), '.2f' if name.endswith('_ppl') else '.3f')}"
                                       for name in METRICS.shown("progress")),
                 f"samples {m['samples']['count']}",
                 "(done earlier)" if resumed else f"{m['timings']['total']:.0f}s"]
        return "  ".join(parts)
