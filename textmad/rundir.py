"""The run directory, in one place: its file names, detection, finished generations, run table, lock
and boundary. The loop writes it; `textmad eval`, the sweep, the views and ``textmad.load_runs`` read
it through the names and functions here. The layer just above text/io/errors and the metric registry:
it imports neither torch nor the recipe (provenance, which asks torch, is ``textmad.provenance``).

```
RUN/recipe.yaml  environment.json  corpus.json  metrics.jsonl  metrics.csv  .lock  .lock.json
RUN/gen-000/                 generation 0, shared by every arm
RUN/<arm>/gen-00k/           generation k >= 1 of an arm
    model/  train_mix.jsonl  samples.jsonl  train_log.jsonl  metrics.json  DONE (written last)
```

One writer: ``textmad run`` holds an exclusive ``flock`` on ``RUN/.lock`` for the whole run and
describes itself (pid, host, start time, command) in ``RUN/.lock.json``. The kernel drops the lock
when the process dies, so a killed run never blocks its resume. Every path the loop writes or
deletes passes ``inside(run_dir, path)`` first.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import fcntl
import io
import itertools
import json
import math
import os
import re
import socket
import time
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from textmad.errors import UserError
from textmad.evaluate.registry import METRICS as REGISTRY
from textmad.io import BadLine, read_jsonl, write_json, write_jsonl, write_text

if TYPE_CHECKING:
    import pandas

RECIPE = "recipe.yaml"  # the resolved recipe, written once when the run starts
ENVIRONMENT = "environment.json"  # provenance: packages, git commit, device, launch, seeds, earlier sessions
CORPUS = "corpus.json"  # the prepared corpus's manifest
TABLE_JSONL = "metrics.jsonl"  # the run table: one row per arm and generation
TABLE_CSV = "metrics.csv"
LOCK = ".lock"  # flock-ed by the one process writing the run
LOCK_INFO = ".lock.json"  # who holds the lock
TRACKERS = "trackers"  # experiment trackers' files (recipe key log_with), e.g. TensorBoard event files
GEN_PREFIX = "gen-"
GEN0 = "gen-000"  # generation 0, shared by every arm
GEN_DIR = re.compile(r"gen-(\d{3,})")  # GEN_PREFIX and three or more digits
# inside a generation folder
MODEL = "model"
TRAIN_MIX = "train_mix.jsonl"
SAMPLES = "samples.jsonl"
TRAIN_LOG = "train_log.jsonl"
METRICS = "metrics.json"
DONE = "DONE"  # written last into a generation folder: the generation is complete
# inside a generation folder of a run with watermarking or a filter (textmad.watermark, issue 24)
SAMPLES_OTHER = "samples-watermark-{}.jsonl"  # gen-000's samples under the other watermark setting (on/off)
RADIOACTIVITY = "radioactivity.jsonl"  # the unwatermarked sample drawn to measure radioactivity
FILTERED_OUT = "filtered_out.jsonl"  # the pool's documents a filter dropped, with the reason
# written beside a run by the commands that read it
REPORT_DIR = "report"  # `textmad report RUN` (report.md, report.html, plots/)
EVAL_DIR = "eval"  # `textmad eval RUN` without --replace: one folder per re-scoring
REPORT_MD = "report.md"  # in a report folder (a run's or a sweep's)
REPORT_HTML = "report.html"
PLOTS_DIR = "plots"  # the report's PNG figures
# Entries at the top of a run directory besides the arms' folders (gen-* and .* are reserved too): an arm
# cannot be called so
RUN_DIR_ENTRIES = (RECIPE, ENVIRONMENT, CORPUS, TABLE_JSONL, TABLE_CSV, TRACKERS, REPORT_DIR, EVAL_DIR)

# a sweep directory (`textmad sweep`) and the seeds of `textmad run --seeds`
SWEEP_RECIPE = "sweep.yaml"  # the resolved sweep recipe: marks a sweep directory
SWEEP_SUMMARY = "summary.csv"  # one row per point, arm, generation and metric
SWEEP_SUMMARY_README = "summary.README.md"  # what summary.csv's columns mean
THRESHOLD = "threshold.json"  # the estimated real-share threshold
SEED_PREFIX = "seed-"  # output_dir/name/seed-S: one run directory per seed
REFINE_PREFIX = "refine-"  # refine-R/seed-S: a sweep's refinement round R
SWEEP_LOGS = "logs"  # one log file per run the sweep started
SWEEP_SUBMITIT = "submitit"  # issue 25: submitit's job files (pickled job, its stdout/stderr, result)

# a prepared corpus folder (`textmad corpus prepare`)
MANIFEST = "manifest.json"


def split_file(split: str) -> str:
    """A prepared corpus's file of one split: train.jsonl, heldout.jsonl, fresh.jsonl."""
    return f"{split}.jsonl"


