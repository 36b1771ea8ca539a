"""A case for every need filed: the web form, the API and the imports all file through ``reporting.services.
need_file``, which creates the ``Need`` in its transaction; the case is made in the same transaction.

Needs written in bulk without signals (the demo loader's ``bulk_create``) get no case here.
"""

from __future__ import annotations

from typing import Any


def on_need_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Make the case of a need just filed, as whoever filed it."""
    if not created or raw:
        return
    from exportwatch.cases.services import case_from_need

    case_from_need(instance, actor=instance.created_by)
