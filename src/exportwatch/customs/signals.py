"""Signals the customs load sends, for the parts that read customs' figures (the forecasts' complete panel).

``customs_changed``: sent inside the load's transaction when it wrote records, with ``periods``, the months of the
records written (inserted or changed).
"""

from __future__ import annotations

from django.dispatch import Signal

customs_changed = Signal()
