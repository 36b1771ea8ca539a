"""A brief as a Word document (python-docx) and as PDF (LibreOffice converting that document)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from exportwatch.briefs.charts import chart_png
from exportwatch.briefs.selectors import BriefContent

FONT = "宋体"
HEADING_FONT = "黑体"
PDF_TIMEOUT = 180  # seconds


class ConversionError(RuntimeError):
    """LibreOffice is missing or failed to convert the document."""


def _east_asian(run: object, name: str) -> None:
    run.font.name = name  # type: ignore[attr-defined]
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)  # type: ignore[attr-defined]


def brief_docx(content: BriefContent) -> bytes:
    """The brief as ``.docx`` bytes: a title, one heading per section with its paragraphs, charts and tables."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.font.name = FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    title = doc.add_heading(level=0)
    run = title.add_run(content.title)
    run.font.size = Pt(20)
    _east_asian(run, HEADING_FONT)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(content.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in content.sections:
        heading = doc.add_heading(level=1)
        _east_asian(heading.add_run(section.heading), HEADING_FONT)
        for text in section.paragraphs:
            p = doc.add_paragraph(text)
            p.paragraph_format.first_line_indent = Pt(22)
        for chart in section.charts:
            doc.add_picture(io.BytesIO(chart_png(chart)), width=Cm(16))
        for table in section.tables:
            doc.add_paragraph(table.caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
            grid = doc.add_table(rows=1, cols=len(table.header))
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in table.rows:
                for cell, text in zip(grid.add_row().cells, row, strict=True):
                    cell.text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def soffice() -> str | None:
    """The LibreOffice program (``make system-deps`` installs it), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes) -> bytes:
    """Converts ``.docx`` bytes to PDF with LibreOffice headless, in a private profile so runs never clash.

    Raises:
        ConversionError: without LibreOffice, or when it fails or times out.
    """
    program = soffice()
    if program is None:
        raise ConversionError("LibreOffice (soffice) is not installed: run `make system-deps`")
    with tempfile.TemporaryDirectory(prefix="exportwatch-brief-") as tmp:
        work = Path(tmp)
        source = work / "brief.docx"
        source.write_bytes(docx)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as e:
            raise ConversionError("LibreOffice took too long to convert the brief") from e
        target = work / "brief.pdf"
        if done.returncode != 0 or not target.exists():
            raise ConversionError(f"LibreOffice failed: {done.stderr.decode(errors='replace')[-500:]}")
        return target.read_bytes()
