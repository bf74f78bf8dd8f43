"""Evaluators. Every metric is registered once, with its direction, in ``METRICS``.

Families (the names a recipe lists in ``evaluate.metrics``):
perplexity, gen0_perplexity, tail, diversity, formality, semantic.
"""
from textmad.evaluate.registry import METRICS, Metric

__all__ = ["METRICS", "Metric"]
