"""Score a generation or a corpus: every registered metric of the families the recipe asks for.

One function per job:
- ``score_generation``: a generation of a run (model families, then the model-free ones); the
  loop and ``textmad eval RUN`` both call it;
- ``score_corpus``: a prepared corpus's train split; ``textmad eval CORPUS`` and ``textmad compare``;
- ``score_texts``: the model-free families of any list of documents (the two above and
  ``textmad eval FILE`` use it).

Each returns ``Scores``: ``values`` (one key per registered metric of the requested families,
a number or None), ``unavailable`` (metric -> reason, for every None), and ``info`` (how they were
made: sample sizes, tail reference and band sizes, the real baselines' values, perplexity
windows and token counts). ``Scores.record()`` is what metrics.json holds: "metrics",
"evaluation" and "about" (each metric's direction, baseline and description, from the registry).
A metric that cannot be computed (too little text, a missing optional package, a language without
a formality model, no generation-0 baseline, a non-finite figure) is None with its reason, never a
number from another sample size or language; JSON has no inf, so a perplexity beyond float range is
null with the reason "not finite (inf)".

Equal-size samples: the documents are shuffled with ``cfg.seed`` and cut at
``cfg.tail.sample_words`` word tokens (tail family) and ``cfg.diversity.sample_words``
(diversity and formality). Word tokens are ``words.tokens`` (Unicode words, NFC, casefolded).

Baselines (registry ``baseline``):
- real: the same metrics of an equal-size sample of held-out real text, which no model trains on
  (``info["real"]``); relations (``*_vs_real`` ratio, ``*_drift`` difference, ``*_dist_to_real``
  distance) come from the registry. The tail reference is generation 0's training pool; a sample
  of the pool itself is reported beside (``info["real_train"]``) as the regurgitation ceiling.
  ``mix_tail_coverage`` ranks its tail on the real text the generation trained on instead (registry
  ``reference``: train_mix_real), and its ``_vs_real`` ratio scores the held-out sample on the same words.
- gen0: generation 0's values (``*_drop_vs_gen0``); generation 0 is its own baseline (drops 0).
"""
from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from dataclasses import dataclass, field

from textmad.evaluate import diversity as div
from textmad.evaluate import formality as fm
from textmad.evaluate import tail as tl
from textmad.evaluate.perplexity import perplexity
from textmad.evaluate.registry import METRICS, RELATIONS
from textmad.text import tokens as word_tokens
from textmad.recipe import EvaluateConfig

WORDFREQ_WORDS = 100_000  # reference vocabulary size requested from wordfreq
BANDED = ("head_coverage", "torso_coverage", "tail_coverage", "rest_coverage", "tail_token_share")
NO_MIX = "no training mix: only a generation of a run has one (its train_mix.jsonl)"
SELF_REFERENCE = ("the scored text is the tail reference itself (head coverage is 1.0 by construction); "
                  "give another reference")


@dataclass
class Scores:
    """Metric values and how they were made (see the module docstring)."""
    values: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def evaluation(self) -> dict:
        return {**self.info, "unavailable": {k: self.unavailable.get(k, "not computed")
                                             for k, v in self.values.items() if v is None}}

    def about(self) -> dict:
        return METRICS.about(self.values)

    def record(self) -> dict:
        """metrics.json's "metrics", "evaluation" and "about" sections."""
        return {"metrics": dict(self.values), "evaluation": self.evaluation(), "about": self.about()}

    def update(self, other: "Scores") -> "Scores":
        self.values.update(other.values)
        self.unavailable.update(other.unavailable)
        for key, value in other.info.items():
            if isinstance(value, dict) and isinstance(self.info.get(key), dict):
                self.info[key].update(value)
            else:
                self.info[key] = value
        return self

    def set(self, name: str, value, reason: str = "") -> None:
        if isinstance(value, float) and not math.isfinite(value):
            value, reason = None, f"not finite ({value})"
        self.values[name] = value
        if value is None:
            self.unavailable[name] = reason or self.unavailable.get(name) or "not computed"
        else:
            self.unavailable.pop(name, None)

    def fail(self, names, reason: str) -> None:
        for name in names:
            self.set(name, None, reason)


def _empty(families) -> Scores:
    return Scores({name: None for family in families for name in METRICS.names(family)})


def _too_little(total: int, needed: int, key: str, heldout: bool) -> str:
    if heldout:
        return f"held-out split has {total:,} words; needs {needed:,} ({key})"
    return f"too little text: {total:,} words < {key} = {needed:,}"


