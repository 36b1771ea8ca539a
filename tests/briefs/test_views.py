"""The brief pages per persona: analysts and leaders preview, generate and download; everyone else is refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from exportwatch.briefs.documents import soffice
from exportwatch.briefs.models import Brief
from exportwatch.common.models import AuditEvent
from tests.conftest import World


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _generate(user: Any, kind: str = "monthly") -> Any:
    return _client(user).post(reverse("briefs:generate"), {"period": "2020-03", "kind": kind})


@pytest.mark.parametrize("persona", ["analyst", "leader", "admin"])
def test_a_bureau_reader_of_the_whole_district_sees_the_page(month: World, persona: str) -> None:
    response = _client(getattr(month, persona)).get(reverse("briefs:list"))
    assert response.status_code == 200
    assert b'action="/bureau/briefs/preview/"' in response.content


@pytest.mark.parametrize("persona", ["reporter", "town_officer", "handler"])
def test_a_role_that_never_uses_briefs_gets_403(month: World, persona: str) -> None:
    c = _client(getattr(month, persona))
    assert c.get(reverse("briefs:list")).status_code == 403
    assert c.get(reverse("briefs:preview"), {"period": "2020-03", "kind": "monthly"}).status_code == 403
    assert _generate(getattr(month, persona)).status_code == 403


def test_the_outsider_gets_404_everywhere(month: World) -> None:
    brief = _generate_as_analyst(month)
    c = _client(month.outsider)
    assert c.get(reverse("briefs:list")).status_code == 404
    assert c.get(reverse("briefs:preview"), {"period": "2020-03", "kind": "monthly"}).status_code == 404
    assert c.post(reverse("briefs:generate"), {"period": "2020-03", "kind": "monthly"}).status_code == 404
    assert c.get(reverse("briefs:download", args=[brief.pk, "docx"])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(month: World) -> None:
    response = Client().get(reverse("briefs:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_preview_shows_the_briefs_sentences_tables_and_charts(month: World) -> None:
    response = _client(month.leader).get(reverse("briefs:preview"), {"period": "2020-03", "kind": "monthly"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2020年3月外贸形势监测分析（月报）" in html
    assert "降幅最大的是美国，出口0.11万美元，同比下降15.4%，减少0.02万美元。" in html
    assert html.count("data:image/png;base64,") == 2
    assert "<caption>表：分市场出口</caption>" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_malformed_month_is_refused_with_a_message(month: World) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        said = str(translation.gettext("Give the month as YYYY-MM, e.g. 2020-03."))
    response = _client(month.analyst).get(reverse("briefs:preview"), {"period": "2020-3", "kind": "monthly"})
    assert response.status_code == 400 and said in response.content.decode()
    posted = _client(month.analyst).post(reverse("briefs:generate"), {"period": "x", "kind": "monthly"})
    assert posted.status_code == 400 and said in posted.content.decode()


def _generate_as_analyst(month: World) -> Brief:
    response = _generate(month.analyst)
    assert response.status_code == 302
    return Brief.objects.get()


def test_generating_files_the_brief_in_the_archive_with_who_and_when_audited(month: World) -> None:
    brief = _generate_as_analyst(month)
    assert (brief.period, brief.kind, brief.created_by) == ("2020-03", "monthly", month.analyst)
    assert brief.headline["exports"] == 1500.0
    assert AuditEvent.objects.filter(action="brief.generate", object_key=str(brief.pk), actor=month.analyst).exists()
    page = _client(month.leader).get(reverse("briefs:list")).content.decode()
    assert brief.title in page and reverse("briefs:download", args=[brief.pk, "docx"]) in page


def test_the_archived_word_document_downloads(month: World) -> None:
    brief = _generate_as_analyst(month)
    response = _client(month.leader).get(reverse("briefs:download", args=[brief.pk, "docx"]))
    assert response.status_code == 200
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert doc.paragraphs[0].text == brief.title


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (make system-deps)")
def test_the_archived_pdf_downloads(month: World) -> None:
    brief = _generate_as_analyst(month)
    assert brief.pdf and not brief.pdf_error
    response = _client(month.analyst).get(reverse("briefs:download", args=[brief.pk, "pdf"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_a_failed_pdf_conversion_is_kept_visible_not_silent(month: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("exportwatch.briefs.documents.soffice", lambda: None)
    response = _client(month.analyst).post(
        reverse("briefs:generate"), {"period": "2020-03", "kind": "weekly"}, follow=True
    )
    brief = Brief.objects.get()
    assert not brief.pdf and "LibreOffice" in brief.pdf_error
    assert "LibreOffice" in response.content.decode()
    assert _client(month.analyst).get(reverse("briefs:download", args=[brief.pk, "pdf"])).status_code == 404


def test_downloading_an_unknown_format_or_brief_is_404(month: World) -> None:
    brief = _generate_as_analyst(month)
    c = _client(month.analyst)
    assert c.get(reverse("briefs:download", args=[brief.pk, "xlsx"])).status_code == 404
    assert c.get(reverse("briefs:download", args=[brief.pk + 1, "docx"])).status_code == 404


def test_the_analyst_previews_and_generates_the_weekly_brief_of_a_chosen_week(
    month: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("exportwatch.briefs.documents.soffice", lambda: None)  # the .docx is enough here
    c = _client(month.analyst)
    query = {"period": "", "kind": "weekly", "week_ending": "2020-04-15"}
    preview = c.get(reverse("briefs:preview"), query)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "2020年4月9日至4月15日外贸形势监测分析（周报）" in page
    assert 'name="week_ending" value="2020-04-15"' in page
    c.post(reverse("briefs:generate"), query)
    brief = Brief.objects.get()
    assert (brief.kind, brief.period, brief.headline["week_end"]) == ("weekly", "2020-03", "2020-04-15")
    assert AuditEvent.objects.filter(action="brief.generate", new__week_ending="2020-04-15").exists()


def test_a_monthly_brief_without_its_month_or_a_bad_day_is_refused(month: World) -> None:
    c = _client(month.analyst)
    assert c.get(reverse("briefs:preview"), {"period": "", "kind": "monthly"}).status_code == 400
    assert c.get(reverse("briefs:preview"), {"kind": "weekly", "week_ending": "2020-4-x"}).status_code == 400


def test_an_outsider_cannot_preview_a_weekly_brief(month: World) -> None:
    query = {"kind": "weekly", "week_ending": "2020-04-15"}
    assert _client(month.outsider).get(reverse("briefs:preview"), query).status_code == 404
