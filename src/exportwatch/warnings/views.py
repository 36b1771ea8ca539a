"""Warning pages: the list by level and scope, a warning with its evidence, action and lifecycle, and the rules."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from exportwatch.accounts.models import Role
from exportwatch.common.scoping import can_see_bureau_pages, is_admin, sees_everything
from exportwatch.core.codes import parse_period
from exportwatch.core.detectors import DETECTORS, EWMA, PEER
from exportwatch.core.detectors import chart as detector_chart
from exportwatch.core.warning_lifecycle import TRANSITIONS, recommended_actions
from exportwatch.core.warning_rules import LEVELS
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column
from exportwatch.monitoring.selectors import dimension_names
from exportwatch.warnings import selectors as sel
from exportwatch.warnings.facts import DETECTOR_MONTHS, evidence_series
from exportwatch.warnings.labels import BASE_LABELS, RULE_LABELS, SYSTEMIC_RULE, rule_value_shown
from exportwatch.warnings.models import Level, PendingMonth, RuleTrackRecord, RuleVersion, Scope, Status, Warning
from exportwatch.warnings.services import (
    TransitionRefused,
    rule_version_create,
    rules_current,
    warning_transition,
)

PER_PAGE = 100
NAMED_DIMENSIONS = {"market": "market", "market_group": "group", "hs": "hs", "industry": "industry", "town": "town"}
SCOPE_ORDER = ("district", "market_group", "market", "hs", "industry", "town", "enterprise")  # widest first

ACTION_LABELS = {
    "visit": gettext_lazy("A visit by the town officer: confirm the orders, the cash and what help is needed."),
    "white_list": gettext_lazy("Put it on the financing white list and refer it to the cooperating banks."),
    "credit_insurance": gettext_lazy("Export credit insurance for its receivables in its main market."),
    "market_diversify": gettext_lazy("Help it find other markets: fairs, online matchmaking."),
    "sector_meeting": gettext_lazy("Meet the enterprises of this industry or town; brief the leaders."),
    "market_brief": gettext_lazy(
        "Brief the exposed enterprises on this market; promote credit insurance for their receivables."
    ),
    "systemic_response": gettext_lazy("Report upward and co-ordinate a package of measures across departments."),
}
COMPONENT_LABELS = {
    "weighted_share": gettext_lazy("Share of enterprises at orange or worse, weighted by last year's exports"),
    "di_run": gettext_lazy("Months in a row with the diffusion index below 50"),
    "market_breadth": gettext_lazy("Share of markets in warning"),
    "industry_breadth": gettext_lazy("Share of industries in warning"),
    "target_gap": gettext_lazy("Gap of the forecast to the annual target"),
}


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise Http404


def _may_edit_rules(user: Any) -> bool:
    return is_admin(user) or getattr(user, "role", "") == Role.ANALYST


def _may_handle(user: Any) -> bool:
    return is_admin(user) or getattr(user, "role", "") in (Role.ANALYST, Role.TOWN_OFFICER)


def _latest_period(qs: Any) -> str | None:
    latest: str | None = qs.order_by("-period").values_list("period", flat=True).first()
    return latest


@login_required
def warning_list(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    _require_bureau(request)
    visible = sel.warnings_visible(request.user)
    period = request.GET.get("period", "").strip() or _latest_period(visible) or ""
    if period and parse_period(period) is None:
        raise Http404
    level = request.GET.get("level", "")
    scope = request.GET.get("scope", "")
    status = request.GET.get("status", "")
    show = request.GET.get("show", "active")
    if (level and level not in Level.values) or (scope and scope not in Scope.values):
        raise Http404
    if (status and status not in Status.values) or show not in ("active", "all"):
        raise Http404
    month = visible.filter(period=period)
    if show == "active":
        month = month.filter(active=True)
    counts = {r["level"]: r["n"] for r in month.values("level").annotate(n=Count("id")).order_by()}
    qs = month
    if level:
        qs = qs.filter(level=level)
    if scope:
        qs = qs.filter(scope=scope)
    if status:
        qs = qs.filter(status=status)
    rows = (
        qs.exclude(rule=SYSTEMIC_RULE)
        .annotate(
            level_order=Case(*(When(level=lv, then=Value(i)) for i, lv in enumerate(LEVELS)), default=Value(9)),
            scope_order=Case(*(When(scope=sc, then=Value(i)) for i, sc in enumerate(SCOPE_ORDER)), default=Value(9)),
        )
        .order_by("level_order", "scope_order", "key", "rule")
    )  # most severe first, widest scope first: in SQL, so a province's month is paged, not sorted in Python
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        columns: list[Column] = [
            ("period", _("Month")),
            ("scope", pgettext("warnings", "Scope")),
            ("key", _("Code")),
            ("name", _("Name")),
            ("level", _("Level")),
            ("rule", _("Rule")),
            ("value", _("Value")),
            ("threshold", _("Threshold")),
            ("first_period", _("First fired")),
            ("status", pgettext("warnings", "Status")),
        ]
        data = (
            [w.period, Scope(w.scope).label, w.key, w.name, Level(w.level).label, str(RULE_LABELS.get(w.rule, w.rule)),
             w.value, w.threshold, w.first_period, Status(w.status).label]
            for chunk in _chunks(rows.iterator(chunk_size=2_000), 2_000)
            for w in _named(chunk)
        )  # fmt: skip
        return list_download(fmt, f"warnings-{period}", columns, data)
    lamp = month.filter(rule=SYSTEMIC_RULE).first()
    paged = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = {k: v for k, v in {"period": period, "level": level, "scope": scope, "status": status}.items() if v}
    if show != "active":
        query["show"] = show
    q = QueryDict(mutable=True)
    q.update(query)
    return render(
        request,
        "warnings/list.html",
        {
            "period": period,
            "periods": list(visible.values_list("period", flat=True).distinct().order_by("-period")[:36]),
            "rows": [
                (
                    w,
                    RULE_LABELS.get(w.rule, w.rule),
                    rule_value_shown(w.rule, w.value),
                    rule_value_shown(w.rule, w.threshold),
                )
                for w in _named(list(paged.object_list))
            ],
            "paged": paged,
            "query": q.urlencode(),
            "counts": [(lv, Level(lv).label, counts.get(lv, 0)) for lv in LEVELS],
            "level": level,
            "scope": scope,
            "status": status,
            "show": show,
            "levels": Level.choices,
            "scopes": Scope.choices,
            "statuses": Status.choices,
            "lamp": lamp,
            "total": paged.paginator.count,
            "pending": PendingMonth.objects.filter(period=period).exists(),
            "may_evaluate": _may_edit_rules(request.user) and sees_everything(request.user),
        },
    )


def _chunks(items: Iterable[Warning], size: int) -> Iterator[list[Warning]]:
    chunk: list[Warning] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _named(warnings: list[Warning]) -> list[Warning]:
    """The warnings with the names of their markets, groups, HS chapters, industries and towns in the reader's
    language (the stored name is the evaluation's language; an enterprise has one name)."""
    keys: dict[str, set[str]] = {}
    for w in warnings:
        if w.scope in NAMED_DIMENSIONS:
            keys.setdefault(w.scope, set()).add(w.key)
    names = {scope: dimension_names(NAMED_DIMENSIONS[scope], found) for scope, found in keys.items()}
    for w in warnings:
        w.name = names.get(w.scope, {}).get(w.key, w.name)
    return warnings


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    case = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])

    def __init__(self, *args: Any, cases: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {c.pk: c for c in cases}
        self.fields["case"].choices = [("", "—"), *((c.pk, f"#{c.pk} {c.title}") for c in cases)]


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_bureau(request)
    warning = sel.warning_get(request.user, pk)
    if warning is None:
        raise Http404
    _named([warning])
    cases = sel.warning_cases(request.user, warning)
    form = TransitionForm(request.POST or None, cases=cases)
    if request.method == "POST":
        if not _may_handle(request.user):
            raise Http404
        if form.is_valid():
            try:
                warning_transition(
                    warning=warning,
                    to=form.cleaned_data["to"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    case=form.cases.get(form.cleaned_data["case"]) if form.cleaned_data["case"] else None,
                )
            except TransitionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("The warning is now “%(status)s”.") % {"status": Status(warning.status).label}
                )
                return redirect(reverse("warnings:detail", args=[warning.pk]))
    financing = bool(warning.details.get("financing_need"))
    facts = warning.details.get("facts", {})
    actions = recommended_actions(
        scope=warning.scope,
        level=warning.level,
        financing_need=financing,
        main_market_in_warning=bool(facts.get("main_market_in_warning")),
        concentrated=(facts.get("market_hhi") or 0) >= 0.5,
    )
    detector = next((d for d in DETECTORS if d.key == warning.rule and d.method != PEER), None)
    months = DETECTOR_MONTHS if detector else 24  # the window the evaluation charted
    evidence = evidence_series(scope=warning.scope, key=warning.key, period=warning.period, months=months)
    chart = _evidence_chart(warning, evidence) if detector is None else _control_chart(detector, evidence)
    history = (
        Warning.objects.filter(scope=warning.scope, key=warning.key, rule=warning.rule)
        .order_by("-period")
        .values("pk", "period", "level", "active", "status")[:24]
    )
    return render(
        request,
        "warnings/detail.html",
        {
            "w": warning,
            "rule_label": RULE_LABELS.get(warning.rule, warning.rule),
            "value": rule_value_shown(warning.rule, warning.value),
            "threshold": rule_value_shown(warning.rule, warning.threshold),
            "actions": [ACTION_LABELS[a] for a in actions],
            "chart": chart,
            "components": [
                {**c, "label": COMPONENT_LABELS.get(c["name"], c["name"])}
                for c in warning.details.get("components", [])
            ],
            "events": warning.events.select_related("actor", "case"),
            "history": history,
            "form": form,
            "may_handle": _may_handle(request.user),
            "next_states": [(s, Status(s).label) for s in sorted(TRANSITIONS.get(warning.status, ()))],
            "cases": cases,
        },
    )


def _control_chart(detector: Any, evidence: dict[str, Any]) -> dict[str, Any]:
    """A detector's control chart as the evaluation drew it (``facts.DETECTOR_MONTHS`` months up to the warning's
    month): over the last two years, the statistic and its limits after the first year that taught them (EWMA: the
    smoothed change of new orders on a year before and that change itself, %; CUSUM: the cumulative sums, in
    standard deviations)."""
    points = detector_chart(detector, evidence["new_orders"])[12:]
    ewma = detector.method == EWMA

    def shown(v: float | None) -> float | None:
        if v is None:
            return None
        return round(math.expm1(v) * 100, 1) if ewma else round(v, 2)

    series = [
        {"name": str(RULE_LABELS.get(detector.key, detector.key)), "values": [shown(p.statistic) for p in points]},
        {"name": _("Lower control limit"), "values": [shown(p.lower) for p in points]},
        {"name": _("Upper control limit"), "values": [shown(p.upper) for p in points]},
    ]
    if ewma:
        series.insert(0, {"name": _("New orders on a year before"), "values": [shown(p.value) for p in points]})
    return {"type": "line", "categories": evidence["periods"][12:], "series": series, "unit": "%" if ewma else "σ"}


def _evidence_chart(warning: Warning, evidence: dict[str, Any]) -> dict[str, Any]:
    """The indicator's series over two years, with the threshold that was crossed drawn as a line."""
    rule = warning.rule
    if rule in ("new_orders_yoy", "new_orders_3m_yoy", "exports_yoy"):
        values = evidence[rule]
        series = [
            {"name": str(RULE_LABELS[rule]), "values": [None if v is None else round(v * 100, 1) for v in values]}
        ]
        mark = None if warning.threshold is None else round(warning.threshold * 100, 1)
        unit = "%"
    elif rule == "new_orders_di" and evidence["di"]:
        series = [
            {"name": str(RULE_LABELS[rule]), "values": [None if v is None else round(v, 1) for v in evidence["di"]]}
        ]
        mark, unit = warning.threshold, ""
    else:  # the levels behind the other indicators
        series = [
            {"name": _("Exports"), "values": [None if v is None else round(v / 10_000, 1) for v in evidence["exports"]]},
            {"name": _("New orders"), "values": [None if v is None else round(v / 10_000, 1) for v in evidence["new_orders"]]},
        ]  # fmt: skip
        mark, unit = None, _("10k USD")
    spec: dict[str, Any] = {"type": "line", "categories": evidence["periods"], "series": series, "unit": unit}
    if mark is not None:
        spec["markLine"] = mark
    return spec


class RuleForm(forms.Form):
    """New thresholds for a rule whose direction is given: checked here with messages the analyst reads (the core
    checks them again when the version is made)."""

    red = forms.FloatField(required=False, label=gettext_lazy("red"))
    orange = forms.FloatField(required=False, label=gettext_lazy("orange"))
    yellow = forms.FloatField(required=False, label=gettext_lazy("yellow"))
    blue = forms.FloatField(required=False, label=gettext_lazy("blue"))
    enabled = forms.BooleanField(required=False, label=gettext_lazy("enabled"))
    note = forms.CharField(max_length=300, label=gettext_lazy("Why this change"))

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction = direction

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [(lv, data[lv]) for lv in LEVELS if data.get(lv) is not None]
        if not given:
            raise forms.ValidationError(_("Give at least one threshold."))
        values = [v for _lv, v in given]
        rising = all(a <= b for a, b in pairwise(values))
        falling = all(a >= b for a, b in pairwise(values))
        if self.direction == "below" and not rising:
            raise forms.ValidationError(
                _("This rule fires at or below its thresholds: red must be the lowest, then orange, yellow, blue.")
            )
        if self.direction == "above" and not falling:
            raise forms.ValidationError(
                _("This rule fires at or above its thresholds: red must be the highest, then orange, yellow, blue.")
            )
        return data


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _require_bureau(request)
    rules = []
    everything = sees_everything(request.user)
    latest = _latest_period(Warning.objects.all()) if everything else None
    firing = (
        dict(Warning.objects.filter(period=latest, active=True).values_list("rule").annotate(n=Count("id")))
        if latest
        else {}
    )
    records: dict[str, list[RuleTrackRecord]] = {}
    last = RuleTrackRecord.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    if last is not None:
        for rec in RuleTrackRecord.objects.filter(computed_at=last).order_by("scope"):
            records.setdefault(rec.rule, []).append(rec)
    for row, rule in sorted(rules_current(), key=lambda r: r[0].key):
        rules.append(
            {
                "row": row,
                "label": RULE_LABELS.get(row.key, row.key),
                "thresholds": [(lv, Level(lv).label, rule.thresholds.get(lv)) for lv in LEVELS],
                "scopes": [Scope(s).label for s in rule.scopes],
                "base": str(BASE_LABELS.get(row.base, row.base)) if row.base else "",
                "versions": RuleVersion.objects.filter(key=row.key).count(),
                "firing": firing.get(row.key, 0) if everything else None,
                "records": records.get(row.key, []),
            }
        )
    detectors = [
        {
            "d": d,
            "label": RULE_LABELS.get(d.key, d.key),
            "level": Level(d.level).label,
            "scopes": [Scope(s).label for s in d.scopes],
            "params": ", ".join(f"{k} = {v:g}" for k, v in d.params.items()),
            "records": records.get(d.key, []),
            "firing": firing.get(d.key, 0) if everything else None,
        }
        for d in DETECTORS
    ]
    return render(
        request,
        "warnings/rules.html",
        {"rules": rules, "detectors": detectors, "may_edit": _may_edit_rules(request.user), "latest": latest},
    )


@login_required
def rule_edit(request: HttpRequest, key: str) -> HttpResponse:
    _require_bureau(request)
    if not _may_edit_rules(request.user):
        raise Http404
    current = dict((row.key, row) for row, _rule in rules_current()).get(key)
    if current is None:
        raise Http404
    initial = {**{lv: v for lv, v in dict(current.thresholds).items()}, "enabled": current.enabled}
    form = RuleForm(request.POST or None, initial=initial, direction=current.direction)
    if request.method == "POST" and form.is_valid():
        thresholds = {lv: form.cleaned_data[lv] for lv in LEVELS if form.cleaned_data[lv] is not None}
        try:
            row = rule_version_create(
                current=current,
                changes={"thresholds": thresholds, "enabled": form.cleaned_data["enabled"]},
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValueError as exc:
            form.add_error(None, _("These thresholds cannot be used: %(problem)s") % {"problem": exc})
        else:
            messages.success(request, _("Rule saved as version %(n)s.") % {"n": row.version})
            return redirect(reverse("warnings:rules"))
    return render(
        request,
        "warnings/rule_edit.html",
        {
            "row": current,
            "label": RULE_LABELS.get(key, key),
            "form": form,
            "versions": RuleVersion.objects.filter(key=key).select_related("created_by").order_by("-version"),
        },
    )


@require_POST
@login_required
def evaluate(request: HttpRequest) -> HttpResponse:
    """Re-evaluate a month now (an analyst after a bulk correction)."""
    _require_bureau(request)
    if not _may_edit_rules(request.user) or not sees_everything(request.user):
        raise Http404
    period = request.POST.get("period", "")
    if parse_period(period) is None:
        raise Http404
    from exportwatch.warnings.services import warnings_evaluate

    result = warnings_evaluate(period=period)
    messages.success(request, _("%(period)s evaluated: %(n)s warnings.") % {"period": period, "n": result.warnings})
    return redirect(reverse("warnings:list") + f"?period={period}")
