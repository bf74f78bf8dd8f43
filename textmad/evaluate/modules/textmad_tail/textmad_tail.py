"""textmad's tail metrics as an `evaluate` module: `evaluate.load(textmad.evaluate_module("tail"))`."""
from textmad.evaluate.modules import family


class TextmadTail(family.FamilyMetric):
    FAMILY = "tail"
