"""The metric registry: one entry per metric, with a description and whether higher is better."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str            # key in metrics.json and the run table, e.g. "heldout_ppl"
    family: str          # the recipe-level switch it belongs to, e.g. "perplexity"
    description: str     # one line, shown in reports and the README
    higher_is_better: bool | None  # None: neither (a descriptive figure such as length)


class Registry:
    def __init__(self):
        self._metrics: dict[str, Metric] = {}
        self._families: list[str] = []

    def register(self, name: str, family: str, description: str, higher_is_better: bool | None) -> Metric:
        if name in self._metrics:
            raise ValueError(f"metric {name!r} is registered twice")
        metric = Metric(name, family, description, higher_is_better)
        self._metrics[name] = metric
        if family not in self._families:
            self._families.append(family)
        return metric

    def declare_family(self, family: str) -> None:
        if family not in self._families:
            self._families.append(family)

    def families(self) -> list[str]:
        return list(self._families)

    def names(self, family: str) -> list[str]:
        """The metric names of ``family``, in registration order."""
        return [m.name for m in self._metrics.values() if m.family == family]

    def __getitem__(self, name: str) -> Metric:
        return self._metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self._metrics

    def __iter__(self):
        return iter(self._metrics.values())


METRICS = Registry()
for _family in ("perplexity", "gen0_perplexity", "tail", "diversity", "formality"):
    METRICS.declare_family(_family)

_METRICS = (
    # name, family, description, higher_is_better
    ("heldout_nll", "perplexity", "mean negative log-likelihood per token on held-out real text (nats)", False),
    ("heldout_ppl", "perplexity", "perplexity on held-out real text: exp(heldout_nll), strided sliding window", False),
    ("heldout_bpb", "perplexity", "bits per UTF-8 byte on held-out real text; tokenizer-free, compares languages", False),
    ("gen0_nll", "gen0_perplexity", "mean NLL per token of the generated text under the generation-0 model (nats)", None),
    ("gen0_ppl", "gen0_perplexity", "perplexity of the generated text under the generation-0 model; falling = "
                                    "text grows more 'probable', a collapse sign", None),
    ("gen0_bpb", "gen0_perplexity", "bits per byte of the generated text under the generation-0 model", None),
    ("head_coverage", "tail", "share of the reference's head words (top ranks) present in the equal-size sample", True),
    ("torso_coverage", "tail", "share of the reference's torso words present in the equal-size sample", True),
    ("tail_coverage", "tail", "share of the reference's tail (rare) words present in the equal-size sample", True),
    ("rest_coverage", "tail", "share of the reference's head and torso words present in the sample", True),
    ("tail_token_share", "tail", "share of the sample's word tokens that are reference-tail words", True),
    ("tail_coverage_vs_real", "tail", "tail_coverage divided by that of a real sample of the same size", True),
    ("tail_drop_vs_gen0", "tail", "relative drop of tail_coverage versus generation 0: 1 - now / gen 0", False),
    ("rest_drop_vs_gen0", "tail", "relative drop of rest_coverage (head+torso) versus generation 0", False),
    ("tail_excess_drop", "tail", "tail_drop_vs_gen0 - rest_drop_vs_gen0: how much faster the tail goes", False),
    ("unseen_mass", "tail", "Good-Turing probability of an unseen word: hapaxes / tokens in the sample", True),
    ("zipf_exponent", "tail", "Zipf exponent s of f(r) ~ r^-s, least squares on log-log over the sample's "
                              "repeated words (ranks up to torso_ranks)", None),
    ("distinct_1", "diversity", "unique words / words in the equal-size sample", True),
    ("distinct_2", "diversity", "unique word bigrams / bigrams in the equal-size sample", True),
    ("distinct_3", "diversity", "unique word trigrams / trigrams in the equal-size sample", True),
    ("distinct_4", "diversity", "unique word 4-grams / 4-grams in the equal-size sample", True),
    ("ngram_diversity", "diversity", "distinct_1 + ... + distinct_4 (the diversity package's ngram_diversity_score)", True),
    ("entropy_1", "diversity", "Shannon entropy of the word distribution in the sample (bits)", True),
    ("entropy_2", "diversity", "Shannon entropy of the bigram distribution in the sample (bits)", True),
    ("entropy_3", "diversity", "Shannon entropy of the trigram distribution in the sample (bits)", True),
    ("entropy_4", "diversity", "Shannon entropy of the 4-gram distribution in the sample (bits)", True),
    ("compression_ratio", "diversity", "gzip compression ratio of the sample (diversity package definition); "
                                       "higher = more repetitive", False),
    ("self_bleu", "diversity", "mean BLEU-4 of each sampled document against the others; higher = more alike", False),
    ("repeated_4gram_share", "diversity", "share of sampled documents in which some 4-gram occurs twice", False),
    ("doc_len_mean", "diversity", "mean document length in words", None),
    ("doc_len_std", "diversity", "standard deviation of document length in words", None),
    ("formality_f", "formality", "English Heylighen-Dewaele F-score from spaCy POS tags (0-100, higher = "
                                 "more formal)", None),
    ("formality_f_drift", "formality", "formality_f minus that of the real (generation-0) text", None),
    ("formality_lexical", "formality", "English tagger-free formality: long_word_rate - personal_pronoun_rate - "
                                       "contraction_rate", None),
    ("formality_lexical_drift", "formality", "formality_lexical minus that of the real (generation-0) text", None),
    ("contraction_rate", "formality", "English contractions (n't, 're, 'll ...) per word", None),
    ("personal_pronoun_rate", "formality", "English first- and second-person pronouns per word", None),
    ("mean_word_length", "formality", "mean length of alphabetic English words (characters)", None),
    ("long_word_rate", "formality", "share of alphabetic English words with 7+ characters", None),
    ("sadhu_share", "formality", "Bengali: sadhu-bhasha (literary) markers / all sadhu and cholito markers", None),
    ("sadhu_share_drift", "formality", "sadhu_share minus that of the real (generation-0) text", None),
    ("honorific_share", "formality", "Bengali: honorific apni / all second-person pronouns (apni, tumi, tui)", None),
    ("honorific_share_drift", "formality", "honorific_share minus that of the real (generation-0) text", None),
)
for _row in _METRICS:
    METRICS.register(*_row)
