"""Score a generation: every registered metric of the families the recipe asks for.

Result format (``score_texts``, ``score_models`` and ``merge`` all return it):

    {
      "<metric>": number or None,      # one key per registered metric of the requested families
      ...,
      "evaluation": {                  # how the numbers were made, and why some are missing
        "unavailable": {"<metric>": "reason", ...},   # every metric whose value is None
        "sample": {"seed": 0, "tail_words": 20000, "diversity_words": 20000,
                   "documents": 93, "real_documents": 88},
        "real": {"<metric>": number or None, ...},   # model-free metrics of the equal-size real sample
        "perplexity": {"window": 128, "stride": 64, "heldout_docs": 500, "heldout_tokens": ..., ...},
      },
    }

A metric that cannot be computed (too little text for the sample size, a missing optional
package, a language without a formality model, no generation-0 baseline) is None and its reason
is in ``evaluation.unavailable``: never a number from another sample size or language.

Equal-size samples: the generated documents and the real documents are each shuffled with
``cfg.seed`` and cut at ``cfg.tail.sample_words`` word tokens (tail family) and
``cfg.diversity.sample_words`` (diversity and formality families). Word tokens are
``words.tokens`` (Unicode words, NFC, casefolded). Metrics are computed on one process; every
process computes the same values.
"""
from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from textmad.evaluate import diversity as div
from textmad.evaluate import formality as fm
from textmad.evaluate import tail as tl
from textmad.evaluate.perplexity import perplexity
from textmad.evaluate.registry import METRICS
from textmad.text import tokens as word_tokens
from textmad.recipe import EvaluateConfig

MODEL_FREE = ("tail", "diversity", "formality")
WORDFREQ_WORDS = 100_000
# Metrics defined against the real sample or generation 0: not reported for the real sample itself.
DRIFTS = {"formality_f": "formality_f_drift", "formality_lexical": "formality_lexical_drift",
          "sadhu_share": "sadhu_share_drift", "honorific_share": "honorific_share_drift"}
RELATIVE = ("tail_coverage_vs_real", "tail_drop_vs_gen0", "rest_drop_vs_gen0", "tail_excess_drop",
            "formality_f_drift", "formality_lexical_drift", "sadhu_share_drift", "honorific_share_drift")  # reference vocabulary size requested from wordfreq


def _empty(families) -> dict:
    return {name: None for family in families for name in METRICS.names(family)}


def _finish(values: dict, unavailable: dict, meta: dict) -> dict:
    for name, value in values.items():
        if value is None:
            unavailable.setdefault(name, "not computed")
        elif isinstance(value, float) and not math.isfinite(value):
            values[name] = None
            unavailable[name] = f"not finite ({value})"
    meta["unavailable"] = {k: v for k, v in unavailable.items() if values.get(k) is None}
    return {**values, "evaluation": meta}


def merge(*results: dict) -> dict:
    """One result from several (later ones win on metric values; the evaluation sections combine)."""
    values, meta = {}, {"unavailable": {}}
    for result in results:
        for key, value in result.items():
            if key != "evaluation":
                values[key] = value
        for key, value in result.get("evaluation", {}).items():
            if isinstance(value, dict):
                meta.setdefault(key, {}).update(value)
            else:
                meta[key] = value
    meta["unavailable"] = {k: v for k, v in meta["unavailable"].items() if values.get(k) is None}
    return {**values, "evaluation": meta}


def _reference_ranking(reference_texts, reference_tokens, language: str,
                       cfg: EvaluateConfig) -> tuple[list[str] | None, str]:
    if cfg.tail.reference == "wordfreq":
        try:
            from textmad.corpus import reference_frequencies
            return tl.ranked_from_frequencies(reference_frequencies(language, WORDFREQ_WORDS)), ""
        except Exception as e:  # any failure of the optional reference must not fail the run
            return None, f"wordfreq reference for {language!r} unavailable: {e}"
    if not reference_texts:
        return None, "no reference text (the generation-0 training pool) was given"
    if reference_tokens is None:
        reference_tokens = [word_tokens(text) for text in reference_texts]
    return tl.rank_vocabulary(w for doc in reference_tokens for w in doc), ""


