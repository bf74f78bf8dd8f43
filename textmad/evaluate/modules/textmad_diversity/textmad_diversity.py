"""textmad's diversity metrics as an `evaluate` module: `evaluate.load(textmad.evaluate_module("diversity"))`."""
import datasets
import evaluate

from textmad.evaluate import modules

FAMILY = "diversity"


class TextmadDiversity(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=modules.description(FAMILY),
            citation="textmad: a workbench for studying model collapse in text",
            inputs_description=modules.compute.__doc__,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, **settings):
        return modules.compute(FAMILY, predictions, **settings)
