"""The financing white list (融资白名单, DESIGN §10): who qualifies, how urgently, and for which products.

Pure rules on plain data; the ``finance`` app fills :class:`FinanceFacts` from the registry, the needs and the
warnings, and stores what :func:`assess` returns. Amounts are USD (``Decimal``); every judgement comes with a
:class:`Reason` written from the figures it was made on, in Chinese (the bureau's language, the export's ``reason``)
and in English.

Eligibility (:func:`eligibility_of`)
    An enterprise qualifies when its imports plus exports last year reach the threshold (default 1,000,000 USD,
    ``settings.EXPORTWATCH_WHITELIST_TRADE_USD``): ``exports + imports ≥ threshold``, the same test as the registry's
    ``Enterprise.is_whitelist_eligible``.

Priority (:func:`priority_of`), from the enterprise's worst open warning and its open money needs
(:data:`MONEY_NEED_CATEGORIES`: financing, export credit insurance, payment collection, exchange rate):
    * ``high``: a red warning; or an orange warning together with an open money need; or an open money need that
      is urgent or of at least :data:`LARGE_NEED_USD`;
    * ``medium``: an orange or yellow warning, or any open money need;
    * ``normal``: otherwise (a blue warning or none, and no money need).

Products (:func:`products_for`), each matched with a reason:
    * export credit insurance (出口信用保险, ``export_credit_insurance``): the enterprise exports and it asked for
      credit insurance, or its main market is in warning, or it has trouble collecting payment (an open
      payment-collection need, or a buyer asking for longer payment terms);
    * credit-insurance-backed loan (信保贷, ``credit_insurance_loan``): an open financing need of an enterprise that
      exports at least half of its trade (its foreign receivables, once insured, back the loan), or whose
      financing need names policy financing (保单融资/信保);
    * credit loan (信用贷款, ``credit_loan``): trade last year of at least :data:`CREDIT_LOAN_MULTIPLE` times the
      threshold and no red or orange warning (a record steady and large enough to lend on without security);
    * guaranteed loan (担保贷款, ``guaranteed_loan``): an open financing need, no credit loan matched, and nothing
      in its needs saying it has collateral to offer (抵押, 质押, 房产, 厂房, 土地): a government financing
      guarantee stands in for the collateral.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_THRESHOLD_USD = Decimal(1_000_000)
LARGE_NEED_USD = Decimal(1_000_000)  # an open money need this large makes the priority high
CREDIT_LOAN_MULTIPLE = 5  # trade of 5 × the threshold (5 M USD by default) for an unsecured credit loan
EXPORT_SHARE_FOR_INSURED_LOAN = Decimal("0.5")

HIGH, MEDIUM, NORMAL = "high", "medium", "normal"
PRIORITIES = (HIGH, MEDIUM, NORMAL)  # most urgent first
PRIORITY_RANK = {HIGH: 3, MEDIUM: 2, NORMAL: 1}

CREDIT_INSURANCE_LOAN = "credit_insurance_loan"
GUARANTEED_LOAN = "guaranteed_loan"
CREDIT_LOAN = "credit_loan"
EXPORT_CREDIT_INSURANCE = "export_credit_insurance"
PRODUCTS = (CREDIT_INSURANCE_LOAN, GUARANTEED_LOAN, CREDIT_LOAN, EXPORT_CREDIT_INSURANCE)
PRODUCT_LABELS_ZH = {
    CREDIT_INSURANCE_LOAN: "信保贷",
    GUARANTEED_LOAN: "担保贷款",
    CREDIT_LOAN: "信用贷款",
    EXPORT_CREDIT_INSURANCE: "出口信用保险",
}
# Which kind of institution (``directory.Department.kind``) offers a product.
PRODUCT_INSTITUTION_KINDS = {
    CREDIT_INSURANCE_LOAN: ("bank",),
    GUARANTEED_LOAN: ("bank",),
    CREDIT_LOAN: ("bank",),
    EXPORT_CREDIT_INSURANCE: ("credit_insurer",),
}
INSTITUTION_KINDS = ("bank", "credit_insurer")

FINANCING = "financing"
CREDIT_INSURANCE = "credit_insurance"
PAYMENT_COLLECTION = "payment_collection"
EXCHANGE_RATE = "exchange_rate"
MONEY_NEED_CATEGORIES = (FINANCING, CREDIT_INSURANCE, PAYMENT_COLLECTION, EXCHANGE_RATE)
NEED_LABELS_ZH = {
    FINANCING: "融资",
    CREDIT_INSURANCE: "出口信用保险",
    PAYMENT_COLLECTION: "货款回收",
    EXCHANGE_RATE: "汇率避险",
}
NEED_LABELS_EN = {
    FINANCING: "financing",
    CREDIT_INSURANCE: "export credit insurance",
    PAYMENT_COLLECTION: "payment collection",
    EXCHANGE_RATE: "exchange rate",
}

LEVELS = ("red", "orange", "yellow", "blue")  # worst first
LEVEL_LABELS_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}

COLLATERAL_WORDS = ("抵押", "质押", "房产", "厂房", "土地", "collateral", "mortgage")
POLICY_FINANCING_WORDS = ("保单融资", "信保", "policy financing")


@dataclass(frozen=True, slots=True)
class NeedItem:
    """One open need of the enterprise: ``category`` a need category; ``amount_usd`` optional; ``urgency`` one of
    low, normal, high, urgent; ``description`` the enterprise's words (read for collateral hints)."""

    category: str
    amount_usd: Decimal | None = None
    urgency: str = "normal"
    description: str = ""


