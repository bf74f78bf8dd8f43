"""The metric registry: everything textmad knows about a metric, in one entry.

Each entry has a family (the recipe-level switch in ``evaluate.metrics``), a direction, a
baseline, what it needs, and, for a metric defined from another one, the relation that defines
it. Every list of families, drifts and ratios is derived from here.

Directions
- ``higher`` / ``lower``: more (less) is better whatever real text does (held-out perplexity,
  the coverage drops against generation 0, the distances to real text);
- ``closer_to_real``: the metric describes a distribution, and the best value is the one real
  text of the same size has (``evaluation.real`` holds it; for a ``*_vs_real`` ratio it is 1).
  Random letters have more unseen words, distinct n-grams and entropy than any real text, so
  "more is better" would reward gibberish;
- ``none``: a description with no better value (document length, register).

Baselines: ``real`` (an equal-size sample of held-out real text), ``gen0`` (generation 0's
result), ``none``.

Views: which summaries, figures and comparisons show a metric is a flag on its entry (``views``, set
at the end of this file); each view takes its list with ``METRICS.shown(view)``, in the order the view
declares (a table's columns, a figure's panels).

References (``reference``, the tail family's vocabulary that ranks head, torso and tail words; a key of
``REFERENCES``): ``gen0_pool`` (generation 0's training pool, the same every generation) or
``train_mix_real`` (the real text the generation itself trained on). Under fresh data the two differ:
fresh slices bring other names and topics, so words of generation 0's pool fade from a model that never
collapsed; the ``mix_tail_*`` metrics follow the generation's own real text and separate the two.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

DIRECTIONS = ("higher", "lower", "closer_to_real", "none")
BASELINES = ("real", "gen0", "none")
# what a metric needs: a model and held-out text, generation 0's model, a tail reference
# vocabulary, the real text of the generation's own training mix, the text's language, a real sample,
# generation 0's result, generation 0's generated text
NEEDS = ("model", "gen0_model", "reference", "train_mix", "language", "real", "gen0", "gen0_samples")
# where a metric is shown (Metric.views); each view takes METRICS.shown(view)
VIEWS = {
    "headline": "`textmad eval`'s one line per generation",
    "progress": "the loop's progress line per generation (held-out perplexity and bits per byte)",
    "plotted": "a panel of the report's figures per family: the figures that show collapse (CONTEXT.md)",
    "seeded": "the report's figures over seeds: a mean with its 95% band",
    "compared": "a column of `textmad compare`: means the same across tokenizers, corpus sizes and scripts",
    "changed": "`textmad compare` shows it also as the change from the run's own generation 0",
    "paired": "`textmad compare` compares arms on it by paired differences within a seed",
    "formality": "a language's formality measure; compare takes the first one available, over generation 0",
    "bands": "the report's figure of the tail family's frequency bands, frequent to rare",
    "curves": "the mean curves over generations of a sweep's report (after the threshold metric)",
    "watermark_cost": "`textmad watermark cost`'s default metrics: the mark's own cost",
    "watermark_summary": "`textmad watermark summary`'s default metrics: detection, radioactivity, the filters",
}
# the vocabulary a tail metric ranks its head, torso and tail bands on (Metric.reference)
REFERENCES = {
    "gen0_pool": "generation 0's training pool, every generation (or wordfreq's list: evaluate.tail.reference); "
                 "under fresh data its rare words also fade by vocabulary shift, without collapse",
    "train_mix_real": "the real and fresh documents of this generation's training mix (generation 0's training "
                      "pool for generation 0 and for a mix without real text); shift-free",
}
# how a derived metric is computed from its source value(s) x and the baseline's value b
RELATIONS = {
    "ratio": lambda x, b: x / b,                       # x / real
    "difference": lambda x, b: x - b,                  # x - real (drifts)
    "distance": lambda x, b: abs(x - b) / abs(b),      # |x - real| / |real|
    "drop": lambda x, b: 1.0 - x / b,                  # 1 - x / generation 0
}


@dataclass(frozen=True)
class Metric:
    name: str            # key in metrics.json and the run table, e.g. "heldout_ppl"
    family: str          # the recipe-level switch it belongs to, e.g. "perplexity"
    description: str     # one line, shown in reports and the README
    direction: str       # one of DIRECTIONS
    baseline: str        # one of BASELINES
    needs: tuple[str, ...] = ()
    source: str = ""     # a derived metric: the metric it is computed from
    relation: str = ""   # a derived metric: a key of RELATIONS
    signal: bool = False  # a candidate early-warning signal: a row of the time-to-detection table
    views: tuple[str, ...] = ()  # keys of VIEWS: where it is shown
    reference: str = ""  # a tail metric: the vocabulary its bands are ranked on, a key of REFERENCES
    absolute: bool = False  # on a scale every language and model shares (a rate, a z-score): never divided by gen 0
    bounds: tuple[float, float] | None = None  # the values it can take (a share: 0 to 1); intervals are cut to them

    @property
    def higher_is_better(self) -> bool | None:
        """lm-evaluation-harness's flag: True/False for higher/lower, None otherwise."""
        return {"higher": True, "lower": False}.get(self.direction)

    def about(self) -> dict:
        """What a results file says about this metric (metrics.json "about")."""
        out = {"family": self.family, "direction": self.direction, "baseline": self.baseline,
               "description": self.description}
        if self.relation:
            out["defined_as"] = f"{self.relation} of {self.source}"
        if self.reference:
            out["reference"] = f"{self.reference}: {REFERENCES[self.reference]}"
        return out


