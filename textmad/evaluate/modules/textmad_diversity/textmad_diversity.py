"""textmad's diversity metrics as an `evaluate` module: `evaluate.load(textmad.evaluate_module("diversity"))`."""
from textmad.evaluate.modules import family


class TextmadDiversity(family.FamilyMetric):
    FAMILY = "diversity"