def seed_name(seed: int) -> str:
    """The run directory of one seed inside a sweep or a `run --seeds` folder."""
    return f"{SEED_PREFIX}{seed}"


def refine_name(round_: int) -> str:
    return f"{REFINE_PREFIX}{round_}"


# ---------------------------------------------------------------- names and detection

def is_number(value) -> bool:
    """Whether a run-table value is a finite number (not None, a bool, NaN or inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


TRAINING = ("train_loss", "val_loss")  # the run table's training figures, plotted beside the metrics


def metric_columns(rows: list[dict]) -> list[str]:
    """Registered metrics (in registry order) then training losses, each where some row of the run table
    has a number (here, not in the views: the sweep's summary uses it too)."""
    seen = {k for row in rows for k, v in row.items() if is_number(v)}
    return [m.name for m in REGISTRY if m.name in seen] + [m for m in TRAINING if m in seen]


def gen_name(k: int) -> str:
    return f"{GEN_PREFIX}{k:03d}"


def gen_dir(run_dir: Path, arm: str | None, k: int) -> Path:
    """RUN/gen-000 for generation 0, RUN/<arm>/gen-00k for generation k >= 1 of an arm."""
    return run_dir / GEN0 if k == 0 else run_dir / (arm or "") / gen_name(k)


def is_run_dir(path: Path) -> bool:
    return (Path(path) / RECIPE).is_file() and (Path(path) / GEN0).is_dir()


def is_done(folder: Path) -> bool:
    return (folder / DONE).is_file()


def finished_generations(run_dir: Path, arm: str | None) -> list[int]:
    """Finished generations of ``arm``, in order (0 first: the shared gen-000 counts for every arm)."""
    found = [0] if is_done(run_dir / GEN0) else []
    if arm:
        found += sorted(int(m.group(1)) for p in (run_dir / arm).glob("gen-*")
                        if (m := GEN_DIR.fullmatch(p.name)) and int(m.group(1)) > 0 and is_done(p))
    return found


def has_finished(run_dir: Path) -> bool:
    """True when any generation of the run is finished (a DONE anywhere)."""
    return is_done(run_dir / GEN0) or any(run_dir.glob(f"*/gen-*/{DONE}"))


# ---------------------------------------------------------------- boundary

def inside(run_dir: Path, path: Path) -> Path:
    """``path`` when it resolves strictly inside ``run_dir`` (symbolic links followed); otherwise a UserError,
    raised before anything is touched."""
    root, target = Path(run_dir).resolve(), Path(path).resolve()
    if root not in target.parents:
        raise UserError(f"{path}: resolves to {target}, outside {root}; refusing to write or delete it "
                        f"(run and arm names are single folder names)")
    return Path(path)


def check_writable(run_dir: Path) -> None:
    """A clear error when ``run_dir`` cannot be created or written (a file in the way, no permission)."""
    run_dir = Path(run_dir)
    if run_dir.resolve() == Path(run_dir.resolve().anchor):
        raise UserError(f"{run_dir}: the run directory cannot be the file-system root; set output_dir and name")
    for folder in (run_dir, *run_dir.parents):
        if folder.exists() or folder.is_symlink():
            break
    if not folder.is_dir():
        raise UserError(f"{folder}: exists and is not a folder, so the run directory {run_dir} cannot be made "
                        f"there; choose another output_dir or name")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{folder}: not writable by this user, so the run directory {run_dir} cannot be "
                        f"{'written' if folder == run_dir else 'made'}; choose another output_dir "
                        f"or fix the folder's permissions")


# ---------------------------------------------------------------- one writer

class RunLocked(UserError):
    """Another live process holds the run directory's lock."""


