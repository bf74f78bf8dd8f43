"""The one class behind textmad's `evaluate` modules: each module script (textmad_<family>/textmad_<family>.py,
the file ``evaluate.load`` runs) only names its family and subclasses ``FamilyMetric``. Kept apart from
``modules/__init__`` so that finding a module's path imports neither ``evaluate`` nor ``datasets``."""
import datasets
import evaluate

from textmad.evaluate import modules


class FamilyMetric(evaluate.Metric):
    """textmad's metric family ``FAMILY`` as an `evaluate` metric: the registry's description as its card,
    ``modules.compute`` as its computation."""
    FAMILY = ""

    def _info(self):
        return evaluate.MetricInfo(
            description=modules.description(self.FAMILY),
            citation="textmad: a workbench for studying model collapse in text",
            inputs_description=modules.compute.__doc__,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, **settings):
        return modules.compute(self.FAMILY, predictions, **settings)