def _model_free(docs_texts: list[str], docs_tokens: list[list[str]], families, language: str,
                band_sets, ranking_reason: str, cfg: EvaluateConfig) -> tuple[dict, dict, dict]:
    """(values, unavailable, sample sizes) of the model-free families on one set of documents."""
    values, unavailable = _empty(families), {}
    sizes = {}
    tail_sample = div_sample = None
    if "tail" in families:
        tail_sample = div.sample_documents(docs_tokens, cfg.tail.sample_words, cfg.seed)
    if "diversity" in families or "formality" in families:
        div_sample = div.sample_documents(docs_tokens, cfg.diversity.sample_words, cfg.seed)
    total = sum(len(d) for d in docs_tokens)
    joined = [" ".join(d) for d in div_sample] if "diversity" in families and div_sample is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # zlib releases the GIL: the slow level-9 compression runs beside every other metric.
        compressed = None
        if joined is not None:
            compressed = pool.submit(div.compression_ratio, joined)
        if "tail" in families:
            if tail_sample is None:
                reason = f"too little text: {total} words < evaluate.tail.sample_words = {cfg.tail.sample_words}"
                unavailable.update({n: reason for n in METRICS.names("tail")})
            elif band_sets is None:
                unavailable.update({n: ranking_reason for n in METRICS.names("tail")})
                counts = Counter(w for d in tail_sample for w in d)
                values["unseen_mass"] = tl.unseen_mass(counts)
                values["zipf_exponent"] = tl.zipf_exponent(counts, cfg.tail.torso_ranks)
            else:
                values.update(tl.tail_metrics([w for d in tail_sample for w in d], band_sets, cfg.tail.torso_ranks))
            if tail_sample is not None:
                sizes["tail_documents"] = len(tail_sample)
        if "diversity" in families:
            if div_sample is None:
                unavailable.update({n: _too_little(total, cfg) for n in METRICS.names("diversity")})
            else:
                values.update(div.ngram_stats(joined))
                values["self_bleu"] = div.self_bleu(div_sample, cfg.diversity.self_bleu_docs, cfg.seed)
                if values["self_bleu"] is None:
                    unavailable["self_bleu"] = "fewer than 2 documents in the sample"
                sizes["diversity_documents"] = len(div_sample)
            values.update(div.length_stats(docs_tokens))
        _formality(values, unavailable, docs_texts, docs_tokens, div_sample, total, families, language, cfg)
        if compressed is not None:
            values["compression_ratio"] = compressed.result()
    return values, unavailable, sizes


def _too_little(total: int, cfg: EvaluateConfig) -> str:
    return f"too little text: {total} words < evaluate.diversity.sample_words = {cfg.diversity.sample_words}"


def _formality(values, unavailable, docs_texts, docs_tokens, div_sample, total, families, language, cfg) -> None:
    if "formality" in families:
        if div_sample is None:
            unavailable.update({n: _too_little(total, cfg) for n in METRICS.names("formality")})
        else:
            # The tagger reads the sampled documents' own text (case and punctuation kept).
            order = div.sample_indices(docs_tokens, cfg.diversity.sample_words, cfg.seed)
            found, missing = fm.formality_metrics([docs_texts[i] for i in order],
                                                  [w for d in div_sample for w in d], language)
            values.update(found)
            unavailable.update(missing)


def _vs_real(values: dict, unavailable: dict, real: dict | None) -> None:
    """The metrics defined against the equal-size real sample."""
    if "tail_coverage" in values:
        if real and real.get("tail_coverage") and values["tail_coverage"] is not None:
            values["tail_coverage_vs_real"] = values["tail_coverage"] / real["tail_coverage"]
        else:
            unavailable.setdefault("tail_coverage_vs_real", "no real sample of the same size")
    for name, drift in DRIFTS.items():
        if drift not in values:
            continue
        if values.get(name) is not None and real and real.get(name) is not None:
            values[drift] = values[name] - real[name]
        elif values.get(name) is None:
            unavailable.setdefault(drift, unavailable.get(name, "not computed"))
        else:
            unavailable.setdefault(drift, "no real text to compare with (or it has no value)")


def apply_baseline(result: dict, baseline: dict | None) -> dict:
    """Fill the ``*_vs_gen0`` tail metrics of ``result`` from generation 0's ``baseline`` (in place).

    Generation 0 passes its own result: its drops are 0 by definition.
    """
    if "tail_coverage" not in result:
        return result
    meta = result.setdefault("evaluation", {})
    unavailable = meta.setdefault("unavailable", {})
    names = ("tail_drop_vs_gen0", "rest_drop_vs_gen0", "tail_excess_drop")
    if baseline is None:
        for name in names:
            result[name] = None
            unavailable[name] = "no generation-0 result to compare with"
        return result

    def drop(key):
        now, then = result.get(key), baseline.get(key)
        return 1.0 - now / then if now is not None and then else None

    tail, rest = drop("tail_coverage"), drop("rest_coverage")
    for name, value in zip(names, (tail, rest, tail - rest if tail is not None and rest is not None else None)):
        result[name] = value
        if value is None:
            unavailable[name] = "coverage missing here or in generation 0"
        else:
            unavailable.pop(name, None)
    return result


