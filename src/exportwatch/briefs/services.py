"""Writes of the briefs app: generating a brief and keeping it in the archive (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from exportwatch.briefs.documents import ConversionError, brief_docx, docx_to_pdf
from exportwatch.briefs.models import Brief
from exportwatch.briefs.selectors import brief_content
from exportwatch.common import clock
from exportwatch.common.audit import audit_record


def brief_generate(*, period: str | None, kind: str, actor: Any, week_ending: dt.date | None = None) -> Brief:
    """Writes the brief of ``period`` (a weekly one: of the week ending on ``week_ending``, see ``brief_content``)
    as ``.docx`` and PDF and files it in the archive.

    The PDF is converted by LibreOffice; when that fails the brief is kept with its ``.docx`` and the reason in
    ``pdf_error`` (shown on the archive page), never silently.

    Raises:
        ValueError: on an unknown kind or a malformed period.
    """
    content = brief_content(period=period, kind=kind, reader=actor, week_ending=week_ending)
    period = content.period
    docx = brief_docx(content)
    pdf: bytes | None = None
    error = ""
    try:
        pdf = docx_to_pdf(docx)
    except ConversionError as e:
        error = str(e)[:500]
    stamp = clock.now()
    week = f"-{content.headline['week_end']}" if kind == "weekly" else ""
    name = f"briefs/{period}-{kind}{week}-{stamp:%Y%m%d%H%M%S}"
    with transaction.atomic():
        brief = Brief(
            period=period,
            kind=kind,
            title=content.title,
            pdf_error=error,
            headline=content.headline,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=stamp,
        )
        brief.docx.save(f"{name}.docx", ContentFile(docx), save=False)
        if pdf is not None:
            brief.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        brief.save()
        audit_record(
            actor=actor,
            action="brief.generate",
            object_type="brief",
            object_key=str(brief.pk),
            new={
                "period": period,
                "kind": kind,
                "week_ending": content.headline.get("week_end"),
                "pdf": pdf is not None,
            },
            note=error,
        )
    return brief