# ---------------------------------------------------------------- the tail reference

@dataclass
class Reference:
    """Generation 0's training pool (real text) and the tail bands ranked from it (or from wordfreq)."""
    texts: list[str] | None
    label: str
    bands: dict | None = None
    sizes: dict | None = None
    reason: str = ""
    tokens: list[list[str]] | None = None

    @classmethod
    def build(cls, texts: list[str] | None, label: str, language: str, cfg: EvaluateConfig,
              tokens: list[list[str]] | None = None) -> "Reference":
        ref = cls(texts, label, tokens=tokens)
        if texts and ref.tokens is None:
            ref.tokens = [word_tokens(t) for t in texts]
        if cfg.tail.reference == "wordfreq":
            ref.label = f"wordfreq ({language})"
            try:
                from textmad.corpus import reference_frequencies
                freqs = reference_frequencies(language, WORDFREQ_WORDS)
            except Exception as e:  # any failure of the optional reference must not fail the run
                ref.reason = f"wordfreq reference for {language!r} unavailable: {e}"
                return ref
        elif not texts:
            ref.reason = f"no tail reference ({label})"
            return ref
        else:
            freqs = Counter(w for doc in ref.tokens for w in doc)
        ref.bands, ref.sizes = tl.bands(freqs, cfg.tail.head_ranks, cfg.tail.torso_ranks)
        return ref


# ---------------------------------------------------------------- model-free families

# A run's tail reference and real baseline are the same every generation (same pool, held-out split and
# settings), so the loop scores them once per process: hand-written because functools.lru_cache cannot
# key on lists; keyed by content, a few entries at most, the least recently used dropped first (a fresh
# arm's trained tail is new every generation and must not push the run's reference out).
_MEMO: dict = {}
_MEMO_SIZE = 12  # the run's pool, held-out and generation-0 texts, their tails and scores


def _memo(key: tuple, compute, copy: bool = True, keep=None):
    """compute() the first time ``key`` is seen, the stored result after (a deep copy unless ``copy`` is
    False: callers may change it). ``keep``: an object whose id() is in the key, held so it is not reused."""
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = (compute(), keep)
    _MEMO[key] = _MEMO.pop(key)  # most recently used last
    value = _MEMO[key][0]
    return deepcopy(value) if copy else value

def _model_free(docs_texts: list[str], docs_tokens: list[list[str]], families, language: str,
                ref: Reference, cfg: EvaluateConfig, heldout: bool = False) -> Scores:
    """The model-free families of one set of documents (``heldout``: they are the real baseline)."""
    out = _empty(families)
    sizes = {}
    total = sum(len(d) for d in docs_tokens)
    tail_sample = div_sample = None
    if "tail" in families:
        tail_sample = div.sample_documents(docs_tokens, cfg.tail.sample_words, cfg.seed)
    if "diversity" in families or "formality" in families:
        div_sample = div.sample_documents(docs_tokens, cfg.diversity.sample_words, cfg.seed)
    little = _too_little(total, cfg.diversity.sample_words, "evaluate.diversity.sample_words", heldout)
    joined = [" ".join(d) for d in div_sample] if "diversity" in families and div_sample is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # zlib releases the GIL: the slow level-9 compression runs beside every other metric.
        compressed = pool.submit(div.compression_ratio, joined) if joined is not None else None
        if "tail" in families:
            if tail_sample is None:
                out.fail(METRICS.names("tail"), _too_little(total, cfg.tail.sample_words,
                                                            "evaluate.tail.sample_words", heldout))
            else:
                flat = [w for d in tail_sample for w in d]
                if ref.bands is None:
                    counts = Counter(flat)
                    out.set("unseen_mass", tl.unseen_mass(counts))
                    out.set("zipf_exponent", tl.zipf_exponent(counts, cfg.tail.torso_ranks))
                    out.fail(BANDED, ref.reason)
                else:
                    for name, value in tl.tail_metrics(flat, ref.bands, cfg.tail.torso_ranks).items():
                        out.set(name, value, "too few repeated words to fit" if name == "zipf_exponent" else "")
                sizes["tail_documents"] = len(tail_sample)
        if "diversity" in families:
            if div_sample is None:
                out.fail([n for n in METRICS.names("diversity") if not n.startswith("doc_len")], little)
            else:
                for name, value in div.ngram_stats(joined, cfg.diversity.doc_words).items():
                    out.set(name, value)
                out.set("self_bleu", div.self_bleu(div_sample, cfg.diversity.self_bleu_docs, cfg.seed,
                                                   cfg.diversity.doc_words), "fewer than 2 documents in the sample")
                sizes["diversity_documents"] = len(div_sample)
            for name, value in div.length_stats(docs_tokens).items():
                out.set(name, value, "no documents")
        if "formality" in families:
            if div_sample is None:
                out.fail(METRICS.names("formality"), little)
            else:
                # The tagger reads the sampled documents' own text (case and punctuation kept).
                order = div.sample_indices(docs_tokens, cfg.diversity.sample_words, cfg.seed)
                found, missing = fm.formality_metrics([docs_texts[i] for i in order],
                                                      [w for d in div_sample for w in d], language)
                for name, value in found.items():
                    out.set(name, value, missing.get(name, ""))
        if compressed is not None:
            out.set("compression_ratio", compressed.result())
    out.info["sample"] = sizes
    return out


