"""Risk: probability of default from innovation and financial data.

Binning and WOE (``binning``), the scorecard (``Scorecard``), the LightGBM challenger (``GBMChallenger``),
calibration, the master scale, reason codes, validation and monitoring, the HTML report, artefacts and the
"看报表 vs 看技术" comparison. Method and figures: ``docs/risk.md``.
"""

from innocredit.risk.artefact import load_card, load_model, save_model
from innocredit.risk.binning import Binning, FeatureBinning
from innocredit.risk.challenger import GBMChallenger
from innocredit.risk.policy import MasterScale, PolicyError, ProtectedAttributeError
from innocredit.risk.scaling import Scaling
from innocredit.risk.scorecard import Scorecard
from innocredit.risk.scoring import score_table

__all__ = ["Binning", "FeatureBinning", "GBMChallenger", "MasterScale", "PolicyError", "ProtectedAttributeError",
           "Scaling", "Scorecard", "load_card", "load_model", "save_model", "score_table"]
