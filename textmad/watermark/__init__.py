"""Watermarks in the loop: detect the green-list mark, measure detection, filter or ration a pool.

Detection uses transformers' own green lists (``WatermarkDetector``'s processor, built from the
recipe's ``generate.watermark``: key, green-list ratio, seeding scheme, context width), so a token is
green here exactly when generation favoured it. Two things differ from transformers' detector, and
its figures are kept beside ours for comparison (``z_transformers``, ``p_transformers``):

- each (context, token) pair is counted once (Sander et al.): transformers counts repeated n-grams
  by default, so a collapsing model's repetitive text inflates its score;
- the p-value is the exact one-sided binomial tail P(X >= green | n = scored, p = ratio)
  (``scipy.stats.binom.sf``); transformers' normal approximation is too small in the tail: at z = 6
  by 7x (400 scored pairs), 22x (100) and 45x (50); at z = 8 by 53x to 820x (``binomial_p`` against
  ``normal_p``, ratio 0.25).

Only the continuation is scored: the prompt (and the document-start token) serve as the context of
the first generated tokens and are never counted. A text with fewer scored pairs than
``generate.watermark.min_tokens`` is "too short": its z and p are None and it is counted apart,
never as "not watermarked".

Devices: the green lists come from the key and the previous token(s) only, never from the
sampler's RNG, so text generated on a CPU is detected on a CPU whatever seed or batch produced it
(tested). transformers draws each green list with ``torch.randperm`` on the processor's device,
and CUDA's randperm stream differs from the CPU's: text generated on a GPU must be scored with
``device`` set to a GPU of the same kind (``Detector(..., device="cuda")``); a CPU scores it as
unmarked text. This has not been measured on this machine (it has no GPU).

The loop's filter interface lives here too (``judge`` a pool: documents in, a verdict with a
reason per document out), with the watermark filter, the ration, and a watermark-free perplexity
filter (Gambetta et al.'s "learning by surprise": drop the lowest-perplexity documents under the
generation-0 model).
"""
from __future__ import annotations

import dataclasses
import math
import random
import unicodedata
from dataclasses import dataclass

import numpy as np

from textmad.errors import UserError
from textmad.rundir import RADIOACTIVITY, SAMPLES_OTHER, parse_origin

TOO_SHORT = "too short"
# length bands (scored pairs) for the per-band true-positive rate: name -> [lo, hi)
BANDS = {"short": (0, 32), "medium": (32, 96), "long": (96, 10**9)}


# ---------------------------------------------------------------- the exact test

def binomial_p(green: int, scored: int, ratio: float) -> float:
    """One-sided exact p-value P(X >= green), X ~ Binomial(scored, ratio)."""
    from scipy.stats import binom

    return float(binom.sf(green - 1, scored, ratio))


def z_score(green: int, scored: int, ratio: float) -> float:
    return (green - ratio * scored) / math.sqrt(scored * ratio * (1 - ratio))


def normal_p(z: float) -> float:
    """transformers' p-value: the normal tail 0.5 * erfc(z / sqrt 2) (what WatermarkDetector reports)."""
    return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass
class Score:
    scored: int              # distinct (context, token) pairs of the continuation
    green: int               # of those, green
    z: float | None          # None when too short
    p: float | None          # exact one-sided binomial
    z_transformers: float | None = None   # transformers' figure: repeated pairs counted, normal tail
    p_transformers: float | None = None
    status: str = "scored"   # or TOO_SHORT

    def flagged(self, threshold: float) -> bool:
        return self.p is not None and self.p < threshold


