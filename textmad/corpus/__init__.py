"""Corpora: built-in/local/hub sources, Unicode normalisation, disjoint splits, manifests, cards."""
from textmad.corpus.cards import CorpusCard, get_card, list_corpora
from textmad.corpus.prepare import PreparedCorpus, load_prepared, prepare
from textmad.corpus.sources import Documents, read_documents
from textmad.corpus.splits import SPLITS
from textmad.corpus.vocab import check_language, reference_frequencies

__all__ = ["CorpusCard", "Documents", "PreparedCorpus", "SPLITS", "check_language", "get_card", "list_corpora",
           "load_prepared", "prepare", "read_documents", "reference_frequencies"]
