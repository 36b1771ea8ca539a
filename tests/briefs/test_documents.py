"""The brief as files: the .docx opens and holds its headings, tables and charts; the PDF has pages with Chinese
text on them; the command writes either."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from docx import Document

from exportwatch.briefs.documents import brief_docx, docx_to_pdf, soffice
from exportwatch.briefs.selectors import BriefContent, brief_content
from tests.conftest import World

NOW = dt.datetime(2020, 4, 15, 10, 0, tzinfo=dt.UTC)
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (make system-deps)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) is not installed",
)


@pytest.fixture
def monthly(month: World) -> BriefContent:
    return brief_content(period="2020-03", kind="monthly", now=NOW)


def test_the_docx_opens_with_the_title_headings_tables_and_charts(monthly: BriefContent) -> None:
    doc = Document(io.BytesIO(brief_docx(monthly)))
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Title"] == [monthly.title]
    assert headings == [s.heading for s in monthly.sections]
    assert len(doc.tables) == sum(len(s.tables) for s in monthly.sections)
    markets = doc.tables[1]
    assert [c.text for c in markets.rows[0].cells][:2] == ["市场", "出口（万美元）"]
    assert [c.text for c in markets.rows[1].cells][:3] == ["美国", "0.1", "73.3%"]
    assert len(doc.inline_shapes) == 2  # the trend and the markets
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "降幅最大的是美国，出口0.11万美元，同比下降15.4%，减少0.02万美元。" in body


def test_the_charts_are_png_images(monthly: BriefContent) -> None:
    doc = Document(io.BytesIO(brief_docx(monthly)))
    images = [r.target_part for r in doc.part.rels.values() if "image" in r.reltype]
    assert images and all(part.blob.startswith(b"\x89PNG") for part in images)


@needs_soffice
@needs_poppler
def test_the_pdf_has_pages_with_the_chinese_text(monthly: BriefContent, tmp_path: Path) -> None:
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(docx_to_pdf(brief_docx(monthly)))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    assert len(list(tmp_path.glob("page*.png"))) >= 2
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60).stdout.decode()
    flat = "".join(text.split())  # the PDF's text spaces Latin from Chinese and wraps lines
    assert "2020年3月外贸形势监测分析" in flat
    assert "降幅最大的是美国" in flat


def test_the_command_writes_the_docx(month: World, tmp_path: Path) -> None:
    out = tmp_path / "brief.docx"
    call_command("brief", "--period", "2020-03", "--kind", "monthly", "-o", str(out), stdout=io.StringIO())
    assert Document(str(out)).paragraphs[0].text == "2020年3月外贸形势监测分析（月报）"


@needs_soffice
def test_the_command_writes_the_pdf(month: World, tmp_path: Path) -> None:
    out = tmp_path / "brief.pdf"
    call_command("brief", "--period", "2020-03", "--kind", "weekly", "-o", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"%PDF")


def test_the_command_refuses_another_file_type_and_a_bad_month(month: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"\.docx or \.pdf"):
        call_command("brief", "--period", "2020-03", "-o", str(tmp_path / "brief.txt"))
    with pytest.raises(CommandError):
        call_command("brief", "--period", "2020-3x", "-o", str(tmp_path / "brief.docx"))
