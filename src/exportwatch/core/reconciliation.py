"""Reconciliation: what an enterprise reported as exported against what customs recorded (DESIGN §6).

For one enterprise and one month:

* ``difference = reported − customs`` (USD);
* ``ratio = reported / customs``, rounded half-up to 4 decimal places (``None`` when customs is 0);
* the two **disagree** when ``|reported − customs| / max(reported, customs) > tolerance``: the gap as a share of
  the larger figure, so 100 against 125 is a gap of 20 % either way round.

When one side has no figure at all (no report for the month, or no customs record), nothing is compared: the
status says which side is missing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

AGREE = "agree"
DISAGREE = "disagree"
NO_REPORT = "no_report"  # customs recorded exports, the enterprise filed no report for the month
NO_CUSTOMS = "no_customs"  # the enterprise reported, customs has no record for it that month
STATUSES = (DISAGREE, NO_REPORT, NO_CUSTOMS, AGREE)

RATIO_PLACES = Decimal("0.0001")


class Reconciled(NamedTuple):
    """The outcome of :func:`reconcile`; unpacks as ``(difference, ratio, status)``."""

    difference: Decimal | None  # reported − customs, USD; None when a side is missing
    ratio: Decimal | None  # reported / customs; None when a side is missing or customs is 0
    status: str  # one of STATUSES


def reconcile(reported: Decimal | None, customs: Decimal | None, *, tolerance: Decimal) -> Reconciled:
    """Compare one enterprise's reported exports with its customs exports for one month.

    Args:
        reported: Exports in the enterprise's current report (USD), or ``None`` without a report.
        customs: Sum of the enterprise's customs export records (USD), or ``None`` without any record.
        tolerance: The share (0.2 = 20 %) by which the figures may differ before they disagree.

    Returns:
        ``Reconciled(difference, ratio, status)``. Both zero agree; a zero against a positive figure disagrees
        (the gap is the whole of the larger figure).

    Raises:
        ValueError: when both figures are missing (there is nothing to reconcile) or ``tolerance`` is negative.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must not be negative: {tolerance}")
    if reported is None and customs is None:
        raise ValueError("nothing to reconcile: neither a report nor customs records")
    if reported is None:
        return Reconciled(difference=None, ratio=None, status=NO_REPORT)
    if customs is None:
        return Reconciled(difference=None, ratio=None, status=NO_CUSTOMS)
    difference = reported - customs
    ratio = None if customs == 0 else (reported / customs).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    larger = max(reported, customs)
    # |d| / larger > tolerance, without dividing (exact, and no special case for larger == 0).
    status = DISAGREE if abs(difference) > tolerance * larger else AGREE
    return Reconciled(difference=difference, ratio=ratio, status=status)


def gap(reported: Decimal | None, customs: Decimal | None) -> Decimal:
    """How far apart the two figures are, a missing one counted as 0: the order of the reconciliation list."""
    return abs((reported or Decimal(0)) - (customs or Decimal(0)))