class Detector:
    """Scores token sequences with the green lists of a watermark configuration (``generate.watermark``)."""

    def __init__(self, wcfg, vocab_size: int, bos_token_id: int | None = None, device: str = "cpu"):
        from types import SimpleNamespace

        from transformers import WatermarkDetector, WatermarkingConfig

        self.cfg = wcfg
        config = WatermarkingConfig(greenlist_ratio=wcfg.greenlist_ratio, bias=wcfg.bias,
                                    hashing_key=wcfg.hashing_key, seeding_scheme=wcfg.seeding_scheme,
                                    context_width=wcfg.context_width)
        model_config = SimpleNamespace(bos_token_id=bos_token_id, vocab_size=vocab_size, is_encoder_decoder=False)
        # the private n-gram scorer is used so that the prompt serves as context without being scored
        # (the public __call__ scores every n-gram of its input and strips a leading bos)
        self.detector = WatermarkDetector(model_config, device, config, max_cache_size=2 ** 16)
        self.device = device
        selfhash = wcfg.seeding_scheme == "selfhash"
        self.context = wcfg.context_width - int(selfhash)   # tokens before the first scored one

    def windows(self, context: list[int], continuation: list[int]) -> list[tuple[int, ...]]:
        """The (context, token) windows whose token is a continuation token, in order, repeats included."""
        ids = (list(context)[-self.context:] if self.context else []) + list(continuation)
        n, first = self.context + 1, len(ids) - len(continuation)
        return [tuple(ids[i:i + n]) for i in range(max(0, first - n + 1), len(ids) - n + 1)]

    def green(self, window: tuple[int, ...]) -> bool:
        import torch

        prefix = window if self.cfg.seeding_scheme == "selfhash" else window[:-1]
        return bool(self.detector._get_ngram_score_cached(
            torch.tensor(prefix, dtype=torch.long, device=self.device), window[-1]))

    def _test(self, distinct: dict) -> Score:
        ratio = self.cfg.greenlist_ratio
        scored, green = len(distinct), sum(distinct.values())
        if scored < max(1, self.cfg.min_tokens):
            return Score(scored, green, None, None, status=TOO_SHORT)
        return Score(scored, green, z_score(green, scored, ratio), binomial_p(green, scored, ratio))

    def score_ids(self, context: list[int], continuation: list[int]) -> Score:
        """Score ``continuation`` after ``context`` (document-start token + prompt)."""
        windows = self.windows(context, continuation)
        lookup = {w: self.green(w) for w in dict.fromkeys(windows)}
        score = self._test(lookup)
        if score.z is not None:  # transformers' figure: every window counted, normal tail
            zt = z_score(sum(lookup[w] for w in windows), len(windows), self.cfg.greenlist_ratio)
            score.z_transformers, score.p_transformers = zt, normal_p(zt)
        return score

    def score_pooled(self, pairs: list[tuple[list[int], list[int]]]) -> Score:
        """One test over many texts: every distinct (context, token) pair of all of them counted once."""
        lookup: dict = {}
        for context, continuation in pairs:
            for w in self.windows(context, continuation):
                if w not in lookup:
                    lookup[w] = self.green(w)
        return self._test(lookup)


def detector_for(wcfg, tokenizer, model_config=None, device: str = "cpu") -> Detector:
    vocab = model_config.get_text_config().vocab_size if model_config is not None else len(tokenizer)
    return Detector(wcfg, vocab, tokenizer.bos_token_id, device)


def encode(tokenizer, prompt: str, text: str) -> tuple[list[int], list[int]]:
    """(context, continuation) ids as generation saw them: document-start token + prompt, then the text."""
    from textmad.generate import start_ids

    context = start_ids(tokenizer) + tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt \
        else start_ids(tokenizer)
    return context, tokenizer(text, add_special_tokens=False)["input_ids"]


def score_rows(detector: Detector, tokenizer, rows: list[dict]) -> list[Score]:
    """Scores of rows with "text" (the continuation) and optionally "prompt"."""
    return [detector.score_ids(*encode(tokenizer, r.get("prompt") or "", r.get("text") or "")) for r in rows]