def score_texts(texts: list[str], *, language: str, reference_texts: list[str] | None,
                real_texts: list[str] | None, cfg: EvaluateConfig, baseline: dict | None = None) -> dict:
    """Every model-free metric (tail, diversity, formality) of generated documents ``texts``.

    ``reference_texts``: generation 0's real training pool, which ranks the vocabulary into
    head/torso/tail (unless ``cfg.tail.reference`` is "wordfreq"). ``real_texts``: real documents
    scored at the same sample size, the baseline of ``*_vs_real`` and ``*_drift``. ``baseline``:
    generation 0's result (this format or its flat metrics), the baseline of ``*_vs_gen0``.
    """
    families = [f for f in MODEL_FREE if f in cfg.metrics]
    docs_tokens = [word_tokens(t) for t in texts]
    band_sets, ranking_reason = None, ""
    if "tail" in families:
        ranked, ranking_reason = _reference_ranking(reference_texts, docs_tokens if reference_texts is texts else None,
                                                    language, cfg)
        if ranked is not None:
            band_sets = tl.bands(ranked, cfg.tail.head_ranks, cfg.tail.torso_ranks)
    values, unavailable, sizes = _model_free(texts, docs_tokens, families, language, band_sets,
                                             ranking_reason, cfg)
    meta = {"sample": {"seed": cfg.seed, "tail_words": cfg.tail.sample_words,
                       "diversity_words": cfg.diversity.sample_words, "self_bleu_docs": cfg.diversity.self_bleu_docs,
                       "documents": len(texts), **sizes},
            "tail_reference": cfg.tail.reference, "language": language}
    real = None
    if real_texts:
        real_tokens = docs_tokens if real_texts is texts else [word_tokens(t) for t in real_texts]
        real, _, real_sizes = _model_free(real_texts, real_tokens, families, language, band_sets,
                                          ranking_reason, cfg)
        meta["sample"]["real_documents"] = len(real_texts)
        meta["sample"].update({f"real_{k}": v for k, v in real_sizes.items()})
        meta["real"] = {k: v for k, v in real.items() if k not in RELATIVE}
    _vs_real(values, unavailable, real)
    return apply_baseline(_finish(values, unavailable, meta), baseline)


def _window(model, recipe, cfg: EvaluateConfig) -> tuple[int, int]:
    window = cfg.perplexity.window
    if not window:
        if recipe is not None and recipe.model.kind == "scratch":
            window = recipe.train.seq_len
        else:
            window = int(getattr(model.config, "max_position_embeddings", 0) or 1024)
    stride = cfg.perplexity.stride or max(1, window // 2)
    return window, min(stride, window)


def score_models(model, tokenizer, samples_texts: list[str], *, heldout: list[str] | None,
                 gen0=None, recipe=None, cfg: EvaluateConfig | None = None,
                 reference: list[str] | None = None, real: list[str] | None = None, language: str = "",
                 baseline: dict | None = None, accelerator=None) -> dict:
    """A generation's scores: model families, and the model-free ones when ``reference`` is given.

    - perplexity: ``model`` on the held-out real documents ``heldout`` (first
      ``cfg.perplexity.max_docs`` of them when set);
    - gen0_perplexity: the generated ``samples_texts`` under ``gen0`` = (model, tokenizer) of
      generation 0 (for generation 0 itself, its own model);
    - tail, diversity, formality of ``samples_texts`` (``score_texts``) when ``reference`` (the
      generation-0 training pool) is given; ``real`` defaults to ``heldout``.
    ``cfg`` defaults to ``recipe.evaluate``. The window defaults to train.seq_len for scratch
    models and to the model's max_position_embeddings otherwise; the stride to half the window.
    """
    if cfg is None:
        cfg = recipe.evaluate if recipe is not None else EvaluateConfig()
    values, unavailable = {}, {}
    window, stride = _window(model, recipe, cfg)
    meta = {"perplexity": {"window": window, "stride": stride}}
    if "perplexity" in cfg.metrics:
        values.update(_empty(["perplexity"]))
        docs = list(heldout or [])
        if cfg.perplexity.max_docs:
            docs = docs[: cfg.perplexity.max_docs]
        if not docs:
            unavailable.update({n: "no held-out real text" for n in METRICS.names("perplexity")})
        else:
            r = perplexity(model, tokenizer, docs, window, stride, cfg.perplexity.batch_size, accelerator)
            values.update({"heldout_nll": r["nll"], "heldout_ppl": r["ppl"], "heldout_bpb": r["bpb"]})
            meta["perplexity"].update({"heldout_docs": len(docs), "heldout_tokens": r["tokens"],
                                       "heldout_bytes": r["bytes"]})
    if "gen0_perplexity" in cfg.metrics:
        values.update(_empty(["gen0_perplexity"]))
        if gen0 is None:
            unavailable.update({n: "no generation-0 model" for n in METRICS.names("gen0_perplexity")})
        elif not samples_texts:
            unavailable.update({n: "no generated text" for n in METRICS.names("gen0_perplexity")})
        else:
            g_model, g_tokenizer = gen0
            g_window, g_stride = _window(g_model, recipe, cfg)
            r = perplexity(g_model, g_tokenizer, samples_texts, g_window, g_stride, cfg.perplexity.batch_size,
                           accelerator)
            values.update({"gen0_nll": r["nll"], "gen0_ppl": r["ppl"], "gen0_bpb": r["bpb"]})
            meta["perplexity"].update({"gen0_docs": len(samples_texts), "gen0_tokens": r["tokens"],
                                       "gen0_bytes": r["bytes"]})
    for name in values:
        if values[name] is None:
            unavailable.setdefault(name, "too little text to score (no token has context)")
    result = _finish(values, unavailable, meta)
    if reference is not None and any(f in cfg.metrics for f in MODEL_FREE):
        result = merge(result, score_texts(samples_texts, language=language, reference_texts=reference,
                                           real_texts=real if real is not None else heldout, cfg=cfg,
                                           baseline=baseline))
    return result