class Registry:
    def __init__(self):
        self._metrics: dict[str, Metric] = {}
        self._views: dict[str, tuple[str, ...]] = {}

    def register(self, metric: Metric) -> Metric:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name!r} is registered twice")
        if metric.direction not in DIRECTIONS or metric.baseline not in BASELINES:
            raise ValueError(f"metric {metric.name!r}: direction {metric.direction!r} / baseline "
                             f"{metric.baseline!r}; accepted {DIRECTIONS} / {BASELINES}")
        if set(metric.needs) - set(NEEDS):
            raise ValueError(f"metric {metric.name!r} needs {metric.needs}; accepted {NEEDS}")
        if metric.reference and metric.reference not in REFERENCES:
            raise ValueError(f"metric {metric.name!r}: reference {metric.reference!r}; accepted {tuple(REFERENCES)}")
        if metric.relation and (metric.relation not in RELATIONS or metric.source not in self._metrics):
            raise ValueError(f"metric {metric.name!r}: relation {metric.relation!r} of {metric.source!r}")
        self._metrics[metric.name] = metric
        return metric

    def mark_signals(self, names) -> None:
        """Flag ``names`` as candidate early-warning signals (read together, Holm-adjusted)."""
        for name in names:
            self._metrics[name] = replace(self._metrics[name], signal=True)

    def mark_absolute(self, names) -> None:
        """Flag ``names`` as on a scale every language and model shares (a share, a probability, a z-score):
        figures of several languages draw them as they are, never divided by each run's generation 0."""
        for name in names:
            self._metrics[name] = replace(self._metrics[name], absolute=True)

    def mark_bounds(self, bounds: tuple[float, float], names) -> None:
        """Flag ``names`` as taking values within ``bounds`` only: a t interval over a few seeds can reach past
        them (a TPR of 1.006), so figures and tables cut it there."""
        for name in names:
            self._metrics[name] = replace(self._metrics[name], bounds=bounds)

    def show(self, view: str, *names: str) -> None:
        """Flag ``names`` as shown in ``view`` (a key of VIEWS), in this order."""
        if view not in VIEWS:
            raise ValueError(f"view {view!r}; accepted {tuple(VIEWS)}")
        for name in names:
            self._metrics[name] = replace(self[name], views=(*self[name].views, view))
        self._views[view] = (*self._views.get(view, ()), *names)

    def shown(self, view: str) -> tuple[str, ...]:
        """The names of the metrics ``view`` shows, in the order it declares."""
        if view not in VIEWS:
            raise ValueError(f"view {view!r}; accepted {tuple(VIEWS)}")
        return self._views.get(view, ())

    def signals(self) -> list[str]:
        return [m.name for m in self if m.signal]

    def families(self) -> list[str]:
        return list(dict.fromkeys(m.family for m in self._metrics.values()))

    def model_free_families(self) -> list[str]:
        """Families none of whose metrics needs a model: a corpus or a text file gets these."""
        model = {m.family for m in self if {"model", "gen0_model"} & set(m.needs)}
        return [f for f in self.families() if f not in model]

    def names(self, family: str) -> list[str]:
        """The metric names of ``family``, in registration order."""
        return [m.name for m in self._metrics.values() if m.family == family]

    def derived(self, baseline: str) -> list[Metric]:
        """The metrics computed from another one against ``baseline`` ("real" or "gen0")."""
        return [m for m in self if m.relation and m.baseline == baseline]

    def about(self, names) -> dict:
        return {n: self._metrics[n].about() for n in names if n in self._metrics}

    def __getitem__(self, name: str) -> Metric:
        return self._metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self._metrics

    def __iter__(self):
        return iter(self._metrics.values())