def _relate(scores: Scores, base: dict, base_reasons: dict, baseline: str, none_reason: str,
            only: tuple = ()) -> None:
    """Fill the registry's derived metrics against ``baseline`` ("real" or "gen0") from ``base``'s values
    (``only``: just these)."""
    for m in METRICS.derived(baseline):
        if m.name not in scores.values or (only and m.name not in only):
            continue
        x, b = scores.values.get(m.source), base.get(m.source) if base else None
        if x is None:
            scores.set(m.name, None, scores.unavailable.get(m.source, "not computed"))
        elif not base:
            scores.set(m.name, None, none_reason)
        elif b is None:
            why = base_reasons.get(m.source, "")
            scores.set(m.name, None, why if why.startswith("held-out split") else
                       f"{m.source} of the {baseline} baseline is missing" + (f": {why}" if why else ""))
        elif b == 0 and m.relation != "difference":
            scores.set(m.name, None, f"{m.source} of the {baseline} baseline is 0")
        else:
            scores.set(m.name, RELATIONS[m.relation](x, b))
    if baseline == "gen0" and "tail_excess_drop" in scores.values:
        tail, rest = scores.values.get("tail_drop_vs_gen0"), scores.values.get("rest_drop_vs_gen0")
        scores.set("tail_excess_drop", tail - rest if tail is not None and rest is not None else None,
                   scores.unavailable.get("tail_drop_vs_gen0") or scores.unavailable.get("rest_drop_vs_gen0", ""))


def apply_gen0(scores: Scores, gen0_values: dict | None) -> Scores:
    """The ``*_vs_gen0`` metrics against generation 0's values (pass ``scores.values`` for generation 0)."""
    _relate(scores, gen0_values, {}, "gen0", "no generation-0 result to compare with")
    return scores


def score_texts(texts: list[str], *, language: str, cfg: EvaluateConfig, reference: Reference,
                real: list[str] | None, real_label: str = "the held-out split",
                gen0_values: dict | None = None) -> Scores:
    """Every model-free metric (tail, diversity, formality) of the documents ``texts``.

    ``reference``: the tail reference (``Reference.build``); its texts are also sampled as the
    regurgitation ceiling (``info["real_train"]``). ``real``: held-out real documents, the real
    baseline at the same sample sizes. ``gen0_values``: generation 0's values for ``*_vs_gen0``.
    """
    families = [f for f in METRICS.model_free_families() if f in cfg.metrics]
    own = reference.texts is texts and reference.tokens is not None  # the pool scored as itself: tokenize once
    docs_tokens = reference.tokens if own else [word_tokens(t) for t in texts]
    scores = _model_free(texts, docs_tokens, families, language, reference, cfg)
    if "tail" in families and "mix_tail_coverage" not in scores.unavailable:
        for name in ("mix_tail_coverage", "mix_tail_drop_vs_gen0"):
            scores.set(name, None, NO_MIX)  # score_generation fills them
    scores.info = {"sample": {"seed": cfg.seed, "tail_words": cfg.tail.sample_words,
                              "diversity_words": cfg.diversity.sample_words,
                              "self_bleu_docs": cfg.diversity.self_bleu_docs, "doc_words": cfg.diversity.doc_words,
                              "documents": len(texts), **scores.info["sample"]},
                   "language": language}
    if "tail" in families:
        scores.info["tail_reference"] = {"reference": reference.label, "bands": reference.sizes,
                                         "real_baseline": real_label}
    real_scores = None
    if real:
        real_scores = _memo(("real", tuple(real), tuple(families), language, id(reference), repr(cfg)),
                            lambda: _model_free(real, [word_tokens(t) for t in real], families, language,
                                                reference, cfg, heldout=True), keep=reference)
        scores.info["sample"].update({f"real_{k}": v for k, v in real_scores.info["sample"].items()})
        scores.info["sample"]["real_documents"] = len(real)
    if "tail" in families and reference.tokens is not None and reference.bands is not None and not own:
        pool_sample = div.sample_documents(reference.tokens, cfg.tail.sample_words, cfg.seed)
        if pool_sample is not None:
            pool = tl.tail_metrics([w for d in pool_sample for w in d], reference.bands, cfg.tail.torso_ranks)
            scores.info["real_train"] = {k: pool[k] for k in BANDED}
    _relate(scores, real_scores.values if real_scores else None, real_scores.unavailable if real_scores else {},
            "real", f"no real baseline ({real_label})")
    if real_scores:
        scores.info["real"] = {k: v for k, v in real_scores.values.items()
                               if not METRICS[k].relation and METRICS[k].baseline != "gen0"}
    return apply_gen0(scores, gen0_values)