def annotate(rows: list[dict], scores: list[Score]) -> list[dict]:
    """samples.jsonl's per-sample fields: watermark_z, watermark_p, watermark_scored (+ transformers' figures)."""
    for row, s in zip(rows, scores):
        row.update(watermark_z=s.z, watermark_p=s.p, watermark_scored=s.scored, watermark_green=s.green,
                   watermark_status=s.status, watermark_z_transformers=s.z_transformers,
                   watermark_p_transformers=s.p_transformers)
    return rows


def score_from_row(row: dict) -> Score:
    return Score(row["watermark_scored"], row.get("watermark_green", 0), row["watermark_z"], row["watermark_p"],
                 row.get("watermark_z_transformers"), row.get("watermark_p_transformers"),
                 row.get("watermark_status", "scored"))


# ---------------------------------------------------------------- detection metrics

def auc(positive: list[float], negative: list[float]) -> float | None:
    """Area under the ROC curve of scores (ties count half): the Mann-Whitney U / (n1 n2)."""
    if not positive or not negative:
        return None
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(positive, negative, alternative="two-sided").statistic) / (len(positive) * len(negative))


def detection_metrics(samples: list[Score], real: list[Score], threshold: float) -> dict:
    """TPR on the samples and FPR on the real documents at p < threshold (too-short texts left out
    of both rates and counted in watermark_too_short), AUC of z, mean z, TPR per length band."""
    pos = [s for s in samples if s.z is not None]
    neg = [s for s in real if s.z is not None]
    rate = (lambda xs: sum(s.flagged(threshold) for s in xs) / len(xs) if xs else None)
    out = {"watermark_tpr": rate(pos), "watermark_fpr": rate(neg),
           "watermark_auc": auc([s.z for s in pos], [s.z for s in neg]),
           "watermark_mean_z": float(np.mean([s.z for s in pos])) if pos else None,
           "watermark_too_short": sum(s.z is None for s in samples) / len(samples) if samples else None}
    for band, (lo, hi) in BANDS.items():
        out[f"watermark_tpr_{band}"] = rate([s for s in pos if lo <= s.scored < hi])
    return out


def real_like(docs: list[dict], tokenizer, samples: list[dict], seed: int) -> list[tuple[list[int], list[int]]]:
    """One held-out real document per sample, cut to the same shape: the sample's prompt length as
    context, then as many tokens as the sample's continuation (the same length distribution)."""
    from textmad.generate import start_ids

    rng = random.Random(seed)
    order = [rng.randrange(len(docs)) for _ in samples] if docs else []
    out = []
    for i, row in zip(order, samples):
        ids = tokenizer(docs[i]["text"], add_special_tokens=False)["input_ids"]
        prompt = len(tokenizer(row.get("prompt") or "", add_special_tokens=False)["input_ids"])
        n = len(tokenizer(row.get("text") or "", add_special_tokens=False)["input_ids"])
        out.append((start_ids(tokenizer) + ids[:prompt], ids[prompt:prompt + n]))
    return out


# ---------------------------------------------------------------- filters

@dataclass
class Verdict:
    keep: bool
    flagged: bool
    reason: str
    score: float | None = None   # the detector's p-value or the gen-0 perplexity


def watermark_verdicts(scores: list[Score], threshold: float) -> list[Verdict]:
    out = []
    for s in scores:
        if s.z is None:
            out.append(Verdict(True, False, f"too short to test ({s.scored} pairs): kept, not flagged"))
        elif s.flagged(threshold):
            out.append(Verdict(False, True, f"watermark p = {s.p:.3g} < {threshold:g}", s.p))
        else:
            out.append(Verdict(True, False, f"watermark p = {s.p:.3g} >= {threshold:g}", s.p))
    return out