METRICS = Registry()


def _add(name, family, direction, baseline, description, needs=(), source="", relation="", reference=""):
    if not reference and {"reference", "train_mix"} & set(needs):
        reference = "train_mix_real" if "train_mix" in needs else "gen0_pool"
    METRICS.register(Metric(name, family, description, direction, baseline, tuple(needs), source, relation,
                            reference=reference))


# perplexity: the model on held-out real text, each document after the document-start token
for unit, text in (("nll", "mean negative log-likelihood per token (nats)"),
                   ("ppl", "perplexity: exp(heldout_nll), strided sliding window"),
                   ("bpb", "bits per UTF-8 byte; tokenizer-free, but UTF-8 width differs by script"),
                   ("bpc", "bits per character (Unicode code point after NFC); compares scripts"),
                   ("bpw", "bits per word (textmad words); compares languages")):
    _add(f"heldout_{unit}", "perplexity", "lower", "none", f"held-out real text: {text}", ("model",))
# calibration, in the same pass: does probability mass concentrate on few tokens before perplexity moves?
_add("heldout_ece", "perplexity", "lower", "none", "held-out real text: expected calibration error of the "
     "top-1 next-token prediction, 15 equal-mass bins (adaptive ECE)", ("model",))
_add("heldout_entropy", "perplexity", "none", "none", "held-out real text: mean entropy of the next-token "
     "distribution (nats); falling = mass concentrating on few tokens", ("model",))
_add("heldout_top1", "perplexity", "none", "none", "held-out real text: mean top-1 next-token probability "
     "(the model's confidence); rising = mass concentrating on few tokens", ("model",))
for unit, text in (("nll", "mean NLL per token (nats)"), ("ppl", "perplexity"), ("bpb", "bits per byte"),
                   ("bpc", "bits per character"), ("bpw", "bits per word")):
    _add(f"gen0_{unit}", "gen0_perplexity", "closer_to_real", "none",
         f"the generated text under the generation-0 model: {text}; real text's value is generation 0's "
         f"heldout_{unit}; falling below it = text grows more 'probable', a collapse sign", ("gen0_model",))

# tail: coverage of the generation-0 training pool's frequency bands by an equal-size sample
for band, text in (("head", "head words (top ranks)"), ("torso", "torso words"), ("tail", "tail (rare) words"),
                   ("rest", "head and torso words")):
    _add(f"{band}_coverage", "tail", "closer_to_real", "real",
         f"share of the reference's {text} present in the equal-size sample", ("reference",))
_add("tail_token_share", "tail", "closer_to_real", "real",
     "share of the sample's word tokens that are reference-tail words", ("reference",))
_add("tail_coverage_vs_real", "tail", "closer_to_real", "real",
     "tail_coverage / that of an equal-size held-out real sample: 1 = as many rare training-pool words as "
     "unseen real text; below 1 = the tail is lost; above 1 = regurgitated", ("reference", "real"),
     "tail_coverage", "ratio")
_add("tail_drop_vs_gen0", "tail", "lower", "gen0", "relative drop of tail_coverage versus generation 0: "
     "1 - now / gen 0; under fresh data it also counts vocabulary shift (mix_tail_drop_vs_gen0 does not)",
     ("reference", "gen0"), "tail_coverage", "drop")
_add("rest_drop_vs_gen0", "tail", "lower", "gen0", "relative drop of rest_coverage (head+torso) versus "
     "generation 0", ("reference", "gen0"), "rest_coverage", "drop")
_add("tail_excess_drop", "tail", "lower", "gen0", "tail_drop_vs_gen0 - rest_drop_vs_gen0: how much faster "
     "the tail goes", ("reference", "gen0"))
_add("unseen_mass", "tail", "closer_to_real", "real",
     "Good-Turing probability of an unseen word: hapaxes / tokens in the sample")