# ---------------------------------------------------------------- corpora

def score_corpus(corpus, cfg: EvaluateConfig, language: str | None = None) -> Scores:
    """The model-free metrics of a prepared corpus's train split (``textmad eval CORPUS``, ``textmad compare``).

    The held-out split is the real baseline. The train split would be its own tail reference, so
    the band coverages are unavailable (``SELF_REFERENCE``); the unseen mass, Zipf exponent,
    diversity and formality describe the corpus.
    """
    train = [d["text"] for d in corpus.split("train")]
    heldout = [d["text"] for d in corpus.split("heldout")]
    language = language or corpus.language
    scores = score_texts(train, language=language, cfg=cfg, reference=Reference(None, "the train split itself", reason=SELF_REFERENCE),
                         real=heldout or None)
    scores.info["source"] = {"corpus": corpus.name, "split": "train"}
    return scores


# ---------------------------------------------------------------- generations

def perplexity_window(model, recipe) -> tuple[int, int]:
    """(window, stride): train.seq_len for scratch models, else the model's context; stride half the window."""
    cfg = recipe.evaluate
    window = cfg.perplexity.window
    if not window:
        if recipe.model.kind == "scratch":
            window = recipe.train.seq_len
        else:
            window = int(getattr(model.config, "max_position_embeddings", 0) or 1024)
    stride = cfg.perplexity.stride or max(1, window // 2)
    return window, min(stride, window)


def _on_device(model, accelerator):
    if accelerator is not None and next(model.parameters()).device != accelerator.device:
        model.to(accelerator.device)
    return model


def _perplexity_family(scores: Scores, family: str, prefix: str, pair, texts, recipe, accelerator,
                       missing: str) -> None:
    names = METRICS.names(family)
    if pair is None:
        scores.fail(names, missing)
        return
    if not texts:
        scores.fail(names, "no held-out real text" if prefix == "heldout" else "no generated text")
        return
    model, tokenizer = pair
    window, stride = perplexity_window(model, recipe)
    # the calibration figures cost a softmax per scored token: only where the family registers them
    r = perplexity(_on_device(model, accelerator), tokenizer, texts, window, stride,
                   recipe.evaluate.perplexity.batch_size, accelerator, calibration=f"{prefix}_ece" in names)
    for name in names:
        scores.set(name, r[name.removeprefix(prefix + "_")], "too little text to score (no token has context)")
    scores.info.setdefault("perplexity", {})[prefix] = {
        "window": window, "stride": stride, "docs": len(texts),
        **{k: r[k] for k in ("tokens", "bytes", "chars", "words")}}


def _trained_tail(scores: Scores, samples: list[str], trained: list[str] | None, pool: list[str],
                  heldout: list[str] | None, cfg: EvaluateConfig, no_heldout: str,
                  gen0_samples: list[str] | None = None,
                  no_gen0: str = "no generation-0 samples to compare with") -> None:
    """``mix_tail_coverage`` and its ratio to held-out real text, on the tail of ``trained`` (the real text the
    generation trained on; None or empty: generation 0's ``pool``), at the tail family's sample size and seed.

    ``mix_tail_drop_vs_gen0`` = 1 - that ratio / generation 0's: ``gen0_samples``' coverage of the tail of a
    part of the pool as large as ``trained`` (``tail.matched_documents``, by words), over an equal-size
    held-out sample's coverage of the same words. Both ratios are "own training text against unseen text" on
    text of one size, so a fresh slice's new words and its smaller size are not read as a drop or a gain;
    under replace (the pool) it equals tail_drop_vs_gen0's reading of the same words."""
    if "mix_tail_coverage" not in scores.values or scores.unavailable.get("mix_tail_coverage") != NO_MIX:
        return  # not asked for, or too little generated text (said with the family's reason)
    t = cfg.tail
    own = trained or pool
    source = "the generation's training mix, real and fresh documents" if trained else "generation 0's training pool"

    def words(texts: list[str], keep: bool = True) -> list[list[str]]:
        if not keep:  # this generation's own text: seen once
            return [word_tokens(x) for x in texts]
        return _memo(("words", tuple(texts)), lambda: [word_tokens(x) for x in texts], copy=False)

    def tail_of(docs: list[list[str]]) -> tuple[set, dict]:
        return _memo(("trained-tail", tuple(map(tuple, docs)), t.head_ranks, t.torso_ranks),
                     lambda: tl.trained_tail(docs, t.head_ranks, t.torso_ranks), copy=False)

    def sample(texts: list[str], keep: bool = True) -> list[list[str]] | None:
        return div.sample_documents(words(texts, keep), t.sample_words, cfg.seed)

    def covered(docs: list[list[str]] | None, tail: set) -> float | None:
        return tl.coverage((w for d in docs for w in d), tail) if docs is not None else None

    tail, sizes = tail_of(words(own))
    empty = f"the trained real text ({source}) has no tail words beyond rank {t.torso_ranks}"
    scores.set("mix_tail_coverage", covered(sample(samples, keep=False), tail), empty)
    base, why = {}, {}
    real = sample(heldout) if heldout else None
    if heldout:
        base["mix_tail_coverage"] = covered(real, tail)
        why["mix_tail_coverage"] = empty if real is not None else _too_little(
            sum(map(len, words(heldout))), t.sample_words, "evaluate.tail.sample_words", True)
    _relate(scores, base, why, "real", no_heldout, only=("mix_tail_coverage_vs_real",))
    scores.info.setdefault("tail_reference", {})["trained"] = {"reference": source, "documents": len(own),
                                                               "bands": sizes}
    now = scores.values.get("mix_tail_coverage_vs_real")
    if now is None:
        scores.set("mix_tail_drop_vs_gen0", None, scores.unavailable.get("mix_tail_coverage_vs_real", "not computed"))
        return
    if gen0_samples is None:
        scores.set("mix_tail_drop_vs_gen0", None, no_gen0)
        return
    matched = tl.matched_documents(words(pool), sum(map(len, words(own))), cfg.seed)
    tail0, _ = tail_of(matched)
    sample0 = sample(gen0_samples)
    then, real0 = covered(sample0, tail0), covered(real, tail0)  # ``now`` exists, so the held-out sample does
    if sample0 is None:
        scores.set("mix_tail_drop_vs_gen0", None, "generation 0's samples: " + _too_little(
            sum(map(len, words(gen0_samples))), t.sample_words, "evaluate.tail.sample_words", False))
    elif not then or not real0:
        scores.set("mix_tail_drop_vs_gen0", None, f"generation 0's ratio on {len(matched)} pool document(s) as large "
                   f"as the trained real text is 0 or undefined (no tail word covered)")
    else:
        scores.set("mix_tail_drop_vs_gen0", 1.0 - now / (then / real0))
    scores.info["tail_reference"]["trained"]["gen0_matched_documents"] = len(matched)


def score_generation(recipe, samples: list[str], *, generation: int, model, gen0, heldout: list[str] | None,
                     pool: list[str], language: str, gen0_values: dict | None = None, accelerator=None,
                     missing: dict | None = None, trained: list[str] | None = None,
                     gen0_samples: list[str] | None = None) -> Scores:
    """Every metric the recipe asks for, of one generation of a run.

    ``model`` and ``gen0``: (model, tokenizer) of this generation and of generation 0 (the same
    pair for generation 0), or None with the reason in ``missing["model"]`` / ``missing["gen0"]``;
    both are moved to the accelerator's device. ``heldout``: the held-out real documents (None
    with the reason in ``missing["heldout"]``): perplexity text and the real baseline. ``pool``:
    generation 0's training pool, the tail reference. ``trained``: the real and fresh documents of
    the generation's training mix, the ``mix_tail_*`` reference (None or empty: ``pool``, as for
    generation 0 and a mix of synthetic text only). ``gen0_values``: generation 0's metrics
    (unused for generation 0, its own baseline); ``gen0_samples``: generation 0's generated texts, scored
    on this generation's ``mix_tail_*`` reference for ``mix_tail_drop_vs_gen0`` (``samples`` for generation 0;
    None: that drop is unavailable with ``missing["gen0_samples"]``).
    """
    cfg = recipe.evaluate
    missing = missing or {}
    scores = Scores()
    heldout_docs = list(heldout or [])[: cfg.perplexity.max_docs or None]
    if "perplexity" in cfg.metrics:
        _perplexity_family(scores, "perplexity", "heldout", model, heldout_docs, recipe, accelerator,
                           missing.get("model", "no model"))
        if heldout is None:
            scores.fail(METRICS.names("perplexity"), missing.get("heldout", "no held-out split"))
    if "gen0_perplexity" in cfg.metrics:
        _perplexity_family(scores, "gen0_perplexity", "gen0", gen0, samples, recipe, accelerator,
                           missing.get("gen0", "no generation-0 model"))
    if any(f in cfg.metrics for f in METRICS.model_free_families()):
        reference = _memo(("reference", tuple(pool or ()), language, repr(cfg)),
                          lambda: Reference.build(pool, "generation 0's training pool", language, cfg), copy=False)
        real_label = "the held-out split" if heldout is not None else missing.get("heldout", "no held-out split")
        text_scores = score_texts(samples, language=language, cfg=cfg, reference=reference, real=heldout,
                                  real_label=real_label)
        scores.update(text_scores)
        _trained_tail(scores, samples, trained, pool, heldout, cfg, real_label,
                      samples if generation == 0 else gen0_samples,
                      missing.get("gen0_samples", "no generation-0 samples to compare with"))
        apply_gen0(scores, scores.values if generation == 0 else gen0_values)
    if "semantic" in cfg.metrics:
        scores.update(score_semantic(recipe, samples, heldout, language, gen0, accelerator,
                                     missing.get("heldout", "no held-out split"), missing.get("gen0", "no generation-0 model")))
    return scores


def score_semantic(recipe, samples: list[str], heldout: list[str] | None, language: str, gen0, accelerator=None,
                   no_heldout: str = "no held-out split", no_gen0: str = "no generation-0 model") -> Scores:
    """The semantic family (issue 26): semantic diversity of an equal-size sample of ``samples``, the same of
    held-out real text (``info["real"]``, the ``*_dist_to_real`` baseline) and MAUVE between the two."""
    from textmad.evaluate import semantic as sm

    cfg = recipe.evaluate
    out = _empty(["semantic"])
    if not heldout:
        out.fail(out.values, no_heldout)
        return out
    gen, real = sm.equal_samples(samples, heldout, cfg.semantic.sample_docs, cfg.seed)
    if len(gen) < 2:
        out.fail(out.values, f"equal-size samples of {len(gen)} document(s); semantic metrics need 2 or more")
        return out
    pair = (_on_device(gen0[0], accelerator), gen0[1]) if gen0 is not None else None
    window = perplexity_window(gen0[0], recipe)[0] if gen0 is not None else 0
    encoder, why = sm.encoder_for(language, pair, window)
    if encoder is None:
        out.fail(out.values, why if gen0 is not None or language in sm.ENGLISH else f"{why}: {no_gen0}")
        return out
    batch = cfg.semantic.batch_size
    real_emb = _memo(("semantic-real", tuple(real), encoder.name, id(encoder.model)),
                     lambda: encoder.encode(real, batch), copy=False, keep=encoder.model)
    gen_emb = encoder.encode(gen, batch)
    real_values = {"semantic_distance": sm.mean_cosine_distance(real_emb), "vendi_score": sm.vendi_score(real_emb)}
    out.set("semantic_distance", sm.mean_cosine_distance(gen_emb))
    out.set("vendi_score", sm.vendi_score(gen_emb))
    if sm.has_mauve():
        out.set("mauve", sm.mauve_score(gen_emb, real_emb, cfg.seed))
    else:
        out.set("mauve", None, f"mauve-text not installed: {sm.INSTALL}")
    _relate(out, real_values, {}, "real", no_heldout)
    out.info = {"semantic": {"encoder": encoder.name, "documents": len(gen), "real_documents": len(real),
                             "dimensions": int(gen_emb.shape[1]), "mauve_buckets": max(2, round(len(gen) / 10))},
                "real": real_values}
    return out