def perplexity_verdicts(ppl: list[float], share: float) -> list[Verdict]:
    """Flag (and drop) the ``share`` of the pool with the lowest generation-0 perplexity."""
    n_flag = math.floor(share * len(ppl) + 0.5)
    order = sorted(range(len(ppl)), key=lambda i: (ppl[i], i))
    flagged = set(order[:n_flag])
    cut = ppl[order[n_flag - 1]] if n_flag else None
    return [Verdict(i not in flagged, i in flagged,
                    (f"gen-0 perplexity {p:.3g} among the lowest {share:g} of the pool (<= {cut:.3g})" if i in flagged
                     else f"gen-0 perplexity {p:.3g} above the lowest {share:g} of the pool"), p)
            for i, p in enumerate(ppl)]


def ration(verdicts: list[Verdict], share: float, refill: bool, seed: int) -> list[Verdict]:
    """Keep flagged documents only up to ``share`` of the final mix (a seeded choice among them)."""
    flagged = [i for i, v in enumerate(verdicts) if v.flagged]
    unflagged = len(verdicts) - len(flagged)
    if refill:  # the mix keeps the pool's size: flagged <= share * size
        allowed = math.floor(share * len(verdicts) + 1e-9)
    else:       # trained on fewer documents: flagged / (unflagged + flagged) <= share
        allowed = len(flagged) if share >= 1 else math.floor(share * unflagged / (1 - share) + 1e-9)
    allowed = min(allowed, len(flagged))
    keep = set(random.Random(seed).sample(flagged, allowed))
    out = list(verdicts)
    for i in flagged:
        v = verdicts[i]
        out[i] = dataclasses.replace(v, keep=i in keep, reason=v.reason + (
            f"; kept within max_synthetic_share {share:g}" if i in keep else f"; beyond max_synthetic_share {share:g}"))
    return out


def apply_verdicts(rows: list[dict], verdicts: list[Verdict], refill: bool, seed: int) -> tuple[list, list]:
    """(training rows, dropped rows): each row gets its "filter" record; with ``refill`` the dropped
    places are refilled by repeating the pool's unflagged documents (seeded, each once before any twice)."""
    kept, dropped = [], []
    for row, v in zip(rows, verdicts):
        record = {"flagged": v.flagged, "decision": "kept" if v.keep else "dropped", "reason": v.reason,
                  "score": v.score}
        (kept if v.keep else dropped).append({**row, "filter": record})
    if refill and dropped:
        unflagged = [r for r in kept if not r["filter"]["flagged"]]
        if not unflagged:
            raise UserError(f"the filter flagged every document of the pool ({len(rows)}); nothing is left to "
                            f"refill from: set loop.filter.size = fewer or lower the filter's strength")
        rng = random.Random(seed)
        extra = []
        while len(extra) < len(dropped):
            order = list(unflagged)
            rng.shuffle(order)
            extra.extend(order[:len(dropped) - len(extra)])
        kept += [{**r, "filter": {**r["filter"], "decision": "refill",
                                  "reason": f"repeat of unflagged {r['source_id']} in place of a dropped document"}}
                 for r in extra]
    return kept, dropped


def filter_figures(kept: list[dict], dropped: list[dict]) -> dict:
    """The measured true origin of what the filter kept and dropped (registered filter_* metrics)."""
    def synthetic(r):
        return parse_origin(r["origin"])[0] == "synthetic"

    pool = [r for r in kept if r["filter"]["decision"] != "refill"] + dropped
    kept_syn = sum(synthetic(r) for r in kept)
    return {"filter_pool": len(pool), "filter_flagged": sum(r["filter"]["flagged"] for r in pool),
            "filter_kept_synthetic": kept_syn, "filter_kept_real": len(kept) - kept_syn,
            "filter_dropped_synthetic": sum(synthetic(r) for r in dropped),
            "filter_dropped_real": sum(not synthetic(r) for r in dropped),
            "filter_refilled": sum(r["filter"]["decision"] == "refill" for r in kept),
            "filter_synthetic_share": kept_syn / len(kept) if kept else None}


# ---------------------------------------------------------------- recipe-level helpers

def arm_watermarks(recipe, arm) -> bool:
    """Whether an arm (None: generation 0) samples with the watermark."""
    if arm is None or arm.watermark is None:
        return recipe.generate.watermark.enabled
    return arm.watermark