_add("zipf_exponent", "tail", "closer_to_real", "real", "Zipf exponent s of f(r) ~ r^-s, least squares on "
     "log-log over the sample's repeated words (ranks up to torso_ranks)")

# ... and of the real text the generation itself trained on: vocabulary shift (fresh slices bring other
# names) moves the reference with the data, so what is left is loss, measured against unseen real text
_add("mix_tail_coverage", "tail", "closer_to_real", "real",
     "share of the tail (rare) words of the real text this generation trained on (its training mix's real "
     "and fresh documents) present in the equal-size sample", ("train_mix",))
_add("mix_tail_coverage_vs_real", "tail", "closer_to_real", "real",
     "mix_tail_coverage / that of an equal-size held-out real sample on the same words: 1 = as many rare words "
     "of its own training text as unseen real text; below 1 = the tail is lost; free of vocabulary shift",
     ("train_mix", "real"), "mix_tail_coverage", "ratio")
_add("mix_tail_drop_vs_gen0", "tail", "lower", "gen0", "relative drop of mix_tail_coverage versus generation "
     "0's samples on the same words: 1 - now / (an equal-size sample of generation 0's text's coverage of this "
     "generation's reference); tail loss with vocabulary shift taken out (compare tail_drop_vs_gen0)",
     ("train_mix", "gen0_samples"))

# diversity: equal-size samples; self-BLEU and repeated 4-grams on documents cut to doc_words words
for n in range(1, 5):
    _add(f"distinct_{n}", "diversity", "closer_to_real", "real",
         f"unique word {n}-grams / {n}-grams in the equal-size sample")
_add("ngram_diversity", "diversity", "closer_to_real", "real",
     "distinct_1 + ... + distinct_4 (the diversity package's ngram_diversity_score)")
for n in range(1, 5):
    _add(f"entropy_{n}", "diversity", "closer_to_real", "real",
         f"Shannon entropy of the word {n}-gram distribution in the sample (bits)")
_add("compression_ratio", "diversity", "closer_to_real", "real",
     "gzip compression ratio of the sample (diversity package definition); higher = more repetitive")
_add("self_bleu", "diversity", "closer_to_real", "real", "mean BLEU-4 of each sampled document (cut to "
     "evaluate.diversity.doc_words words) against the others; higher = more alike")
_add("repeated_4gram_share", "diversity", "closer_to_real", "real", "share of sampled documents in whose "
     "first evaluate.diversity.doc_words words some 4-gram occurs twice")
_add("doc_len_mean", "diversity", "none", "none", "mean document length in words")
_add("doc_len_std", "diversity", "none", "none", "standard deviation of document length in words")
# The distance-to-real views of the distribution metrics that the collapse story reads.
def _dist_to_real(source: str, needs=("real",)) -> None:
    """The distance-to-real view of a distribution metric: |x - real| / real, lower is better."""
    _add(f"{source}_dist_to_real", METRICS[source].family, "lower", "real",
         f"|{source} - real| / real, real = an equal-size held-out real sample", needs, source, "distance")


for _source in ("unseen_mass", "zipf_exponent", "distinct_1", "distinct_4", "entropy_1", "compression_ratio",
                "self_bleu", "repeated_4gram_share"):
    _dist_to_real(_source)

# formality: register descriptions, each language its own measures
_lang = ("language",)
_add("formality_f", "formality", "none", "real", "English Heylighen-Dewaele F-score from spaCy POS tags "
     "(0-100, higher = more formal)", _lang)
_add("formality_f_drift", "formality", "none", "real", "formality_f minus that of the real sample", _lang + ("real",),
     "formality_f", "difference")
_add("formality_lexical", "formality", "none", "real", "English tagger-free formality: long_word_rate - "
     "personal_pronoun_rate - contraction_rate", _lang)
_add("formality_lexical_drift", "formality", "none", "real", "formality_lexical minus that of the real sample",
     _lang + ("real",), "formality_lexical", "difference")
_add("contraction_rate", "formality", "none", "real", "English contractions (n't, 're, 'll ...) per word", _lang)
_add("personal_pronoun_rate", "formality", "none", "real", "English first- and second-person pronouns per word",
     _lang)
