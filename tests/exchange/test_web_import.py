"""Import on the web: upload, dry run, the problem list, re-runs without a new upload, large files in the background,
and who may see what."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from exportwatch.common.problems import problem_message
from exportwatch.core.records import Problem
from exportwatch.exchange import views_import
from exportwatch.exchange.jobs import handle_one_import
from exportwatch.exchange.models import ImportJob
from exportwatch.reporting.models import Report
from tests.conftest import World

HEADER = (
    "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
    "new_orders_trend,outlook_3m\n"
)


def row(uscc: str, period: str = "2020-03", exports: str = "100000") -> str:
    return f"{uscc},{period},{exports},80000,500000,300000,75,down,same\n"


def upload(client: Client, content: str | bytes, *, name: str = "reports.csv", **options: bool) -> Any:
    data = content.encode("utf-8") if isinstance(content, str) else content
    payload: dict[str, Any] = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    payload.update({key: "on" for key, on in options.items() if on})
    return client.post(reverse("exchange:import"), payload)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def job_page(client: Client, job: ImportJob) -> str:
    response = client.get(reverse("exchange:import_job", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def press(client: Client, job: ImportJob, action: str) -> ImportJob:
    response = client.post(reverse("exchange:import_job", args=[job.pk]), {"action": action})
    assert response.status_code == 302
    new = last_job()
    assert new.pk != job.pk
    assert response["Location"] == reverse("exchange:import_job", args=[new.pk])
    return new


# --- The upload page ---------------------------------------------------------------------------------------


def test_the_upload_page_offers_the_options_and_links_the_templates(world: World) -> None:
    response = login(world.reporter).get(reverse("exchange:import"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html
    assert 'accept=".xlsx,.xls,.csv"' in html
    for name in ("dry_run", "valid_rows_only", "confirm_units"):
        assert f'name="{name}"' in html
    assert reverse("exchange:templates") in html


def test_an_anonymous_visitor_is_sent_to_the_login(world: World) -> None:
    response = Client().get(reverse("exchange:import"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["handler", "leader"])
def test_who_reports_for_no_enterprise_gets_404(world: World, persona: str) -> None:
    client = login(getattr(world, persona))

    assert client.get(reverse("exchange:import")).status_code == 404
    assert upload(client, HEADER + row(world.ent_a.uscc)).status_code == 404
    assert not ImportJob.objects.exists()


# --- A bad cell, then the corrected file -------------------------------------------------------------------


def test_a_bad_cell_is_listed_by_row_column_and_message_in_chinese_and_nothing_is_written(world: World) -> None:
    client = login(world.reporter)

    response = upload(client, HEADER + row(world.ent_a.uscc, "2020-02") + row(world.ent_a.uscc, exports="12x4"))

    job = last_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:import_job", args=[job.pk])
    assert (job.state, job.status, job.language) == ("done", "problems", "zh-hans")
    assert job.result["problem_count"] == 1
    problem = job.result["problems"][0]
    assert (problem["row"], problem["column"], problem["col"]) == (3, "exports_usd", 3)
    with translation.override("zh-hans"):
        expected = problem_message(Problem("exports_usd", "not_a_number", (("value", "12x4"),)))
    assert problem["message"] == expected
    html = job_page(client, job)
    assert "<code>exports_usd</code>" in html
    assert '<td class="num">3</td>' in html
    assert escape(expected) in html
    assert "C3" in html
    assert not Report.objects.exists()


def test_the_corrected_file_imports_and_the_reports_appear(world: World) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc, "2020-02") + row(world.ent_a.uscc, exports="12x4"))

    upload(client, HEADER + row(world.ent_a.uscc, "2020-02") + row(world.ent_a.uscc, exports="124000"))

    job = last_job()
    assert (job.state, job.status) == ("done", "imported")
    assert job.result["written"]["reports"] == 2
    assert sorted(Report.objects.filter(enterprise=world.ent_a).values_list("period", flat=True)) == [
        "2020-02",
        "2020-03",
    ]
    html = job_page(client, job)
    assert "alert-success" in html
    assert "import_now" not in html


def test_a_file_of_another_enterprise_is_refused_for_a_reporter(world: World) -> None:
    client = login(world.reporter)

    upload(client, HEADER + row(world.ent_c.uscc))

    job = last_job()
    assert job.status == "problems"
    assert job.result["problems"][0]["column"] == "uscc"
    assert not Report.objects.exists()


def test_a_town_officer_imports_for_the_enterprises_of_the_town(world: World) -> None:
    client = login(world.town_officer)

    upload(client, HEADER + row(world.ent_a.uscc) + row(world.ent_b.uscc))

    assert last_job().status == "imported"
    assert Report.objects.filter(period="2020-03").count() == 2


# --- Dry run and the valid rows ----------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_offers_import_now(world: World) -> None:
    client = login(world.reporter)

    upload(client, HEADER + row(world.ent_a.uscc), dry_run=True)

    job = last_job()
    assert (job.dry_run, job.status) == (True, "checked")
    assert not Report.objects.exists()
    html = job_page(client, job)
    assert 'value="import_now"' in html
    assert job.result["written"]["reports"] == 1  # would be written

    new = press(client, job, "import_now")

    assert (new.dry_run, new.status) == (False, "imported")
    assert new.file_name == job.file_name
    assert Report.objects.filter(enterprise=world.ent_a, period="2020-03").exists()


def test_the_valid_rows_option_imports_them_and_lists_the_skipped(world: World) -> None:
    client = login(world.reporter)

    upload(
        client, HEADER + row(world.ent_a.uscc, "2020-02") + row(world.ent_a.uscc, exports="12x4"), valid_rows_only=True
    )

    job = last_job()
    assert job.status == "partial"
    assert [p["row"] for p in job.result["skipped"]] == [3]
    assert list(Report.objects.values_list("period", flat=True)) == ["2020-02"]
    html = job_page(client, job)
    assert 'id="skipped-title"' in html
    assert 'value="valid_rows"' not in html


def test_after_a_failed_import_the_valid_rows_are_imported_without_a_new_upload(world: World) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc, "2020-02") + row(world.ent_a.uscc, exports="12x4"))
    failed = last_job()
    assert 'value="valid_rows"' in job_page(client, failed)

    new = press(client, failed, "valid_rows")

    assert (new.valid_rows_only, new.status) == (True, "partial")
    assert bytes(new.file) == bytes(failed.file)
    assert list(Report.objects.values_list("period", flat=True)) == ["2020-02"]


def test_an_action_not_offered_is_refused(world: World) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc))
    done = last_job()

    response = client.post(reverse("exchange:import_job", args=[done.pk]), {"action": "import_now"})

    assert response.status_code == 302
    assert last_job().pk == done.pk


def test_a_suspected_unit_mistake_waits_for_confirmation(world: World) -> None:
    client = login(world.reporter)
    # ent_a exported 12,000,000 USD last year: 1,000,000 a month; 10,000 times that is a 万美元 mistake.
    upload(client, HEADER + row(world.ent_a.uscc, exports="10000000000"))

    job = last_job()
    assert job.status == "confirm"
    assert job.result["warnings"][0]["column"] == "exports_usd"
    assert not Report.objects.exists()
    assert 'value="confirm_units"' in job_page(client, job)

    new = press(client, job, "confirm_units")

    assert (new.confirm_units, new.status) == (True, "imported")
    assert Report.objects.get(enterprise=world.ent_a, period="2020-03").exports_usd == 10_000_000_000


def test_the_confirmation_can_be_given_with_the_upload(world: World) -> None:
    client = login(world.reporter)

    upload(client, HEADER + row(world.ent_a.uscc, exports="10000000000"), confirm_units=True)

    assert last_job().status == "imported"
    assert Report.objects.filter(enterprise=world.ent_a).exists()


# --- The annotated workbook --------------------------------------------------------------------------------


def test_the_workbook_comes_back_with_the_problems_marked(world: World) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc, exports="12x4"), name="订单.csv")
    job = last_job()
    assert reverse("exchange:import_annotated", args=[job.pk]) in job_page(client, job)

    response = client.get(reverse("exchange:import_annotated", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/")
    assert "attachment" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


def test_the_job_builds_the_marked_workbook_so_the_download_does_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc, exports="12x4"), name="订单.csv")
    job = ImportJob.objects.get(pk=last_job().pk)
    assert job.annotated is not None and bytes(job.annotated)[:2] == b"PK"
    assert job.annotated_name.endswith(".xlsx")

    def not_again(*args: object) -> None:
        raise AssertionError("built again in the request")

    monkeypatch.setattr(views_import, "annotate", not_again)
    response = client.get(reverse("exchange:import_annotated", args=[job.pk]))
    assert response.status_code == 200
    assert response.content == bytes(job.annotated)


def test_there_is_no_marked_workbook_without_problems(world: World) -> None:
    client = login(world.reporter)
    upload(client, HEADER + row(world.ent_a.uscc))
    job = last_job()

    assert reverse("exchange:import_annotated", args=[job.pk]) not in job_page(client, job)
    assert client.get(reverse("exchange:import_annotated", args=[job.pk])).status_code == 404


# --- Who may see a job -------------------------------------------------------------------------------------


def test_another_users_job_is_404(world: World) -> None:
    upload(login(world.reporter), HEADER + row(world.ent_a.uscc, exports="12x4"))
    job = last_job()

    for persona in ("other_reporter", "town_officer", "outsider"):
        client = login(getattr(world, persona))
        for name in ("exchange:import_job", "exchange:import_progress", "exchange:import_annotated"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (persona, name)
        assert client.post(reverse("exchange:import_job", args=[job.pk]), {"action": "valid_rows"}).status_code == 404
    assert ImportJob.objects.count() == 1


def test_an_administrator_sees_a_job_but_cannot_rerun_it(world: World) -> None:
    upload(login(world.reporter), HEADER + row(world.ent_a.uscc, exports="12x4"))
    job = last_job()
    admin = login(world.admin)

    assert 'value="valid_rows"' not in job_page(admin, job)
    assert admin.post(reverse("exchange:import_job", args=[job.pk]), {"action": "valid_rows"}).status_code == 404


# --- Size limit and large files ----------------------------------------------------------------------------


@override_settings(EXPORTWATCH_IMPORT_MAX_MB=1)
def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(world: World) -> None:
    client = login(world.reporter)
    big = (HEADER + row(world.ent_a.uscc)).encode() + b"\n" * (1024 * 1024 + 10)

    response = upload(client, big)

    assert response.status_code == 400
    assert "1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Report.objects.exists()


def test_a_large_file_is_queued_and_the_worker_imports_it(world: World) -> None:
    client = login(world.reporter)
    rows = "".join(row(world.ent_a.uscc, f"2019-{m:02d}") for m in range(1, 13))
    big = (HEADER + rows).encode() + b"\n" * (1024 * 1024 + 10)  # blank lines: over 1 MB, still 12 rows

    response = upload(client, big)

    job = last_job()
    assert response["Location"] == reverse("exchange:import_job", args=[job.pk])
    assert job.state == "queued"
    html = job_page(client, job)
    assert "<progress" in html
    assert f'hx-get="{reverse("exchange:import_progress", args=[job.pk])}"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "django_htmx/htmx-2.min.js" in html

    assert handle_one_import(worker="t") is True

    job.refresh_from_db()
    assert (job.state, job.status, job.claimed_by) == ("done", "imported", "t")
    assert job.progress_done == job.progress_total
    assert job.progress_total >= 12
    assert Report.objects.filter(enterprise=world.ent_a).count() == 12
    assert handle_one_import(worker="t") is False
    assert "<progress" not in job_page(client, job)


def test_the_progress_fragment_shows_the_counts_and_reloads_the_page_when_done(world: World) -> None:
    client = login(world.reporter)
    big = (HEADER + row(world.ent_a.uscc)).encode() + b"\n" * (1024 * 1024 + 10)
    upload(client, big)
    job = last_job()
    url = reverse("exchange:import_progress", args=[job.pk])
    ImportJob.objects.filter(pk=job.pk).update(state="running", progress_done=250, progress_total=1000)

    running = client.get(url, headers={"HX-Request": "true"})

    assert running.status_code == 200
    assert 'value="250"' in running.content.decode()
    assert 'max="1000"' in running.content.decode()
    assert "HX-Refresh" not in running

    ImportJob.objects.filter(pk=job.pk).update(state="queued")
    handle_one_import(worker="t")
    finished = client.get(url, headers={"HX-Request": "true"})

    assert finished["HX-Refresh"] == "true"


def test_the_upload_is_protected_against_cross_site_posts(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)

    response = upload(client, HEADER + row(world.ent_a.uscc))

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


@override_settings(EXPORTWATCH_IMPORT_MAX_MB=1)
def test_an_oversized_upload_is_cut_off_while_it_is_read(world: World) -> None:
    client = login(world.reporter)
    big = b"x" * (3 * 1024 * 1024)

    response = upload(client, big)

    assert response.status_code == 400
    assert response.context["form"].cut_off is True
    assert not ImportJob.objects.exists()


@override_settings(EXPORTWATCH_IMPORT_MAX_MB=1)
def test_a_browser_sending_an_oversized_file_gets_the_size_message_not_a_csrf_error(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    client.get(reverse("exchange:import"))
    token = client.cookies["csrftoken"].value
    payload = {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("big.csv", b"x" * (3 * 1024 * 1024))}

    response = client.post(reverse("exchange:import"), payload)

    assert response.status_code == 400
    assert response.context["form"].cut_off is True


def test_a_workbook_problem_names_its_sheet(world: World) -> None:

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "三月"
    sheet.append(HEADER.strip().split(","))
    sheet.append(row(world.ent_a.uscc, exports="12x4").strip().split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    client = login(world.reporter)

    upload(client, buffer.getvalue(), name="订单.xlsx")

    job = last_job()
    assert job.status == "problems"
    assert (job.result["problems"][0]["sheet"], job.result["problems"][0]["row"]) == ("三月", 2)
    html = job_page(client, job)
    assert "<td>三月</td>" in html
    assert "C2" in html
