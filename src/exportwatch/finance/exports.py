"""The ``whitelist`` export (``exportwatch export whitelist``): every entry of the financing white list, refreshed
from the data first, with its referrals and what they were granted (USD)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import Cell, Exportable, register
from exportwatch.exchange.xlsx import register_headers

WHITELIST_COLUMNS = ("uscc", "eligible", "reason", "approved", "priority", "products", "referred_to", "granted_usd")


def _whitelist_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterable[list[Cell]]:
    """One row per entry of ``enterprises`` (already scoped to the reader), by credit code: ``products`` and
    ``referred_to`` are codes joined by ``;`` (products matched; institutions referred to, each once);
    ``granted_usd`` the sum granted over its referrals (0 when nothing was)."""
    from exportwatch.finance.models import Approval, Outcome, Referral, WhitelistEntry, WhitelistMatch

    entries = WhitelistEntry.objects.filter(enterprise__in=enterprises).select_related("enterprise")
    products: dict[int, list[str]] = defaultdict(list)
    for entry_id, product in (
        WhitelistMatch.objects.filter(entry__in=entries).order_by("product").values_list("entry_id", "product")
    ):
        products[entry_id].append(product)
    referred: dict[int, set[str]] = defaultdict(set)
    granted: dict[int, Decimal] = defaultdict(Decimal)
    for entry_id, institution, outcome, amount in Referral.objects.filter(entry__in=entries).values_list(
        "entry_id", "institution_id", "outcome", "granted_usd"
    ):
        referred[entry_id].add(institution)
        if outcome == Outcome.GRANTED and amount is not None:
            granted[entry_id] += amount
    for e in entries.order_by("enterprise__uscc").iterator(chunk_size=2_000):
        yield [
            e.enterprise.uscc,
            e.eligible,
            e.reason,
            e.approval == Approval.APPROVED,
            e.priority,
            ";".join(products.get(e.pk, [])),
            ";".join(sorted(referred.get(e.pk, set()))),
            granted.get(e.pk, Decimal(0)),
        ]


def _refresh(period: str | None) -> None:
    from exportwatch.finance.services import whitelist_refresh

    whitelist_refresh()


register(Exportable("whitelist", WHITELIST_COLUMNS, _whitelist_rows, bureau_only=True, refresh=_refresh))
register_headers(
    {
        "eligible": "符合白名单标准",
        "reason": "入选理由",
        "approved": "已审核通过",
        "priority": "优先级",
        "products": "匹配产品",
        "referred_to": "推荐机构",
        "granted_usd": "获批金额",
    }
)