_add("mean_word_length", "formality", "none", "real", "mean length of alphabetic English words (characters)", _lang)
_add("long_word_rate", "formality", "none", "real", "share of alphabetic English words with 7+ characters", _lang)
_add("sadhu_share", "formality", "none", "real", "Bengali: sadhu-bhasha (literary) markers / all sadhu and "
     "cholito markers", _lang)
_add("sadhu_share_drift", "formality", "none", "real", "sadhu_share minus that of the real sample",
     _lang + ("real",), "sadhu_share", "difference")
_add("honorific_share", "formality", "none", "real", "Bengali: honorific apni / all second-person pronouns "
     "(apni, tumi, tui)", _lang)
_add("honorific_share_drift", "formality", "none", "real", "honorific_share minus that of the real sample",
     _lang + ("real",), "honorific_share", "difference")

# watermark detection, radioactivity and the loop's filter (textmad.watermark); recorded
# only by runs that watermark somewhere (generate.watermark.enabled or an arm's watermark)
_wm = ("model",)  # the model's tokenizer and the recipe's key
_add("watermark_tpr", "watermark", "higher", "none", "share of the generation's samples flagged (exact binomial "
     "p < generate.watermark.p_threshold; too-short samples left out)", _wm)
_add("watermark_fpr", "watermark", "lower", "none", "share of as many held-out real documents, cut to the samples' "
     "prompt and continuation lengths, flagged at the same threshold", _wm)
_add("watermark_auc", "watermark", "higher", "none", "AUC of the deduplicated z-score: samples against the "
     "length-matched held-out real documents", _wm)
_add("watermark_mean_z", "watermark", "none", "none", "mean deduplicated z-score of the samples", _wm)
_add("watermark_too_short", "watermark", "none", "none", "share of samples with fewer than "
     "generate.watermark.min_tokens distinct scored pairs (not tested)", _wm)
for _band, (_lo, _hi) in (("short", (0, 32)), ("medium", (32, 96)), ("long", (96, None))):
    _add(f"watermark_tpr_{_band}", "watermark", "higher", "none", f"watermark_tpr of the samples with "
         f"{_lo}{f'-{_hi - 1}' if _hi else '+'} distinct scored pairs", _wm)
_add("radioactivity_z", "watermark", "none", "none", "deduplicated z-score of an unwatermarked sample of the "
     "generation's model, pooled (generate.watermark.radioactivity_samples documents): the mark learned from "
     "the training text", _wm)
_add("radioactivity_p", "watermark", "none", "none", "exact one-sided binomial p-value of radioactivity_z's test", _wm)
_add("radioactivity_scored", "watermark", "none", "none", "distinct (context, token) pairs in radioactivity's test",
     _wm)
for _name, _text in (("pool", "documents the filter judged (the planned mix)"),
                     ("flagged", "documents of the pool the filter flagged"),
                     ("kept_synthetic", "synthetic documents in the trained mix (true origin)"),
                     ("kept_real", "real or fresh documents in the trained mix (true origin)"),
                     ("dropped_synthetic", "synthetic documents dropped"),
                     ("dropped_real", "real or fresh documents dropped by mistake"),
                     ("refilled", "places refilled by repeating unflagged documents (loop.filter.size refill)"),
                     ("synthetic_share", "share of synthetic documents in the trained mix (true origin)")):
    _add(f"filter_{_name}", "watermark", "none", "none", f"loop.filter: {_text}")

# semantic: sentence embeddings of equal-size generated and held-out real samples (evaluate/semantic.py);
# English uses all-MiniLM-L6-v2 (extra textmad[semantic]), other languages generation 0's hidden states
_sem = ("gen0_model", "real")
_add("semantic_distance", "semantic", "closer_to_real", "real", "mean pairwise cosine distance of the sample's "
     "sentence embeddings (evaluation.semantic.encoder); lower = the documents say more alike things", _sem)
_add("vendi_score", "semantic", "closer_to_real", "real", "Vendi score of the sample's sentence embeddings (cosine "
     "kernel): the effective number of distinct documents, 1 to the sample size", _sem)
_add("mauve", "semantic", "higher", "real", "MAUVE (mauve-text) between the generated sample's and an equal-size "
     "held-out real sample's sentence embeddings: 1 = indistinguishable, towards 0 = apart", _sem)
for _source in ("semantic_distance", "vendi_score"):
    _dist_to_real(_source, _sem)

