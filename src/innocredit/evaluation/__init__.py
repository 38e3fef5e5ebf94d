"""Evaluation: declarative indicator systems (``systems/*.yaml``) scored by one vectorized engine.

Public API::

    load_system(id_or_path) -> System          list_systems() -> list[System]
    evaluate(system, features, as_of=None, track_stats=None) -> pl.DataFrame
    track_statistics(system, features) -> pl.DataFrame   (the cross-row step, for Spark)
    explain(system, features, uscc, lang) -> dict
"""

from innocredit.evaluation.engine import evaluate
from innocredit.evaluation.explain import explain, explain_text
from innocredit.evaluation.formula import FormulaError
from innocredit.evaluation.system import SYSTEMS_DIR, System, SystemError_, list_systems, load_system, system_from_dict
from innocredit.evaluation.track import cohort_sizes, track_sentence, track_statistics

__all__ = [
    "SYSTEMS_DIR", "FormulaError", "System", "SystemError_", "cohort_sizes", "evaluate", "explain",
    "explain_text", "list_systems", "load_system", "system_from_dict", "track_sentence", "track_statistics",
]
