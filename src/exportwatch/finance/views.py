"""White-list pages: the candidate list with its reasons and the analyst's decision, an entry with its referrals,
the referral lists per bank or insurer (downloadable as .xlsx), the outcome form and the financing progress.

Access (``selectors``): analysts decide and refer; leaders and town officers (their town's) read; a bank's or the
insurer's handler sees the referrals made to their department and records their outcome; anyone else gets 403,
and an entry or referral outside the reader's scope is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exportwatch.common import clock
from exportwatch.common.models import AuditEvent
from exportwatch.common.scoping import regions_visible
from exportwatch.core.codes import normalize_uscc
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column
from exportwatch.finance import selectors as sel
from exportwatch.finance.forms import DecisionForm, OutcomeForm, ReferralForm
from exportwatch.finance.labels import problem_text
from exportwatch.finance.models import Approval, Outcome, PriorityLevel, Product, Referral, WhitelistMatch
from exportwatch.finance.services import WhitelistRefused, referral_create, referral_record_outcome, whitelist_refresh
from exportwatch.finance.services import entry_decide as entry_decide_service
from exportwatch.warnings.models import Level

PER_PAGE = 100


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _said(zh: str, en: str) -> str:
    return zh if _zh() or not en else en


def _require_list(request: HttpRequest) -> None:
    if not sel.may_read_list(request.user):
        raise PermissionDenied


def _product_labels() -> dict[str, str]:
    return {str(v): str(label) for v, label in Product.choices}


@login_required
def entry_list(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    _require_list(request)
    get = request.GET
    f = sel.EntryFilter(
        eligible=get.get("eligible", "yes"),
        approval=get.get("approval", ""),
        priority=get.get("priority", ""),
        product=get.get("product", ""),
        town=get.get("town", ""),
        q=get.get("q", "").strip()[:100],
    )
    towns = regions_visible(request.user)
    if (
        f.eligible not in ("yes", "no", "all")
        or (f.approval and f.approval not in Approval.values)
        or (f.priority and f.priority not in PriorityLevel.values)
        or (f.product and f.product not in Product.values)
        or (f.town and f.town not in {t.code for t in towns})
    ):
        raise Http404
    visible = sel.entries_visible(request.user)
    qs = (
        sel.entries_filter(visible, f)
        .prefetch_related(Prefetch("matches", queryset=WhitelistMatch.objects.order_by("product")))
        .annotate(n_referrals=Count("referrals", distinct=True))
    )
    fmt = get.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        return list_download(fmt, f"whitelist-{clock.today():%Y%m%d}", _entry_columns(), _entry_rows(qs))
    paged = Paginator(qs, PER_PAGE).get_page(get.get("page"))
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in vars(f).items() if v})
    counts = {
        "eligible": visible.filter(eligible=True).count(),
        "approved": visible.filter(eligible=True, approval=Approval.APPROVED).count(),
        "pending": visible.filter(eligible=True, approval=Approval.PENDING).count(),
    }
    rows = [
        {
            "e": e,
            "reason": _said(e.reason, e.reason_en),
            "products": [(m.product, m.get_product_display(), _said(m.reason, m.reason_en)) for m in e.matches.all()],
        }
        for e in paged.object_list
    ]
    return render(
        request,
        "finance/list.html",
        {
            "f": f,
            "rows": rows,
            "paged": paged,
            "query": query.urlencode(),
            "back": "list?" + get.urlencode() if get else "list",
            "counts": counts,
            "towns": towns,
            "approvals": Approval.choices,
            "priorities": PriorityLevel.choices,
            "products": Product.choices,
            "may_decide": sel.may_decide(request.user),
        },
    )


def _entry_columns() -> list[Column]:
    return [
        ("uscc", _("Unified social credit code")),
        ("name", _("Enterprise name")),
        ("town", _("Town")),
        ("trade_usd", _("Imports and exports last year (USD)")),
        ("eligible", _("Eligible")),
        ("reason", _("Reason")),
        ("priority", _("Priority")),
        ("products", _("Matched products")),
        ("approval", _("Approval")),
        ("referrals", _("Referrals")),
    ]


def _entry_rows(qs: Any) -> Iterator[list[Any]]:
    for e in qs:
        yield [
            e.enterprise.uscc,
            e.enterprise.name,
            e.enterprise.town.label,
            e.enterprise.exports_last_year_usd + e.enterprise.imports_last_year_usd,
            _("yes") if e.eligible else _("no"),
            _said(e.reason, e.reason_en),
            e.get_priority_display(),
            "; ".join(m.get_product_display() for m in e.matches.all()),
            e.get_approval_display(),
            e.n_referrals,
        ]


def _entry_context(request: HttpRequest, entry: Any, **forms: Any) -> dict[str, Any]:
    matches = list(entry.matches.order_by("product"))
    referrals = sel.referrals_visible(request.user).filter(entry=entry).order_by("-referred_at", "-id")
    history = AuditEvent.objects.filter(object_type="whitelist_entry", object_key=entry.enterprise.uscc).select_related(
        "actor"
    )[:30]
    matched = [m.product for m in matches]
    return {
        "entry": entry,
        "e": entry.enterprise,
        "reason": _said(entry.reason, entry.reason_en),
        "priority_reasons": [_said(r.get("zh", ""), r.get("en", "")) for r in entry.priority_reasons],
        "matches": [(m.get_product_display(), _said(m.reason, m.reason_en)) for m in matches],
        "figures": entry.figures,
        "worst_label": Level(entry.figures["worst_warning"]).label if entry.figures.get("worst_warning") else "",
        "referrals": referrals,
        "history": history,
        "may_decide": sel.may_decide(request.user),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "referral_form": forms.get("referral_form")
        or ReferralForm(initial={"product": matched[0] if matched else Product.GUARANTEED_LOAN}),
        "matched": matched,
    }


@login_required
def entry_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    _require_list(request)
    entry = sel.entry_get(request.user, normalize_uscc(uscc))
    return render(request, "finance/entry.html", _entry_context(request, entry))


@require_POST
@login_required
def entry_decide(request: HttpRequest, uscc: str) -> HttpResponse:
    _require_list(request)
    entry = sel.entry_get(request.user, normalize_uscc(uscc))
    if not sel.may_decide(request.user):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            entry = entry_decide_service(
                entry=entry, decision=form.cleaned_data["decision"], actor=request.user, note=form.cleaned_data["note"]
            )
        except WhitelistRefused as exc:
            form.add_error(None, problem_text(exc.code, exc.params))
        else:
            messages.success(request, _("%(name)s is now “%(state)s”.") % {
                "name": entry.enterprise.name, "state": entry.get_approval_display()
            })  # fmt: skip
            back = request.POST.get("back", "")
            if back == "list" or back.startswith("list?"):  # the quick approval on the list: back to its page
                return redirect(reverse("finance:list") + back[4:])
            return redirect(reverse("finance:entry", args=[entry.enterprise.uscc]))
    return render(request, "finance/entry.html", _entry_context(request, entry, decision_form=form), status=422)


@require_POST
@login_required
def referral_new(request: HttpRequest, uscc: str) -> HttpResponse:
    _require_list(request)
    entry = sel.entry_get(request.user, normalize_uscc(uscc))
    if not sel.may_decide(request.user):
        raise PermissionDenied
    form = ReferralForm(request.POST)
    if form.is_valid():
        try:
            referral = referral_create(
                entry=entry,
                product=form.cleaned_data["product"],
                institution=form.cleaned_data["institution"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except WhitelistRefused as exc:
            form.add_error(None, problem_text(exc.code, exc.params))
        else:
            messages.success(
                request,
                _("Referred to %(institution)s for %(product)s.")
                % {"institution": referral.institution.label, "product": referral.get_product_display()},
            )
            return redirect(reverse("finance:entry", args=[entry.enterprise.uscc]))
    return render(request, "finance/entry.html", _entry_context(request, entry, referral_form=form), status=422)


@login_required
def referral_list(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    if not sel.may_read_referrals(request.user):
        raise PermissionDenied
    get = request.GET
    institutions = list(sel.institutions_for(request.user))
    institution = get.get("institution", "")
    product = get.get("product", "")
    outcome = get.get("outcome", "")
    if (
        (institution and institution not in {d.code for d in institutions})
        or (product and product not in Product.values)
        or (outcome and outcome not in Outcome.values)
    ):
        raise Http404
    qs = sel.referrals_visible(request.user)
    if institution:
        qs = qs.filter(institution_id=institution)
    if product:
        qs = qs.filter(product=product)
    if outcome:
        qs = qs.filter(outcome=outcome)
    qs = qs.order_by("institution_id", "-referred_at", "-id")
    fmt = get.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        name = f"referrals-{institution or 'all'}-{clock.today():%Y%m%d}"
        sheet = next((d.label for d in institutions if d.code == institution), None)
        return list_download(fmt, name, _referral_columns(), _referral_rows(qs), sheet_name=sheet)
    paged = Paginator(qs, PER_PAGE).get_page(get.get("page"))
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in {"institution": institution, "product": product, "outcome": outcome}.items() if v})
    return render(
        request,
        "finance/referrals.html",
        {
            "paged": paged,
            "query": query.urlencode(),
            "institutions": institutions,
            "institution": institution,
            "product": product,
            "outcome": outcome,
            "products": Product.choices,
            "outcomes": Outcome.choices,
            "handler_only": not sel.may_read_list(request.user),
        },
    )


def _referral_columns() -> list[Column]:
    return [
        ("id", _("Referral")),
        ("institution", _("Institution")),
        ("product", _("Product")),
        ("uscc", _("Unified social credit code")),
        ("name", _("Enterprise name")),
        ("town", _("Town")),
        ("contact_name", _("Contact person")),
        ("contact_phone", _("Contact phone")),
        ("exports_last_year_usd", _("Exports last year (USD)")),
        ("imports_last_year_usd", _("Imports last year (USD)")),
        ("money_needs_usd", _("Open money needs (USD)")),
        ("priority", _("Priority")),
        ("reason", _("Reason")),
        ("product_reason", _("Why this product")),
        ("note", _("Note to the institution")),
        ("referred_at", _("Referred at")),
        ("outcome", _("Outcome")),
        ("granted_usd", _("Granted (USD)")),
        ("granted_on", _("Granted on")),
        ("refusal_reason", _("Why refused")),
    ]


def _referral_rows(qs: Any) -> Iterator[list[Any]]:
    reasons = {
        (m.entry_id, m.product): _said(m.reason, m.reason_en)
        for m in WhitelistMatch.objects.filter(entry__in=qs.values("entry_id"))
    }
    for r in qs:
        e = r.entry.enterprise
        yield [
            r.pk,
            r.institution.label,
            r.get_product_display(),
            e.uscc,
            e.name,
            e.town.label,
            e.contact_name,
            e.contact_phone,
            e.exports_last_year_usd,
            e.imports_last_year_usd,
            r.entry.money_needs_usd,
            r.entry.get_priority_display(),
            _said(r.entry.reason, r.entry.reason_en),
            reasons.get((r.entry_id, r.product), ""),
            r.note,
            r.referred_at,
            r.get_outcome_display(),
            r.granted_usd,
            r.granted_on,
            r.refusal_reason,
        ]


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not sel.may_read_referrals(request.user):
        raise PermissionDenied
    referral: Referral = sel.referral_get(request.user, pk)
    may_record = sel.may_record_outcome(request.user, referral)
    form = OutcomeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = referral_record_outcome(
                    referral=referral,
                    outcome=data["outcome"],
                    actor=request.user,
                    granted_usd=data["granted_usd"],
                    granted_on=data["granted_on"],
                    reason=data["reason"],
                )
            except WhitelistRefused as exc:
                form.add_error(None, problem_text(exc.code, exc.params))
            else:
                messages.success(request, _("Outcome recorded: %(o)s.") % {"o": referral.get_outcome_display()})
                return redirect(reverse("finance:referral", args=[referral.pk]))
        status = 422
    entry = referral.entry
    match = entry.matches.filter(product=referral.product).first()
    return render(
        request,
        "finance/referral.html",
        {
            "r": referral,
            "entry": entry,
            "e": entry.enterprise,
            "reason": _said(entry.reason, entry.reason_en),
            "product_reason": _said(match.reason, match.reason_en) if match else "",
            "form": form,
            "may_record": may_record,
            "handler_only": not sel.may_read_list(request.user),
        },
        status=status,
    )


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    _require_list(request)
    p = sel.progress_of(request.user, product_labels=_product_labels())
    return render(request, "finance/progress.html", {"p": p})


@require_POST
@login_required
def refresh(request: HttpRequest) -> HttpResponse:
    """Judge the list again now (an analyst after correcting the registry)."""
    _require_list(request)
    if not sel.may_decide(request.user):
        raise PermissionDenied
    result = whitelist_refresh(actor=request.user)
    messages.success(
        request,
        _("White list refreshed: %(eligible)s eligible, %(added)s added, %(updated)s changed.")
        % {"eligible": result.eligible, "added": result.added, "updated": result.updated},
    )
    return redirect(reverse("finance:list"))