# The candidate early-warning signals (issue 23: which measurement warns first?): model-based
# (held-out bits per character, calibration, concentration, the generation-0 model's view of the
# output), text-based (tail coverage, distinct words, repetition, self-similarity) and semantic.
METRICS.mark_signals(("heldout_bpc", "heldout_ece", "heldout_entropy", "heldout_top1", "gen0_bpc",
                      "tail_coverage", "distinct_1", "repeated_4gram_share", "self_bleu", "semantic_distance",
                      "mauve"))

# Rates, probabilities and z-scores: comparable across languages and models as they are (and a z-score's
# generation-0 value is near 0, so a ratio to it would be noise).
METRICS.mark_absolute(("mauve", "radioactivity_z", "radioactivity_p", "filter_synthetic_share",
                        *(n for n in METRICS.names("watermark") if n.startswith("watermark_"))))

# Shares, rates and probabilities: 0 to 1.
METRICS.mark_bounds((0.0, 1.0), (
    "heldout_ece", "heldout_top1", "head_coverage", "torso_coverage", "tail_coverage", "rest_coverage",
    "tail_token_share", "unseen_mass", "mix_tail_coverage", *(f"distinct_{n}" for n in range(1, 5)), "self_bleu",
    "repeated_4gram_share", "contraction_rate", "personal_pronoun_rate", "long_word_rate", "sadhu_share",
    "honorific_share", "mauve", "radioactivity_p", "filter_synthetic_share",
    *(n for n in METRICS.names("watermark") if n.startswith("watermark_") and n != "watermark_mean_z")))
# Counts of documents: never below 0.
METRICS.mark_bounds((0.0, float("inf")), (*(n for n in METRICS.names("watermark") if n.startswith("filter_")
                                             and n != "filter_synthetic_share"), "radioactivity_scored"))

# Where each metric is shown (the flags the views read; see VIEWS), in each view's order.
METRICS.show("headline", "heldout_ppl", "heldout_bpc", "gen0_ppl", "tail_coverage", "tail_coverage_vs_real",
             "distinct_4", "self_bleu", "repeated_4gram_share", "formality_f", "formality_lexical", "sadhu_share")
METRICS.show("progress", "heldout_ppl", "heldout_bpb")
METRICS.show("plotted", "heldout_ppl", "heldout_bpb", "gen0_ppl", "tail_coverage", "tail_drop_vs_gen0",
             "mix_tail_drop_vs_gen0", "unseen_mass",
             "distinct_2", "self_bleu", "repeated_4gram_share", "compression_ratio", "formality_f",
             "formality_lexical", "sadhu_share", "honorific_share", "semantic_distance", "vendi_score", "mauve",
             "watermark_tpr", "radioactivity_z")
METRICS.show("seeded", "heldout_bpc", "gen0_ppl", "tail_coverage", "distinct_2", "repeated_4gram_share", "self_bleu",
             "semantic_distance", "vendi_score", "mauve", "watermark_tpr", "radioactivity_z")
METRICS.show("compared", "heldout_bpc", "heldout_bpw", "distinct_1", "distinct_2", "repeated_4gram_share",
             "head_coverage", "torso_coverage", "tail_coverage", "tail_coverage_vs_real")
METRICS.show("changed", "heldout_bpc", "tail_coverage")
METRICS.show("paired", "heldout_bpc", "tail_coverage", "distinct_2")
METRICS.show("formality", "formality_f", "formality_lexical", "sadhu_share", "honorific_share")
METRICS.show("bands", "head_coverage", "torso_coverage", "tail_coverage")
# tail_coverage ranks the tail on generation 0's pool, mix_tail_coverage_vs_real on the real text each generation
# trained on: under fresh data only the second separates tail loss from vocabulary shift (report.sweep.tail_note)
METRICS.show("curves", "heldout_bpc", "heldout_bpb", "heldout_ppl", "tail_coverage", "mix_tail_coverage_vs_real",
             "distinct_2", "repeated_4gram_share", "semantic_distance", "vendi_score", "mauve")
METRICS.show("watermark_cost", "heldout_ppl", "heldout_bpc", "distinct_4", "self_bleu", "repeated_4gram_share",
             "entropy_1")
METRICS.show("watermark_summary", "watermark_tpr", "watermark_fpr", "watermark_auc", "radioactivity_z",
             "filter_kept_synthetic", "filter_dropped_real", "filter_synthetic_share", "heldout_ppl")
