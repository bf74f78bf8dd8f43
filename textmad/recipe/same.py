"""When two recipes are the same recipe: the one rule used by resume (loop), by the sweep's summary and by
the views' seed groups, each with the keys its purpose lets differ."""
from __future__ import annotations

import math

# keys that locate a run rather than define it: changing them does not change a single result
LOCATION_KEYS = frozenset({"output_dir", "corpus.prepared_dir", "model.cache_dir",
                           # nor do the keys that only watch a run: trackers and the time budget it is warned against
                           "log_with", "loop.budget_minutes"})
# keys that differ between the seeds of one recipe (`textmad run --seeds`, `textmad compare`)
SEED_KEYS = ("name", "seed", "seeds")
# keys that differ between the runs of one sweep: which seed, which arms, the grid itself ("sweep." and below)
SWEEP_KEYS = SEED_KEYS + ("loop.arms", "sweep.")


def flatten(obj, prefix=""):
    """A nested mapping as {dotted.key: value}."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: obj}


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _ignored(key: str, ignore) -> bool:
    return key in LOCATION_KEYS or any(key == k or (k.endswith(".") and key.startswith(k)) for k in ignore)


def _defaults() -> dict:
    from textmad.recipe.schema import Recipe, to_dict

    return flatten(to_dict(Recipe()))


def recipe_differences(stored: dict, current: dict, ignore=()) -> list[str]:
    """'key: stored -> current' for every dotted key whose value differs between two recipe mappings
    (``to_dict`` or a stored recipe.yaml). Location keys never count; nor do the keys in ``ignore``
    (a name, or a prefix ending in '.' for a whole section): SEED_KEYS, SWEEP_KEYS. NaN equals NaN.
    A key the stored recipe lacks and the current one holds at its default is no difference: the key
    was added to textmad after the run, and at its default it changes nothing the run did."""
    old, new = flatten(stored), flatten(current)
    defaults = _defaults() if set(new) - set(old) else {}
    keys = sorted(k for k in set(old) | set(new) if not _ignored(k, ignore)
                  and not (k not in old and k in defaults and _same(new[k], defaults[k])))
    missing = object()
    return [f"{k}: {old.get(k, missing)!r} -> {new.get(k, missing)!r}".replace(repr(missing), "(absent)")
            for k in keys if not _same(old.get(k, missing), new.get(k, missing))]
