"""textmad's formality metrics as an `evaluate` module: `evaluate.load(textmad.evaluate_module("formality"))`."""
from textmad.evaluate.modules import family


class TextmadFormality(family.FamilyMetric):
    FAMILY = "formality"
