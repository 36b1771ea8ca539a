"""The stress-test page: shocks entered or a saved scenario picked, their effect on exports (the district, its towns
and industries) and the enterprises pushed across a warning threshold; its download; saving a scenario."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from exportwatch.core.codes import parse_period
from exportwatch.core.periods import SETTLED_SHARE, period_add
from exportwatch.core.stress import HORIZON, Shock
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column
from exportwatch.stress import selectors as sel
from exportwatch.stress.adapters import shocks_of
from exportwatch.stress.forms import DIMENSION_CHOICES, ROWS, ScenarioForm, ShocksForm, shocks_initial
from exportwatch.stress.services import scenario_create, scenario_delete
from exportwatch.warnings.labels import RULE_LABELS, rule_value_shown
from exportwatch.warnings.models import Level

EXAMPLE = [Shock("market", "US", -0.3, HORIZON)]


def _require(request: HttpRequest) -> None:
    if not sel.may_run(request.user):
        raise Http404


def _level_label(level: str | None) -> str:
    return str(Level(level).label) if level else _("none")


@login_required
def stress_page(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    _require(request)
    latest = sel.stress_latest(request.user)
    default = sel.stress_origin(request.user)
    period = request.GET.get("period", "").strip() or default
    if parse_period(period) is None or period > latest:
        raise Http404
    scenario = None
    if request.GET.get("scenario"):
        try:
            scenario = sel.scenario_get(request.user, int(request.GET["scenario"]))
        except ValueError:
            raise Http404 from None
        if scenario is None:
            raise Http404
        shocks = shocks_of(scenario.shocks)
        form = ShocksForm(initial=shocks_initial(shocks))
    elif any(request.GET.get(f"k{i}") for i in range(ROWS)):
        form = ShocksForm(request.GET)
        shocks = form.cleaned_data["shocks"] if form.is_valid() else []
    else:
        shocks = []
        form = ShocksForm(initial=shocks_initial(EXAMPLE))
    view = sel.stress_view(request.user, period=period, shocks=shocks) if shocks else None
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS or view is None:
            raise Http404
        return list_download(fmt, f"stress-{period}", _columns(view), _rows(view), sheet_name=_("Stress test"))
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in request.GET.items() if k != "format" and v})
    return render(
        request,
        "stress/page.html",
        {
            "period": period,
            "default_period": default,
            "settled_share": round(SETTLED_SHARE * 100),
            # A later month whose reports are coming in: offered, not the default (its book is the early reporters').
            "coming_in": latest if latest > default else None,
            "periods": [period_add(latest, -back) for back in range(24)],
            "form": form,
            "save_form": ScenarioForm(),
            "scenario": scenario,
            "scenarios": sel.scenarios_visible(request.user),
            "may_save": sel.may_save(request.user),
            "view": view,
            "listed": sel.LISTED,
            "query": query.urlencode(),
            "months": range(1, HORIZON + 1),
            "codes": sel.shock_codes(),
            "shock_rows": _shock_rows(view) if view else [],
            "district": _scope(view, view.district) if view else None,
            "towns": [_scope(view, o) for o in view.towns] if view else [],
            "industries": [_scope(view, o) for o in view.industries] if view else [],
            "chart": _chart(view) if view else None,
            "pushed": [(lv, _level_label(lv), n) for lv, n in view.pushed] if view else [],
            "rows": _enterprise_rows(view)[: sel.LISTED] if view else [],
            "rule_labels": [str(RULE_LABELS.get(r, r)) for r in view.rules] if view else [],
            "not_projected": [str(RULE_LABELS.get(r, r)) for r in view.not_projected] if view else [],
        },
    )


def _scope(view: sel.StressView, o: sel.ScopeRow) -> dict[str, Any]:
    return {
        "o": o,
        "months": list(zip(view.periods, o.baseline, o.shocked, o.year_ago, strict=True)),
        "baseline": sum(o.baseline),
        "shocked": sum(o.shocked),
        "level_before": _level_label(o.level_before),
        "level_after": _level_label(o.level_after),
    }


def _chart(view: sel.StressView) -> dict[str, Any]:
    """The projected months of the district (or the reader's enterprises): a year before, without and with the
    shocks, in 10,000 USD."""

    def wan(values: tuple[float | None, ...]) -> list[float | None]:
        return [None if v is None else round(v / 10_000, 1) for v in values]

    d = view.district
    return {
        "type": "bar",
        "categories": list(view.periods),
        "series": [
            {"name": _("A year before"), "values": wan(d.year_ago)},
            {"name": _("Without the shocks"), "values": wan(d.baseline)},
            {"name": _("With the shocks"), "values": wan(d.shocked)},
        ],
        "unit": _("10k USD"),
    }


def _shock_rows(view: sel.StressView) -> list[dict[str, Any]]:
    labels = dict(DIMENSION_CHOICES)
    return [
        {
            "dimension": labels[s.dimension],
            "key": s.key,
            "name": view.shock_names.get((s.dimension, s.key), s.key),
            "change": f"{s.change * 100:+.0f} %",
            "months": s.months,
        }
        for s in view.shocks
    ]


def _enterprise_rows(view: sel.StressView) -> list[dict[str, Any]]:
    return [
        {
            "row": r,
            "crossings": [
                {
                    "rule": str(RULE_LABELS.get(c.rule, c.rule)),
                    "before": rule_value_shown(c.rule, c.before),
                    "after": rule_value_shown(c.rule, c.after),
                    "level_after": c.level_after,
                    "level_label": _level_label(c.level_after),
                    "threshold": rule_value_shown(c.rule, c.threshold),
                }
                for c in r.crossings
            ],
            "level_before": _level_label(r.level_before),
            "level_after": _level_label(r.level_after),
        }
        for r in view.rows
    ]


def _columns(view: sel.StressView) -> list[Column]:
    months = [
        (f"baseline_{i + 1}_usd", _("%(month)s without the shocks (USD)") % {"month": p})
        for i, p in enumerate(view.periods)
    ] + [
        (f"shocked_{i + 1}_usd", _("%(month)s with the shocks (USD)") % {"month": p})
        for i, p in enumerate(view.periods)
    ]
    return [
        ("section", _("Section")),
        ("code", _("Code")),
        ("name", _("Name")),
        ("enterprises", pgettext("stress", "Enterprises")),
        *months,
        ("loss_usd", _("Exports lost (USD)")),
        ("change", _("Change (fraction)")),
        ("level_before", _("Level without the shocks")),
        ("level_after", _("Level with the shocks")),
        ("thresholds_crossed", _("Thresholds crossed")),
        ("whitelist", _("On the white list")),
    ]


def _usd(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _fraction(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(f"{value:.4f}")


def _rows(view: sel.StressView) -> Iterator[list[Any]]:
    """One table: the shocks, then the district, its towns and industries, then every enterprise pushed across a
    threshold (each a section). Amounts and fractions as decimals, the cells the CSV writer knows."""
    blank = [None] * (2 * len(view.periods))
    for s in view.shocks:
        yield [_("shock"), s.key, view.shock_names.get((s.dimension, s.key), s.key), None, *blank, None,
               _fraction(s.change), None, None, _("%(months)s months") % {"months": s.months}, None]  # fmt: skip
    sections = [(_("all"), [view.district])]
    sections += [(_("town"), view.towns), (_("industry"), view.industries)]
    for section, scopes in sections:
        for o in scopes:
            yield [section, o.key, o.name or view.scope_name, o.enterprises, *map(_usd, o.baseline), *map(_usd, o.shocked),
                   _usd(o.loss), _fraction(o.change),
                   _level_label(o.level_before), _level_label(o.level_after), "", None]  # fmt: skip
    for r in view.rows:
        crossed = "; ".join(
            f"{RULE_LABELS.get(c.rule, c.rule)}: {rule_value_shown(c.rule, c.before)} → {rule_value_shown(c.rule, c.after)} "
            f"({_level_label(c.level_after)} {rule_value_shown(c.rule, c.threshold)})"
            for c in r.crossings
        )
        change = None if r.baseline == 0 else r.shocked / r.baseline - 1
        yield [_("enterprise"), r.uscc, r.name, 1, *blank, _usd(r.baseline - r.shocked), _fraction(change),
               _level_label(r.level_before), _level_label(r.level_after), crossed, r.whitelist]  # fmt: skip


@require_POST
@login_required
def scenario_save(request: HttpRequest) -> HttpResponse:
    _require(request)
    if not sel.may_save(request.user):
        raise Http404
    shocks_form, form = ShocksForm(request.POST), ScenarioForm(request.POST)
    if shocks_form.is_valid() and form.is_valid() and shocks_form.cleaned_data["shocks"]:
        scenario = scenario_create(
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            shocks=shocks_form.cleaned_data["shocks"],
            actor=request.user,
        )
        messages.success(request, _("Scenario “%(name)s” saved.") % {"name": scenario.name})
        return redirect(reverse("stress:page") + f"?scenario={scenario.pk}")
    messages.error(request, _("The scenario was not saved: give it a name and at least one valid shock."))
    return redirect(reverse("stress:page"))


@require_POST
@login_required
def scenario_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    scenario = sel.scenario_get(request.user, pk)
    if scenario is None or not sel.may_save(request.user):
        raise Http404
    scenario_delete(scenario=scenario, actor=request.user)
    messages.success(request, _("Scenario “%(name)s” deleted.") % {"name": scenario.name})
    return redirect(reverse("stress:page"))
