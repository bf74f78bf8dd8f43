"""Corpora: built-in/local/hub sources, Unicode normalisation, disjoint splits, manifests, cards."""
from textmad.corpus.cards import CorpusCard, get_card, list_corpora
from textmad.corpus.prepare import PreparedCorpus, load_prepared, prepare
from textmad.corpus.splits import SPLITS
from textmad.corpus.vocab import reference_frequencies

__all__ = ["CorpusCard", "PreparedCorpus", "SPLITS", "get_card", "list_corpora", "load_prepared", "prepare",
           "reference_frequencies"]
