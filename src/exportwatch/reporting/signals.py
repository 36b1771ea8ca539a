"""Signals the reporting writes send, for the parts that derive data from the reports (the warnings).

``reports_changed``: sent inside the writer's transaction after reports became current, with ``changes``, a list of
``(enterprise_id, period)``. A receiver that writes does so in the same transaction: when the submission or import
returns, what it derives is up to date.
"""

from __future__ import annotations

from django.dispatch import Signal

reports_changed = Signal()