def is_locked(run_dir: Path) -> bool:
    """True while a live process (this one included) holds ``run_dir``'s lock."""
    try:
        fd = os.open(Path(run_dir) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def lock_holder(run_dir: Path) -> dict:
    """The live process writing ``run_dir`` as it described itself (pid, host, started, command);
    {} when none holds the lock (a killed holder's description is stale and ignored)."""
    if not is_locked(run_dir):
        return {}
    try:
        return json.loads((Path(run_dir) / LOCK_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # the holder has not written it yet
        return {}


def _alive(who: dict) -> bool:
    if who.get("host") != socket.gethostname():
        return bool(who)
    try:
        os.kill(int(who.get("pid")), 0)
    except ProcessLookupError:
        return False  # a killed holder's record, not yet replaced by the new holder's
    except (OSError, TypeError, ValueError):
        pass
    return True


def _wait_for_holder(run_dir: Path, seconds: float = 3.0) -> dict:
    """The holder's record: a holder writes it just after taking the lock, so wait briefly for it (issue 22)."""
    deadline = time.monotonic() + seconds
    while True:
        who = lock_holder(run_dir)
        if (who and _alive(who)) or time.monotonic() > deadline or not is_locked(run_dir):
            return who
        time.sleep(0.05)


@contextlib.contextmanager
def hold_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s exclusive lock (creating the folder); RunLocked when a live process has it.

    fcntl.flock rather than a lock file's existence: the kernel releases it when the holder dies,
    so a killed run's lock never blocks the resume.
    """
    run_dir = Path(run_dir)
    created = list(itertools.takewhile(lambda p: not p.exists(), (run_dir, *run_dir.parents)))
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        who = _wait_for_holder(run_dir)
        holder = (f"pid {who.get('pid')} on {who.get('host')}, started {who.get('started')}: "
                  f"{' '.join(who.get('command') or [])}" if who else "a process that has just started")
        raise RunLocked(f"{run_dir}: another textmad process is writing this run ({holder}); wait for it to end "
                        f"or stop it, then run the same command again to resume") from None
    try:
        write_json(run_dir / LOCK_INFO, {
            "pid": os.getpid(), "host": socket.gethostname(), "command": sys.argv,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
        yield
    finally:
        (run_dir / LOCK_INFO).unlink(missing_ok=True)
        if created and [p.name for p in run_dir.iterdir()] == [LOCK]:
            # a run stopped before it wrote anything (a check failed) leaves no folder behind
            (run_dir / LOCK).unlink()
            for folder in created:
                folder.rmdir()
        os.close(fd)


# ---------------------------------------------------------------- reading what a generation wrote

def _damaged(path: Path, where: str, error: Exception) -> UserError:
    folder = path.parent
    return UserError(f"{where}: cannot be read ({error}); the finished generation {folder} is damaged. "
                     f"Delete {folder / DONE} and run the same `textmad run` command: it redoes that generation")


def read_gen_json(path: Path) -> dict:
    """A generation's JSON file; a damaged one is a UserError naming it and how to redo the generation."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise _damaged(Path(path), f"{path}:{e.lineno}", e.msg) from None
    except ValueError as e:  # undecodable bytes
        raise _damaged(Path(path), str(path), e) from None


def read_gen_jsonl(path: Path) -> list[dict]:
    """A generation's JSONL file; a damaged line is a UserError naming file and line and how to redo it."""
    try:
        return read_jsonl(path)
    except BadLine as e:
        raise _damaged(Path(path), e.where, e.reason) from None
    except ValueError as e:  # undecodable bytes
        raise _damaged(Path(path), str(path), e) from None


# A train_mix.jsonl document's "origin": "real" (generation 0's pool), "fresh:<k>" (a fresh real document first
# drawn at generation k) or "synthetic:<j>" (written by generation j). Written by textmad.mix, read here.
ORIGIN_KINDS = ("real", "fresh", "synthetic")


def origin(kind: str, generation: int | None = None) -> str:
    """The origin string of a mix document: ``origin("synthetic", 2)`` -> "synthetic:2"."""
    if kind not in ORIGIN_KINDS:
        raise ValueError(f"origin kind {kind!r}; accepted: {', '.join(ORIGIN_KINDS)}")
    return kind if generation is None else f"{kind}:{generation}"


def parse_origin(text: str) -> tuple[str, int | None]:
    """(kind, generation or None) of an origin string: "fresh:3" -> ("fresh", 3), "real" -> ("real", None)."""
    kind, _, k = text.partition(":")
    return kind, int(k) if k.isdigit() else None


def trained_real(mix: list[dict]) -> list[str]:
    """The texts of a training mix's (train_mix.jsonl's) real and fresh documents: what the mix_tail metrics rank."""
    return [r["text"] for r in mix if parse_origin(r["origin"])[0] in ("real", "fresh")]


def read_run_json(run_dir: Path, name: str) -> dict:
    """A run-level JSON file (corpus.json, environment.json); {} when absent."""
    path = Path(run_dir) / name
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise UserError(f"{path}: not valid JSON ({e}); delete it and run the same `textmad run` command, "
                        f"which writes it again") from None


# ---------------------------------------------------------------- run table

def table_row(metrics: dict, arm: str, mode: str, run: dict) -> dict:
    """One flat row of the run table from a generation's metrics.json (generation 0 takes the arm's name).

    ``run`` gives the columns that name the run (run, corpus, language), so tables of several runs concatenate.
    """
    mix, train, samples = metrics["mix"], metrics["train"], metrics["samples"]
    row = {**run, "arm": arm, "mode": mode, "generation": metrics["generation"], "seed": metrics["seed"],
           "mix_docs": mix["docs"], "mix_real": mix["real"], "mix_fresh": mix["fresh"],
           "mix_synthetic": mix["synthetic"], "real_share": mix["real_share"],
           "train_loss": train.get("train_loss"), "val_loss": train.get("val_loss"),
           "train_tokens": train.get("tokens"), "train_steps": train.get("steps"),
           "samples": samples["count"], "sample_tokens": samples["new_tokens"]}
    row.update(metrics["metrics"])
    row.update({f"seconds_{k}": v for k, v in metrics["timings"].items()})
    return row


def write_table(run_dir: Path, rows: list[dict]) -> None:
    write_jsonl(inside(run_dir, run_dir / TABLE_JSONL), rows)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(inside(run_dir, run_dir / TABLE_CSV), buffer.getvalue())


def run_columns(run_dir: Path, name: str, corpus: str, language: str) -> dict:
    """The run table's columns that name the run (run, corpus, language; the prepared corpus's language wins
    over the recipe's), so tables of several runs concatenate."""
    return {"run": name, "corpus": corpus, "language": read_run_json(run_dir, CORPUS).get("language") or language}


def rebuild_table(run_dir: Path, run: dict, arms: list[tuple[str, str]]) -> int:
    """Rewrite the run table from the metrics.json of every finished generation of ``arms`` ((folder name,
    mode) in the recipe's order); ``run``: ``run_columns``. The number of rows."""
    rows = []
    for name, mode in arms:
        for k in finished_generations(run_dir, name):
            m = read_gen_json(gen_dir(run_dir, name, k) / METRICS)
            try:
                row = table_row(m, name, mode, run)
            except KeyError:  # a metrics.json without the loop's training sections
                row = {**run, "arm": name, "mode": mode, "generation": k, **m.get("metrics", {})}
            rows.append({key: v for key, v in row.items() if not isinstance(v, (dict, list))})
    if rows:
        write_table(run_dir, rows)
    return len(rows)


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_table(run_dir: Path) -> list[dict]:
    """The run table's rows (metrics.jsonl, else metrics.csv with numbers parsed)."""
    jsonl, csv_path = Path(run_dir) / TABLE_JSONL, Path(run_dir) / TABLE_CSV
    if jsonl.is_file():
        try:
            rows = read_jsonl(jsonl)
        except ValueError as e:
            raise UserError(f"{e}; run the same `textmad run` (or `textmad eval RUN`) command to rewrite the "
                            f"run table from the generations' {METRICS}") from None
    elif csv_path.is_file():
        with open(csv_path, encoding="utf-8", newline="") as f:
            rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]
    else:
        raise UserError(f"{run_dir}: no {TABLE_JSONL} or {TABLE_CSV}; the run has not finished a generation "
                        f"(resume it with `textmad run`)")
    for row in rows:
        row["generation"] = int(row["generation"])
    return rows


def load_runs(paths) -> pandas.DataFrame:
    """The run tables of ``paths`` (run directories) as one pandas DataFrame, one row per run, arm and
    generation, with a ``path`` column naming the run directory each row comes from."""
    import pandas

    frames = []
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        path = Path(path)
        if not is_run_dir(path):
            raise UserError(f"{path}: not a run directory (expected {RECIPE} and {GEN0}/ written by `textmad run`)")
        frames.append(pandas.DataFrame(read_table(path)).assign(path=str(path)))
    if not frames:
        raise UserError("load_runs: no run directories given")
    return pandas.concat(frames, ignore_index=True)
