"""Before a sweep starts its runs: each run's time and memory by the estimator `textmad run` prints at its
start (textmad.budget), the total, and a warning for anything far beyond the budget (each run's
``loop.budget_minutes``, their sum for the sweep, the machine's memory shared by ``--jobs`` runs); and a
caution when the threshold metric would read vocabulary shift as tail loss."""
from __future__ import annotations

import contextlib
import os

from textmad import budget
from textmad.sweep.execute import run_state
from textmad.sweep.plan import Job, Sweep


class _ThisProcess:
    """What ``load_base`` asks of an accelerator, for a look at the base model outside any run: one process,
    the CPU (a real Accelerator here would fix the device state of runs started later in this process)."""
    device = type("Device", (), {"type": "cpu"})()
    main_process_first = staticmethod(contextlib.nullcontext)


def _measure(recipe) -> tuple:
    """(model shape, pool, document and held-out tokens, resident bytes) of ``recipe``'s base model and corpus."""
    from textmad.corpus import prepare
    from textmad.model import load_base

    corpus = prepare(recipe.corpus)
    train = [d["text"] for d in corpus.split("train")]
    heldout = [d["text"] for d in corpus.split("heldout")]
    resident = budget.resident_memory()
    model, tokenizer = load_base(recipe, train, _ThisProcess())
    return budget.shape_of(model), budget.corpus_tokens(recipe, tokenizer, train, heldout), resident


def estimate_runs(sweep: Sweep, jobs: list[Job], parallel: int = 1, log=print) -> dict:
    """Print the estimate of every run still to do, the total and the wall time with ``parallel`` runs side by
    side, and warnings; returns {"runs": {run_dir: estimate}, "seconds", "wall_seconds", "warnings"}."""
    todo = [job for job in jobs if run_state(job.recipe) not in ("done", "running")]
    if not todo:
        return {"runs": {}, "seconds": 0.0, "wall_seconds": 0.0, "warnings": []}
    flops = budget.matmul_flops()
    measured, runs, said = {}, {}, []
    log(f"estimate on this machine, per run (what `textmad run` prints at its start), {len(todo)} run(s) to do:")
    for job in todo:
        r = job.recipe
        key = (repr(r.model), repr(r.corpus), repr(r.train.lora) if r.train.method == "lora" else "")
        if key not in measured:
            measured[key] = _measure(r)
        shape, tokens, resident = measured[key]
        est = runs[job.run_dir] = budget.estimate(r, shape, *tokens, flops, resident)
        log(f"  {job.run_dir.relative_to(sweep.dir)}: {budget.describe(est)}")
        said += [w for w in budget.warnings(est, 60 * r.loop.budget_minutes, budget.machine_memory(), at_once=parallel)
                 if w not in said]
    total = sum(e["seconds"] for e in runs.values())
    # side by side, runs share the cores the estimate measured with: only as many gain as the cores allow
    import torch

    gain = max(1, min(parallel, (os.cpu_count() or 1) // max(1, torch.get_num_threads())))
    wall = total / gain
    refine = " (refinement rounds, sweep.refine_width, add runs not counted here)" if sweep.recipe.sweep.refine_width else ""
    log(f"  total: {total / 60:.0f} min of this machine's time; about {wall / 60:.0f} min of wall time with "
        f"{parallel} run(s) at once{refine}")
    planned = sum(60 * job.recipe.loop.budget_minutes for job in todo)
    if all(job.recipe.loop.budget_minutes for job in todo) and total > 2 * planned:
        said.append(f"the sweep's estimated total, {total / 60:.0f} min, is over 2x its budget: {len(todo)} run(s) x "
                    f"loop.budget_minutes = {planned / 60:.0f} min")
    for text in said:
        log(f"warning: {text}; {budget.REDUCE}, or fewer seeds or shares (sweep.real_share)")
    return {"runs": runs, "seconds": total, "wall_seconds": wall, "warnings": said}


def cautions(recipe) -> list[str]:
    """A threshold metric ranked on generation 0's pool under fresh data: its worsening counts vocabulary shift."""
    from textmad.evaluate import METRICS
    from textmad.recipe import threshold_metric

    metric = threshold_metric(recipe)
    if METRICS[metric].reference == "gen0_pool" and "fresh" in recipe.sweep.modes:
        return [f"sweep.metric = {metric} ranks the tail on generation 0's training pool: under fresh data its "
                f"worsening also counts the pool's rare words giving way to the fresh slices' (vocabulary shift, not "
                f"collapse); mix_tail_drop_vs_gen0 ranks them on the real text each generation trained on"]
    return []
