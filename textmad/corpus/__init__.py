"""Corpora: cards (corpora/*.yaml and $TEXTMAD_CORPORA), local/hub sources, Unicode normalisation, disjoint
splits, manifests."""
from textmad.corpus.cards import CorpusCard, get_card, list_corpora
from textmad.corpus.prepare import PreparedCorpus, load_prepared, prepare
from textmad.corpus.sources import Documents, installed, read_documents, requirement
from textmad.corpus.splits import SPLITS
from textmad.corpus.vocab import check_language, reference_frequencies

__all__ = ["CorpusCard", "Documents", "PreparedCorpus", "SPLITS", "check_language", "get_card", "installed",
           "list_corpora", "load_prepared", "prepare", "read_documents", "reference_frequencies",
           "requirement"]