@dataclass(frozen=True, slots=True)
class FinanceFacts:
    """What the white list judges an enterprise on.

    ``worst_level`` is its worst open warning (red, orange, yellow, blue) or None; ``main_market_in_warning`` whether
    that warning's facts found its main market in warning; ``payment_terms_extended`` whether a buyer recently asked
    it for longer payment terms; ``needs`` its open needs (any category: only the money needs count).
    """

    exports_usd: Decimal
    imports_usd: Decimal
    worst_level: str | None = None
    main_market_in_warning: bool = False
    payment_terms_extended: bool = False
    needs: tuple[NeedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """A judgement in words: ``code`` stable, ``zh`` and ``en`` written from the figures."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    trade_usd: Decimal
    threshold_usd: Decimal
    reason: Reason


@dataclass(frozen=True, slots=True)
class Priority:
    level: str  # one of PRIORITIES
    rank: int  # PRIORITY_RANK[level]: larger is more urgent
    money_needs_usd: Decimal  # the open money needs' amounts (needs without an amount add 0)
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class ProductMatch:
    product: str  # one of PRODUCTS
    reason: Reason


@dataclass(frozen=True, slots=True)
class Assessment:
    eligibility: Eligibility
    priority: Priority
    products: tuple[ProductMatch, ...] = field(default_factory=tuple)


# --- amounts in words --------------------------------------------------------------------------------------------


def wan_usd(amount: Decimal) -> str:
    """An amount in 万美元 (10,000 USD) with two decimals at most, as a Chinese text writes it: ``1,234.5万美元``."""
    wan = (Decimal(amount) / 10_000).quantize(Decimal("0.01"))
    text = f"{wan:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万美元"


def usd(amount: Decimal) -> str:
    """An amount in whole US dollars with thousands separators: ``12,345,678 USD``."""
    return f"{Decimal(amount).quantize(Decimal(1)):,} USD"


# --- eligibility -------------------------------------------------------------------------------------------------


def eligibility_of(*, exports_usd: Decimal, imports_usd: Decimal, threshold_usd: Decimal) -> Eligibility:
    """Whether imports plus exports last year reach the threshold, with the figures in words.

    Args:
        exports_usd: Exports last year (USD).
        imports_usd: Imports last year (USD).
        threshold_usd: The white-list threshold on their sum (USD).

    Returns:
        ``eligible`` when ``exports + imports ≥ threshold``; the reason names the sum, its parts and the threshold.
    """
    exports, imports, threshold = Decimal(exports_usd), Decimal(imports_usd), Decimal(threshold_usd)
    trade = exports + imports
    parts_zh = f"（出口{wan_usd(exports)}，进口{wan_usd(imports)}）"
    parts_en = f" (exports {usd(exports)}, imports {usd(imports)})"
    if trade >= threshold:
        reason = Reason(
            "trade_at_threshold",
            f"上年进出口额{wan_usd(trade)}{parts_zh}，达到白名单标准{wan_usd(threshold)}",
            f"Imports and exports last year {usd(trade)}{parts_en}, at or above the white-list threshold of "
            f"{usd(threshold)}",
        )
        return Eligibility(True, trade, threshold, reason)
    reason = Reason(
        "trade_below_threshold",
        f"上年进出口额{wan_usd(trade)}{parts_zh}，低于白名单标准{wan_usd(threshold)}",
        f"Imports and exports last year {usd(trade)}{parts_en}, below the white-list threshold of {usd(threshold)}",
    )
    return Eligibility(False, trade, threshold, reason)


# --- priority ----------------------------------------------------------------------------------------------------


def money_needs(needs: Iterable[NeedItem]) -> tuple[NeedItem, ...]:
    """The needs in :data:`MONEY_NEED_CATEGORIES`, in their order."""
    return tuple(n for n in needs if n.category in MONEY_NEED_CATEGORIES)


def _amount(needs: Iterable[NeedItem]) -> Decimal:
    return sum((Decimal(n.amount_usd) for n in needs if n.amount_usd is not None), Decimal(0))


def _needs_words(needs: tuple[NeedItem, ...]) -> tuple[str, str]:
    counts: dict[str, int] = {}
    for n in needs:
        counts[n.category] = counts.get(n.category, 0) + 1
    zh = "、".join(f"{NEED_LABELS_ZH[c]}{k}项" for c, k in counts.items())
    en = ", ".join(f"{k} {NEED_LABELS_EN[c]}" for c, k in counts.items())
    amount = _amount(needs)
    if amount:
        zh += f"，金额合计{wan_usd(amount)}"
        en += f", {usd(amount)} in all"
    return zh, en


def priority_of(facts: FinanceFacts) -> Priority:
    """How urgently the bureau should act on an enterprise of the list (the rules in the module docstring).

    Returns:
        The level with the facts that set it, worst warning first, then the money needs.
    """
    level = facts.worst_level if facts.worst_level in LEVELS else None
    needs = money_needs(facts.needs)
    amount = _amount(needs)
    pressing = [n for n in needs if n.urgency == "urgent" or (n.amount_usd or 0) >= LARGE_NEED_USD]
    reasons: list[Reason] = []
    if level is not None:
        reasons.append(
            Reason(f"warning_{level}", f"存在未关闭的{LEVEL_LABELS_ZH[level]}预警", f"An open {level} warning")
        )
    if needs:
        zh, en = _needs_words(needs)
        reasons.append(Reason("money_needs", f"未办结的资金类诉求：{zh}", f"Open money needs: {en}"))
    if pressing:
        reasons.append(
            Reason(
                "pressing_need",
                f"其中{len(pressing)}项为紧急或金额不低于{wan_usd(LARGE_NEED_USD)}",
                f"{len(pressing)} of them urgent or of {usd(LARGE_NEED_USD)} or more",
            )
        )
    if level == "red" or (level == "orange" and needs) or pressing:
        chosen = HIGH
    elif level in ("orange", "yellow") or needs:
        chosen = MEDIUM
    else:
        chosen = NORMAL
        if not reasons:
            reasons.append(Reason("no_pressure", "无未关闭预警，无资金类诉求", "No open warning and no money need"))
    return Priority(chosen, PRIORITY_RANK[chosen], amount, tuple(reasons))


# --- products ----------------------------------------------------------------------------------------------------


def _mentions(needs: Iterable[NeedItem], words: tuple[str, ...]) -> bool:
    return any(w in n.description for n in needs for w in words)


def products_for(facts: FinanceFacts, *, threshold_usd: Decimal) -> tuple[ProductMatch, ...]:
    """The financing products that fit the enterprise, in :data:`PRODUCTS` order (rules in the module docstring).

    Args:
        facts: The enterprise's figures, warning and open needs.
        threshold_usd: The white-list threshold (USD); a credit loan needs ``CREDIT_LOAN_MULTIPLE`` times it.

    Returns:
        One match per fitting product with the reason it fits; empty when none does.
    """
    exports, imports = Decimal(facts.exports_usd), Decimal(facts.imports_usd)
    trade = exports + imports
    needs = money_needs(facts.needs)
    financing = [n for n in needs if n.category == FINANCING]
    insurance_asked = [n for n in needs if n.category == CREDIT_INSURANCE]
    collection = [n for n in needs if n.category == PAYMENT_COLLECTION]
    serious = facts.worst_level in ("red", "orange")
    matches: dict[str, ProductMatch] = {}

    export_share = exports / trade if trade > 0 else Decimal(0)
    policy_named = _mentions(financing, POLICY_FINANCING_WORDS)
    if financing and exports > 0 and (export_share >= EXPORT_SHARE_FOR_INSURED_LOAN or policy_named):
        pct = (export_share * 100).quantize(Decimal(1))
        if policy_named:
            zh, en = "融资诉求提出以出口信用保险保单融资", "its financing need asks for insurance-policy financing"
        else:
            zh = f"有融资诉求，出口占上年进出口额{pct}%，境外应收账款投保后可作还款保障"
            en = f"a financing need, and exports are {pct} % of its trade: insured foreign receivables back the loan"
        matches[CREDIT_INSURANCE_LOAN] = ProductMatch(
            CREDIT_INSURANCE_LOAN, Reason("insured_receivables", zh, en[0].upper() + en[1:])
        )

    multiple = Decimal(threshold_usd) * CREDIT_LOAN_MULTIPLE
    credit_loan = trade >= multiple and not serious
    if financing and not credit_loan:
        if _mentions(financing, COLLATERAL_WORDS):
            pass  # it offers collateral: an ordinary secured loan, no product of the list needed
        else:
            matches[GUARANTEED_LOAN] = ProductMatch(
                GUARANTEED_LOAN,
                Reason(
                    "no_collateral",
                    "有融资诉求，未提及可用抵质押物，可由政策性融资担保增信",
                    "A financing need with no collateral mentioned: a policy financing guarantee can stand in for it",
                ),
            )
    if credit_loan:
        matches[CREDIT_LOAN] = ProductMatch(
            CREDIT_LOAN,
            Reason(
                "steady_large_trade",
                f"上年进出口额{wan_usd(trade)}，不低于{wan_usd(multiple)}，且无红色或橙色预警，可凭信用贷款",
                f"Trade last year {usd(trade)}, at least {usd(multiple)}, and no red or orange warning: it can "
                "borrow on its credit",
            ),
        )

    if exports > 0:
        why_zh: list[str] = []
        why_en: list[str] = []
        if insurance_asked:
            why_zh.append("提出投保出口信用保险")
            why_en.append("it asked for export credit insurance")
        if facts.main_market_in_warning:
            why_zh.append("主要出口市场处于预警")
            why_en.append("its main market is in warning")
        if collection:
            why_zh.append("存在货款回收困难")
            why_en.append("it has trouble collecting payment")
        elif facts.payment_terms_extended:
            why_zh.append("境外买家要求延长付款期")
            why_en.append("a buyer asked for longer payment terms")
        if why_zh:
            en = "; ".join(why_en)
            matches[EXPORT_CREDIT_INSURANCE] = ProductMatch(
                EXPORT_CREDIT_INSURANCE, Reason("receivable_risk", "，".join(why_zh), en[0].upper() + en[1:])
            )
    return tuple(matches[p] for p in PRODUCTS if p in matches)


def assess(facts: FinanceFacts, *, threshold_usd: Decimal = DEFAULT_THRESHOLD_USD) -> Assessment:
    """Eligibility, priority and products of one enterprise (products are matched whether or not it is eligible;
    the caller keeps only the eligible on the list)."""
    return Assessment(
        eligibility=eligibility_of(
            exports_usd=facts.exports_usd, imports_usd=facts.imports_usd, threshold_usd=threshold_usd
        ),
        priority=priority_of(facts),
        products=products_for(facts, threshold_usd=threshold_usd),
    )