def arm_filter(recipe, arm):
    return arm.filter if arm is not None and arm.filter is not None else recipe.loop.filter


def in_use(recipe) -> bool:
    """Whether the recipe watermarks anywhere (then every generation is scored with the key)."""
    return recipe.generate.watermark.enabled or any(a.watermark for a in recipe.loop.arms)


def generate_config(recipe, marked: bool):
    """generate config with the watermark on or off."""
    g = recipe.generate
    return dataclasses.replace(g, watermark=dataclasses.replace(g.watermark, enabled=marked))


def gen0_samples_name(recipe, marked: bool, default: str) -> str:
    """The gen-000 samples file an arm with watermarking ``marked`` draws from."""
    return default if marked == recipe.generate.watermark.enabled else SAMPLES_OTHER.format("on" if marked else "off")


def needs_other_gen0(recipe) -> bool:
    return any(arm_watermarks(recipe, a) != recipe.generate.watermark.enabled for a in recipe.loop.arms)


# ---------------------------------------------------------------- the loop's calls

def arm_config(recipe, name: str):
    """The ArmConfig named ``name`` (None for generation 0)."""
    from textmad.recipe import arm_name

    return next((a for a in recipe.loop.arms if arm_name(a) == name), None)


def loop_detector(recipe, tokenizer, model) -> Detector:
    return detector_for(recipe.generate.watermark, tokenizer, model.config)


def sample_extras(model, tokenizer, prompts: list[dict], samples: list[dict], recipe, accelerator, seed: int,
                  k: int, arm: str, model_hash: str, desc: str) -> dict[str, list[dict]]:
    """With watermarking in the recipe: score ``samples`` in place (watermark_z/p/scored...), and return the
    extra sample files of this generation: gen-000's samples under the other watermark setting (when
    some arm differs from generate.watermark.enabled) and the unwatermarked radioactivity sample."""
    from textmad.generate import generate
    from textmad.mix import derive_seed

    if not in_use(recipe):
        return {}
    detector = loop_detector(recipe, tokenizer, model)
    annotate(samples, score_rows(detector, tokenizer, samples))
    extras = {}
    if k == 0 and needs_other_gen0(recipe):
        other = not recipe.generate.watermark.enabled
        rows = generate(model, tokenizer, prompts, generate_config(recipe, other), accelerator,
                        seed=derive_seed(seed, "generate", "watermark-on" if other else "watermark-off"),
                        generation=k, arm=f"{arm}-watermark-{'on' if other else 'off'}", model_hash=model_hash,
                        desc=f"{desc} (watermark {'on' if other else 'off'})")
        extras[gen0_samples_name(recipe, other, "")] = annotate(rows, score_rows(detector, tokenizer, rows))
    n = recipe.generate.watermark.radioactivity_samples
    if n:
        plain = dataclasses.replace(generate_config(recipe, False), num_samples=n, token_budget=0)
        rows = generate(model, tokenizer, prompts[:n], plain, accelerator, seed=derive_seed(seed, "radioactivity"),
                        generation=k, arm=f"{arm}-radioactivity", model_hash=model_hash, desc=f"{desc} (radioactivity)")
        extras[RADIOACTIVITY] = annotate(rows, score_rows(detector, tokenizer, rows))
    return extras


