"""Inter-coder reliability: agreement coefficients and agreement tables.

Coefficients are plain functions returning a float (:mod:`cmqual.reliability.metrics`):
:func:`percent_agreement`, :func:`cohen_kappa`, :func:`scotts_pi`, :func:`fleiss_kappa`,
:func:`krippendorff_alpha`, :func:`gwet_ac1` and :func:`brennan_prediger`. They take a
units x coders table (one row per unit, one column per coder, NaN for a missing rating)
or a long table with columns ``unit``, ``coder``, ``value``. An undefined coefficient is
``nan`` with an :class:`UndefinedMetricWarning` saying why; malformed input raises
:class:`~cmqual.errors.ReliabilityError` naming the argument.

Confidence intervals come separately from :func:`bootstrap_ci` (seeded percentile
bootstrap), so every metric has one return type.

From codings: :func:`presence_table` turns codings and segments into unit x coder 0/1
tables at segment, document or character level; :func:`agreement_table` scores every
code; :func:`disagreement_table` lists disputed units and :func:`write_disagreements`
saves them as CSV, XLSX or HTML.
"""

from cmqual.reliability._input import to_units_by_coders
from cmqual.reliability.agreement import (
    AUTO_CODER,
    POOLED,
    agreement_table,
    disagreement_table,
    write_disagreements,
)
from cmqual.reliability.bootstrap import BootstrapCI, bootstrap_ci
from cmqual.reliability.metrics import (
    UndefinedMetricWarning,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scotts_pi,
)
from cmqual.reliability.presence import presence_table, roll_up_codes

__all__ = [
    "AUTO_CODER",
    "POOLED",
    "BootstrapCI",
    "UndefinedMetricWarning",
    "agreement_table",
    "bootstrap_ci",
    "brennan_prediger",
    "cohen_kappa",
    "disagreement_table",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "presence_table",
    "roll_up_codes",
    "scotts_pi",
    "to_units_by_coders",
    "write_disagreements",
]
