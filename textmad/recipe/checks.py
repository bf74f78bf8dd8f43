"""Checks across fields that single-field types cannot express: the scratch model, folder names, the
real-share schedules, every arm rule (used by `textmad validate` and by the mixing plan alike) and
the sweep's grid; they run before anything is written.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

from textmad.modes import SHARED_MODES
from textmad.rundir import GEN_PREFIX, RUN_DIR_ENTRIES
from textmad.evaluate.registry import METRICS  # the registry names the accepted metric families
from textmad.recipe.schema import (MAX_NAME_BYTES, MAX_SCRATCH_BYTES, MAX_SEED, ArmConfig,
                                   LoopConfig, Recipe, RecipeError, ScratchConfig, _build, arm_name, describe, show,
                                   sweep_arm, to_dict)



def parse_share(share, generations: int, where: str, source: str) -> list[float]:
    """Resolve a real-share spec into one share per generation 1..generations."""
    if isinstance(share, (int, float)):
        shares = [float(share)] * generations
    elif isinstance(share, list):
        if len(share) != generations:
            raise RecipeError(f"{source}: {where} has {len(share)} values; loop.generations is {generations}, "
                              f"so a list needs exactly {generations}")
        shares = [float(s) for s in share]
    elif isinstance(share, str):
        parts = share.split(":")
        try:
            if parts[0] != "linear" or len(parts) != 3:
                raise ValueError
            start, end = float(parts[1]), float(parts[2])
        except ValueError:
            raise RecipeError(f"{source}: {where} = {show(share)} is not a schedule; accepted: a number, a list "
                              f"of numbers, or 'linear:START:END' (for example 'linear:0.9:0.1')") from None
        steps = max(generations - 1, 1)
        shares = [start + (end - start) * k / steps for k in range(generations)]
    else:
        raise RecipeError(f"{source}: {where} = {show(share)}: expected a number, a list or 'linear:START:END'")
    for s in shares:
        if not 0.0 <= s <= 1.0:
            raise RecipeError(f"{source}: {where} = {show(share)} gives a share {s}; accepted: 0 <= share <= 1")
    return shares


def arm_shares(arm: ArmConfig, loop: LoopConfig, where: str, source: str) -> list[float]:
    """Every arm rule, in one place for `textmad validate` and the mixing plan (``mix.plan_arms``): the real
    share of ``arm`` (at ``where``, e.g. loop.arms[0]) at generations 1..G, 0 where the mode fixes it."""
    if arm.mode not in SHARED_MODES:
        if arm.real_share is not None:
            raise RecipeError(f"{source}: {where}.real_share = {show(arm.real_share)} has no meaning for mode "
                              f"{arm.mode!r} (its real share follows from the mode); remove it, or use mode "
                              f"{' or '.join(SHARED_MODES)}")
        return [0.0] * loop.generations
    spec = arm.real_share if arm.real_share is not None else loop.real_share
    return parse_share(spec, loop.generations, f"{where}.real_share", source)


def check_folder_name(name: str, where: str, source: str = "") -> None:
    """Refuse a run or arm name that is not one folder name: it would write outside its parent folder.
    The one rule for `name`, `loop.arms[].name` and `textmad run --new-name`."""
    why = ("it is empty" if not name else
           f"{name!r} is not a folder name" if name in (".", "..") else
           "it contains '/'" if "/" in name else
           "it contains '\\'" if "\\" in name else
           "it contains a NUL character" if "\0" in name else
           f"it is longer than {MAX_NAME_BYTES} bytes" if len(name.encode("utf-8", "replace")) > MAX_NAME_BYTES
           else "")
    if why:
        raise RecipeError(f"{source + ': ' if source else ''}{where} = {show(name)} is not a single folder name "
                          f"({why}); accepted: a name without '/', '\\' or NUL, not '.' or '..', for example "
                          f"'my-run'")


def scratch_parameters(s: ScratchConfig) -> int:
    """Parameters of the scratch Llama (tied embeddings): known before anything is allocated."""
    per_layer = 4 * s.hidden_size**2 + 3 * s.hidden_size * s.intermediate_size + 2 * s.hidden_size
    return s.vocab_size * s.hidden_size + s.num_layers * per_layer + s.hidden_size


def _check_scratch(recipe: Recipe, source: str) -> None:
    s, g, t = recipe.model.scratch, recipe.generate, recipe.train
    context = f"model.scratch.max_position_embeddings = {s.max_position_embeddings}"
    if s.hidden_size % s.num_heads == 0 and (s.hidden_size // s.num_heads) % 2:
        # rotary position embeddings rotate pairs of dimensions: an odd head size fails at the first step
        raise RecipeError(f"{source}: model.scratch.hidden_size / num_heads = {s.hidden_size} / {s.num_heads} = "
                          f"{s.hidden_size // s.num_heads}, an odd head size; rotary embeddings need it even")
    if g.prompt_tokens + g.max_new_tokens > s.max_position_embeddings:
        raise RecipeError(f"{source}: generate.prompt_tokens + generate.max_new_tokens = {g.prompt_tokens} + "
                          f"{g.max_new_tokens} exceeds the model's context, {context}; lower them or raise it")
    if t.seq_len > s.max_position_embeddings:
        raise RecipeError(f"{source}: train.seq_len = {t.seq_len} exceeds the model's context, {context}")
    if recipe.evaluate.perplexity.window > s.max_position_embeddings:
        raise RecipeError(f"{source}: evaluate.perplexity.window = {recipe.evaluate.perplexity.window} exceeds "
                          f"the model's context, {context}")
    size = 4 * scratch_parameters(s)
    if size > MAX_SCRATCH_BYTES:
        raise RecipeError(
            f"{source}: model.scratch (vocab_size {s.vocab_size}, hidden_size {s.hidden_size}, num_layers "
            f"{s.num_layers}, intermediate_size {s.intermediate_size}) would hold "
            f"{scratch_parameters(s) / 1e9:.2f} billion parameters, {size / 2**30:.1f} GiB in float32 "
            f"(vocab_size x hidden_size + num_layers x (4 hidden_size^2 + 3 hidden_size x intermediate_size)), "
            f"before gradients and optimizer state; textmad refuses scratch models over "
            f"{MAX_SCRATCH_BYTES / 2**30:.0f} GiB: lower these sizes")


def _check_watermark(recipe: Recipe, source: str) -> None:
    """The watermark and filter rules that single fields cannot express (issue 24)."""
    g, w = recipe.generate, recipe.generate.watermark
    if "watermark" in recipe.evaluate.metrics:
        raise RecipeError(f"{source}: evaluate.metrics lists 'watermark', whose metrics are not chosen there: a run "
                          f"records them when it watermarks (generate.watermark.enabled or loop.arms[].watermark) "
                          f"or filters (loop.filter); remove it")
    for i, arm in enumerate(recipe.loop.arms):
        where, f = (f"loop.arms[{i}].filter", arm.filter) if arm.filter is not None else ("loop.filter", recipe.loop.filter)
        marked = w.enabled if arm.watermark is None else arm.watermark
        if f.kind in ("watermark", "ration") and not marked:
            who = "generate.watermark.enabled" if arm.watermark is None else f"loop.arms[{i}].watermark"
            raise RecipeError(f"{source}: {where}.kind = {f.kind!r} (arm {arm_name(arm)}) detects the watermark, "
                              f"but {who} is false: turn watermarking on, or use kind 'none' or 'perplexity'")
    if any(a.watermark for a in recipe.loop.arms) or w.enabled:
        if not g.do_sample:
            raise RecipeError(f"{source}: watermarking needs generate.do_sample = true")
        if w.context_width > g.prompt_tokens + g.min_new_tokens:
            raise RecipeError(f"{source}: generate.watermark.context_width = {w.context_width} is longer than the "
                              f"shortest prompt plus generation (generate.prompt_tokens {g.prompt_tokens} + "
                              f"generate.min_new_tokens {g.min_new_tokens}): no token could be scored; lower it "
                              f"or raise those")
        if w.min_tokens > g.max_new_tokens:
            raise RecipeError(f"{source}: generate.watermark.min_tokens = {w.min_tokens} exceeds "
                              f"generate.max_new_tokens = {g.max_new_tokens}: every sample would be too short to test")


def validate(recipe: Recipe, source: str = "<recipe>") -> None:
    """Cross-field checks that single-field types cannot express."""
    check_folder_name(recipe.name, "name", source)
    output_dir = Path(os.path.realpath(recipe.output_dir))  # Path.resolve raises on a symlink loop
    if output_dir.parent == output_dir:
        raise RecipeError(f"{source}: output_dir = {show(recipe.output_dir)} is the file system's root; "
                          f"choose a folder for run directories, for example 'runs'")
    c = recipe.corpus
    if c.heldout_share + c.fresh_share >= 1:
        raise RecipeError(f"{source}: corpus.heldout_share + corpus.fresh_share = "
                          f"{c.heldout_share + c.fresh_share:g}; they must leave a training pool (sum < 1)")
    if c.min_chars > c.max_chars:
        raise RecipeError(f"{source}: corpus.min_chars = {c.min_chars} exceeds corpus.max_chars = {c.max_chars}")
    if c.source is not None and c.source.kind == "local" and not c.source.path:
        raise RecipeError(f"{source}: corpus.source.path is required when corpus.source.kind is 'local'")
    if c.source is not None and c.source.kind == "hub" and not c.source.name:
        raise RecipeError(f"{source}: corpus.source.name (the dataset id) is required when kind is 'hub'")
    m = recipe.model
    if m.kind == "pretrained" and not m.path:
        raise RecipeError(f"{source}: model.path is required when model.kind is 'pretrained' "
                          f"(a local directory or a hub id)")
    s = m.scratch
    if s.hidden_size % s.num_heads:
        raise RecipeError(f"{source}: model.scratch.hidden_size = {s.hidden_size} is not divisible by "
                          f"model.scratch.num_heads = {s.num_heads}")
    if m.kind == "scratch":
        _check_scratch(recipe, source)
    if m.kind == "scratch" and recipe.train.method == "lora":
        raise RecipeError(f"{source}: train.method = 'lora' needs pretrained weights; "
                          f"model.kind is 'scratch' (use train.method = 'full' or a pretrained/gguf model)")
    g = recipe.generate
    if g.min_new_tokens > g.max_new_tokens:
        raise RecipeError(f"{source}: generate.min_new_tokens = {g.min_new_tokens} exceeds "
                          f"generate.max_new_tokens = {g.max_new_tokens}")
    p = recipe.evaluate.perplexity
    if p.window and p.stride > p.window:
        raise RecipeError(f"{source}: evaluate.perplexity.stride = {p.stride} exceeds "
                          f"evaluate.perplexity.window = {p.window}")
    if g.watermark.enabled and not g.do_sample:
        raise RecipeError(f"{source}: generate.watermark.enabled needs generate.do_sample = true")
    _check_watermark(recipe, source)
    t = recipe.evaluate.tail
    if t.torso_ranks <= t.head_ranks:
        raise RecipeError(f"{source}: evaluate.tail.torso_ranks = {t.torso_ranks} must exceed "
                          f"evaluate.tail.head_ranks = {t.head_ranks}")
    validate_sweep(recipe, source)
    if not recipe.loop.arms:
        raise RecipeError(f"{source}: loop.arms is empty; list at least one arm, for example "
                          f"[{{mode: replace}}, {{mode: accumulate}}]")
    parse_share(recipe.loop.real_share, recipe.loop.generations, "loop.real_share", source)
    names = set()
    for i, arm in enumerate(recipe.loop.arms):
        arm_shares(arm, recipe.loop, f"loop.arms[{i}]", source)
        name = arm_name(arm)
        check_folder_name(name, f"loop.arms[{i}].name", source)
        # casefold: on case-insensitive file systems Gen-001 and gen-001 are one folder
        folded = name.casefold()
        if folded in names or folded.startswith((GEN_PREFIX, ".")) or folded in RUN_DIR_ENTRIES:
            raise RecipeError(f"{source}: loop.arms[{i}] has the folder name {show(name)}, which is taken by "
                              f"another arm or reserved in the run directory (gen-*, names starting with '.', "
                              f"{', '.join(RUN_DIR_ENTRIES)}); give it a distinct loop.arms[{i}].name")
        names.add(folded)
    for name in recipe.evaluate.metrics:
        if name not in METRICS.families():
            close = difflib.get_close_matches(name, METRICS.families(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RecipeError(f"{source}: evaluate.metrics has {show(name)}{hint} Accepted: "
                              f"{', '.join(METRICS.families())}")


def add_sweep_arms(recipe: Recipe) -> None:
    """Append the real-share grid's arms to loop.arms; an arm already there (a stored run's recipe) is kept."""
    present = {arm_name(a) for a in recipe.loop.arms}
    for mode in recipe.sweep.modes:
        for share in recipe.sweep.real_share:
            arm = sweep_arm(mode, share)
            if arm.name not in present and 0 <= share <= 1:
                recipe.loop.arms.append(arm)
                present.add(arm.name)


# Keys a sweep may not list: they name or seed the runs, or the grid itself sets them.
UNSWEPT = {"name": "the sweep's name", "seed": "list the seeds in `seeds`", "seeds": "list them in `seeds`",
           "output_dir": "a location", "loop.arms": "list arms in loop.arms, shares in sweep.real_share",
           "loop.real_share": "list the shares in sweep.real_share"}


def threshold_metric(recipe: Recipe) -> str:
    """sweep.metric, or bits per character where registered (fair across scripts), else bits per byte."""
    return recipe.sweep.metric or ("heldout_bpc" if "heldout_bpc" in METRICS else "heldout_bpb")


def validate_sweep(recipe: Recipe, source: str = "<recipe>") -> None:
    """Seeds, the real-share grid, the swept keys and their values, the threshold metric: checked
    before anything runs (every swept value is validated as the whole recipe it makes)."""
    sw = recipe.sweep
    for where, values in (("seeds", recipe.seeds), ("sweep.real_share", sw.real_share), ("sweep.modes", sw.modes)):
        dup = sorted({v for v in values if values.count(v) > 1}, key=str)
        if dup:
            raise RecipeError(f"{source}: {where} lists {show(dup)} more than once; each value once")
    for s in recipe.seeds:
        if not 0 <= s <= MAX_SEED:
            raise RecipeError(f"{source}: seeds has {show(s)}; accepted: integers in [0, {MAX_SEED}]")
    for s in sw.real_share:
        if not 0 <= s <= 1:
            raise RecipeError(f"{source}: sweep.real_share has {s!r}, out of range; accepted: 0 <= share <= 1")
    # keys an override can set: not those inside a list of mappings (loop.arms[].mode)
    keys = {row[0] for row in describe() if "[]" not in row[0]} | {"loop.arms"}
    seen = set()
    for i, swept in enumerate(sw.keys):
        where = f"sweep.keys[{i}]"
        if swept.key not in keys or swept.key.startswith("sweep.") or swept.key in UNSWEPT:
            why = UNSWEPT.get(swept.key) or ("the sweep's own settings" if swept.key.startswith("sweep.") else "")
            close = difflib.get_close_matches(swept.key, sorted(keys - set(UNSWEPT)), n=1)
            hint = f"; did you mean {close[0]!r}?" if close and not why else ""
            raise RecipeError(f"{source}: {where}.key = {show(swept.key)} cannot be swept"
                              f"{f' ({why})' if why else ': no such recipe key'}{hint}")
        if swept.key in seen:
            raise RecipeError(f"{source}: {where}.key = {swept.key!r} is listed twice; list its values once")
        seen.add(swept.key)
        if not swept.values:
            raise RecipeError(f"{source}: {where}.values is empty; list the values of {swept.key} to run")
        for j, value in enumerate(swept.values):
            if swept.values.index(value) != j:
                raise RecipeError(f"{source}: {where}.values lists {show(value)} more than once")
            if isinstance(value, str) and (not value or "/" in value or value.startswith(".")):
                raise RecipeError(f"{source}: {where}.values[{j}] = {show(value)} cannot name a folder "
                                  f"(no '/', not empty, not starting with '.')")
            data = to_dict(recipe)
            data["sweep"], data["seeds"] = {}, []
            node = data
            *parents, last = swept.key.split(".")
            for part in parents:
                if node.get(part) is None:  # an optional mapping left out (corpus.source): filled as an override would
                    node[part] = {}
                node = node[part]
            node[last] = value
            try:
                validate(_build(Recipe, data, "", source), source)
            except RecipeError as e:
                raise RecipeError(f"{source}: {where}.values[{j}] = {show(value)} is not a valid "
                                  f"{swept.key}: {str(e).removeprefix(source + ': ')}") from None
    metric = threshold_metric(recipe)
    if metric not in METRICS or METRICS[metric].higher_is_better is None:
        directed = [m.name for m in METRICS if m.higher_is_better is not None]
        close = difflib.get_close_matches(metric, directed, n=1)
        why = "has no better direction" if metric in METRICS else "is not a registered metric"
        raise RecipeError(f"{source}: sweep.metric = {show(metric)} {why}"
                          f"{f'; did you mean {close[0]!r}?' if close else ''}. Accepted: {', '.join(directed)}")
    arms = [arm_name(a) for a in recipe.loop.arms]
    if sw.baseline and sw.baseline not in arms:
        raise RecipeError(f"{source}: sweep.baseline = {show(sw.baseline)} is not an arm; arms: {', '.join(arms)}")