def generation_scores(recipe, samples: list[dict], extras_rows: list[dict] | None, heldout: list[dict], tokenizer,
                      model, seed: int, figures: dict | None, no_model: str = "no model"):
    """The watermark family's Scores of one generation: detection, radioactivity and the filter's figures.
    Without a model (None: `textmad eval` could not load it) detection is unavailable for ``no_model``."""
    from textmad.evaluate.registry import METRICS
    from textmad.evaluate.score import Scores

    marked, filtered = in_use(recipe), any(arm_filter(recipe, a).kind != "none" for a in recipe.loop.arms)
    names = [n for n in METRICS.names("watermark") if marked or filtered and n.startswith("filter_")]
    scores = Scores({name: None for name in names})
    values = dict(figures or {})
    if marked and model is None:
        scores.fail([n for n in names if not n.startswith("filter_")], no_model)
    elif marked:
        detector = loop_detector(recipe, tokenizer, model)
        real = [detector.score_ids(c, t) for c, t in real_like(heldout, tokenizer, samples, seed)]
        values.update(detection_metrics([score_from_row(r) for r in samples], real,
                                        recipe.generate.watermark.p_threshold))
        pairs = sum(int(r.get("watermark_scored") or 0) for r in samples)
        # characters per scored pair: detection per character, comparable across scripts and tokenizers
        chars = sum(len(unicodedata.normalize("NFC", r.get("text") or "")) for r in samples)
        scores.info["watermark"] = {"p_threshold": recipe.generate.watermark.p_threshold, "real_docs": len(real),
                                    "scored_pairs": pairs, "chars_per_scored_pair": chars / pairs if pairs else None,
                                    "min_tokens": recipe.generate.watermark.min_tokens,
                                    "scoring": "distinct (context, token) pairs, exact one-sided binomial test"}
    if marked and model is not None and extras_rows:
        pooled = detector.score_pooled([encode(tokenizer, r.get("prompt") or "", r["text"]) for r in extras_rows])
        values.update(radioactivity_z=pooled.z, radioactivity_p=pooled.p, radioactivity_scored=pooled.scored)
    for name in scores.values:
        if name in scores.unavailable:
            continue
        scores.set(name, values.get(name), "not measured: " + (
            "no filter ran" if name.startswith("filter_") else
            "radioactivity_samples is 0" if name.startswith("radioactivity") else
            "no sample long enough in this band or split"))
    return scores


def pool_verdicts(rows: list[dict], recipe, fcfg, tokenizer, model, gen0, seed: int) -> list[Verdict]:
    """Judge a pool: documents in (text only; provenance is not looked at), one verdict each."""
    if fcfg.kind == "perplexity":
        from textmad.evaluate.perplexity import perplexity
        from textmad.evaluate.score import perplexity_window

        g0_model, g0_tok = gen0
        window, stride = perplexity_window(g0_model, recipe)
        ppl = [perplexity(g0_model, g0_tok, [r["text"]], window, stride, recipe.evaluate.perplexity.batch_size,
                           calibration=False)["ppl"]
               for r in rows]
        return perplexity_verdicts([math.inf if p is None else p for p in ppl], fcfg.perplexity_share)
    detector = loop_detector(recipe, tokenizer, model)
    verdicts = watermark_verdicts(score_rows(detector, tokenizer, rows), recipe.generate.watermark.p_threshold)
    if fcfg.kind == "ration":
        verdicts = ration(verdicts, fcfg.max_synthetic_share, fcfg.size == "refill", seed)
    return verdicts


def filter_mix(rows: list[dict], recipe, arm: str, k: int, tokenizer, model, gen0_loader) -> tuple[list, list, dict | None]:
    """(training rows, dropped rows, filter figures) of an arm's generation-k pool; unchanged without a filter."""
    from textmad.mix import derive_seed

    fcfg = arm_filter(recipe, arm_config(recipe, arm))
    if k == 0 or fcfg.kind == "none":
        return rows, [], None
    seed = derive_seed(recipe.seed, arm, k, "filter")
    verdicts = pool_verdicts(rows, recipe, fcfg, tokenizer, model, gen0_loader() if fcfg.kind == "perplexity" else None,
                             seed)
    kept, dropped = apply_verdicts(rows, verdicts, fcfg.size == "refill", seed)
    if not kept:
        raise UserError(f"arm {arm}, generation {k}: loop.filter ({fcfg.kind}) dropped every document of the pool "
                        f"({len(rows)}); nothing is left to train on")
    return kept, dropped, filter_figures(kept, dropped)
