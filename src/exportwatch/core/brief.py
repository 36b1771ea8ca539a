"""The wording of the briefs (外贸形势监测分析): sentences that state findings, written from numbers passed in.

Every function takes plain numbers (USD amounts, fractions, counts, names) and returns Chinese text; nothing is
read from a database or a clock. The generated documents are in Chinese whatever the reader's language, so the
sentences are written here in Chinese rather than translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from exportwatch.core.difficulties import FALLING_THRESHOLD
from exportwatch.core.indicators import growth as growth_of
from exportwatch.core.periods import period_add

WEEKLY = "weekly"
MONTHLY = "monthly"
KINDS = (WEEKLY, MONTHLY)
STEADY = 0.0005  # a change that rounds to 0.0 % is said as "flat"
MIN_SHARE = 0.01  # a value below 1 % of the total is too small to be named as the one that fell or grew most


@dataclass(frozen=True)
class Item:
    """One value of a breakdown (a market, a product, an industry, a town): its amount now and a year before."""

    name: str
    now: float
    before: float | None = None

    @property
    def growth(self) -> float | None:
        """``now / before − 1``; None without a base (no year-before figure, or zero)."""
        if self.before is None or self.before == 0:
            return None
        return self.now / self.before - 1


def money(usd: float) -> str:
    """An amount in USD as a Chinese reader expects it: 亿美元 from 100 million up, else 万美元 (two decimals)."""
    if abs(usd) >= 1e8:
        return f"{usd / 1e8:,.2f}亿美元"
    return f"{usd / 1e4:,.2f}万美元"


def percent(fraction: float | None) -> str:
    """A fraction as a percentage with one decimal ("—" when unknown)."""
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


def change(growth: float | None, *, against: str = "同比") -> str:
    """``growth`` (a fraction) said as a change: 同比增长12.3% / 同比下降4.0% / 同比基本持平 / 无上年同期数据."""
    if growth is None:
        return "无上年同期数据" if against == "同比" else "无可比数据"
    if abs(growth) < STEADY:
        return f"{against}基本持平"
    return f"{against}{'增长' if growth > 0 else '下降'}{abs(growth) * 100:.1f}%"


def period_label(period: str) -> str:
    """``2020-03`` -> ``2020年3月``."""
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def brief_title(*, period: str, kind: str) -> str:
    """The document's title."""
    word = "周报" if kind == WEEKLY else "月报"
    return f"{period_label(period)}外贸形势监测分析（{word}）"


def headline_sentence(
    *,
    period: str,
    enterprises: int,
    exports: float,
    exports_growth: float | None,
    new_orders: float,
    new_orders_growth: float | None,
    backlog: float,
    backlog_growth: float | None,
) -> str:
    """The opening finding: how many enterprises reported and the month's three headline figures."""
    if enterprises == 0:
        return f"{period_label(period)}尚无企业填报，暂无监测数据。"
    return (
        f"{period_label(period)}，全区{enterprises}家监测企业填报出口{money(exports)}，{change(exports_growth)}；"
        f"新接订单{money(new_orders)}，{change(new_orders_growth)}；"
        f"在手订单{money(backlog)}，{change(backlog_growth)}。"
    )


def structure_sentences(*, dimension: str, items: Sequence[Item]) -> list[str]:
    """What a breakdown shows: the largest value and its share, which fell most and by how much, which grew most
    (among the values with a year-before figure and at least ``MIN_SHARE`` of the total).

    Args:
        dimension: The breakdown's name in Chinese (市场, 产品, 行业, 镇街).
        items: Each value's amount (exports, USD) now and a year before.
    """
    if not items:
        return [f"本期无分{dimension}数据。"]
    total = sum(i.now for i in items)
    largest = max(items, key=lambda i: i.now)
    found = [
        f"分{dimension}看，{largest.name}规模最大，出口{money(largest.now)}"
        + (f"，占{percent(largest.now / total)}" if total else "")
        + f"，{change(largest.growth)}。"
    ]
    compared = [i for i in items if i.growth is not None and (not total or i.now / total >= MIN_SHARE)]
    fallen = [i for i in compared if i.growth is not None and i.growth <= -STEADY]
    risen = [i for i in compared if i.growth is not None and i.growth >= STEADY]
    if fallen:
        worst = min(fallen, key=lambda i: (i.growth, i.name))
        drop = (worst.before or 0) - worst.now
        found.append(
            f"降幅最大的是{worst.name}，出口{money(worst.now)}，同比下降{percent(-(worst.growth or 0))}，"
            f"减少{money(drop)}。"
        )
    if risen:
        best = max(risen, key=lambda i: (i.growth, i.name))
        found.append(f"增幅最大的是{best.name}，同比增长{percent(best.growth)}。")
    if compared and not fallen and not risen:
        found.append(f"各{dimension}出口与上年同期基本持平。")
    return found


def _fall(threshold: float) -> str:
    """A falling threshold as the brief states it: −0.2 -> '20%'."""
    return f"{abs(threshold) * 100:.0f}%"


def difficulties_sentences(
    *,
    blocked_amount: float,
    blocked_enterprises: int,
    falling_enterprises: int,
    falling_assessed: int,
    falling_markets: Sequence[tuple[str, float]],
    external_amount: float,
    external_share: float | None,
    financial_amount: float,
    financial_enterprises: int,
    falling_threshold: float = FALLING_THRESHOLD,
    market_fall: float = -0.3,
) -> list[str]:
    """The four difficulties, one sentence each: blocked orders, falling new orders, external risk, money. The
    thresholds are stated as the counts were made with them (``falling_threshold`` for an enterprise's new orders,
    ``market_fall`` for a market's: fractions, negative).

    Args:
        falling_markets: (market name, new orders' change year on year) of the markets whose new orders fell
            past the external-risk threshold.
    """
    found = []
    if blocked_enterprises:
        found.append(f"订单受阻：{blocked_enterprises}家企业报告订单受阻，涉及金额{money(blocked_amount)}。")
    else:
        found.append("订单受阻：本期无企业报告订单受阻。")
    if falling_assessed:
        found.append(
            f"订单下滑：可比的{falling_assessed}家企业中，{falling_enterprises}家新接订单同比下降{_fall(falling_threshold)}以上，"
            f"占{percent(falling_enterprises / falling_assessed)}。"
        )
    else:
        found.append("订单下滑：本期无可与上年同期比较的企业。")
    if falling_markets:
        worst = sorted(falling_markets, key=lambda m: (m[1], m[0]))
        names = "、".join(f"{n}（{percent(g)}）" for n, g in worst[:5])
        found.append(
            f"外部风险：{len(falling_markets)}个市场新接订单同比下降{_fall(market_fall)}以上，依次为{names}；"
            f"对这些市场的出口{money(external_amount)}，占出口的{percent(external_share)}。"
        )
    else:
        found.append(f"外部风险：本期没有市场新接订单同比下降{_fall(market_fall)}以上。")
    if financial_enterprises:
        found.append(f"资金困难：{financial_enterprises}家企业提出资金需求，金额{money(financial_amount)}。")
    else:
        found.append("资金困难：本期无企业提出资金需求。")
    return found


def warnings_sentence(*, red: int, orange: int, names: Sequence[str]) -> str:
    """The warnings at orange and above still firing in the month, with the first few subjects named."""
    if red + orange == 0:
        return "本期无橙色及以上预警。"
    named = "，涉及" + "、".join(names[:5]) + ("等" if len(names) > 5 else "") if names else ""
    return f"本期橙色及以上预警{red + orange}条，其中红色{red}条、橙色{orange}条{named}。"


def cases_sentence(
    *,
    filed: int,
    resolved: int,
    resolution_rate: float | None,
    breached: int,
    mean_rating: float | None,
) -> str:
    """The state of the problem list (清单) over the brief's period."""
    if filed == 0:
        return "本期问题清单无新增诉求。"
    rating = f"，企业满意度平均{mean_rating:.1f}分" if mean_rating is not None else ""
    return (
        f"本期问题清单新增诉求{filed}件，已办结{resolved}件，办结率{percent(resolution_rate)}；"
        f"超时{breached}件{rating}。"
    )


def finance_sentence(
    *, eligible: int, approved: int, referrals: int, granted: int, granted_usd: float, awaiting: int
) -> str:
    """The white list's financing progress (cumulative)."""
    if eligible == 0:
        return "白名单暂无符合条件的企业。"
    return (
        f"白名单符合条件企业{eligible}家，已审核通过{approved}家；累计推送金融机构{referrals}次，"
        f"已获融资{granted}笔、金额{money(granted_usd)}，待反馈{awaiting}笔。"
    )


def target_sentence(
    *,
    year: int,
    target: float,
    year_to_date: float,
    expected: float,
    gap: float | None,
    probability: float | None,
) -> str:
    """The forecast for the year against its target."""
    reach = f"，完成目标的概率约{percent(probability)}" if probability is not None else ""
    if gap is None:
        side = ""
    elif gap >= 0:
        side = f"，预计超出目标{percent(gap)}"
    else:
        side = f"，预计低于目标{percent(-gap)}，缺口{money(target - expected)}"
    return (
        f"{year}年出口目标{money(target)}，1月至今已完成{money(year_to_date)}（{percent(year_to_date / target if target else None)}）；"
        f"按预测全年出口{money(expected)}{side}{reach}。"
    )


def outlook_sentence(
    *, months: Sequence[tuple[str, float, float, float]], expected: float, year_ago: float | None
) -> str:
    """The exports forecast for the next months: their sum against the same months a year before, and each
    month's 80 % interval (``months``: period, mean, 80 % low, 80 % high)."""
    first, last = months[0][0], months[-1][0]
    span = period_label(first) if first == last else f"{period_label(first)}至{_month_label(last, first)}"
    ranges = "，".join(f"{_month_label(p, first)}{lo / 1e4:,.2f}—{hi / 1e4:,.2f}" for p, _mean, lo, hi in months)
    return f"预计{span}全区出口{money(expected)}，{change(growth_of(expected, year_ago))}；各月80%预测区间（万美元）：{ranges}。"


def order_book_sentence(
    *,
    period: str,
    orders_change: float | None,
    exports_change: float | None,
    cover: float | None,
    cover_year_ago: float | None,
    lead: tuple[int, int] | None = None,
) -> str:
    """What the order book said at the forecast's origin: new orders and exports of the three months to it against
    a year before, the months of exports the orders in hand cover, and (``lead``: the nearest and farthest months
    before an export month whose new orders it follows, as the orders' lead learned them) how far the orders
    reported reach."""
    parts = []
    if orders_change is not None or exports_change is not None:
        parts.append(
            f"截至{period_label(period)}的三个月，新增订单{change(orders_change)}，出口{change(exports_change)}"
        )
    if cover is not None:
        before = f"（上年同期{cover_year_ago:.1f}个月）" if cover_year_ago is not None else ""
        month = _month_label(period, period) if parts else period_label(period)
        parts.append(f"{month}末在手订单可支撑{cover:.1f}个月出口{before}")
    if lead is not None and parts:
        nearest, farthest = lead
        until = _month_label(period_add(period, nearest), period)
        parts.append(
            f"按历史规律，出口与此前{nearest}至{farthest}个月签订的新订单最为吻合，已报告订单可预示至{until}的出口"
        )
    return "；".join(parts) + "。" if parts else "预测起点月份无订单数据。"


def _month_label(period: str, first: str) -> str:
    """``period`` said after ``first`` in the same sentence: the month alone within the same year."""
    return f"{int(period[5:7])}月" if period[:4] == first[:4] else period_label(period)


def visits_sentence(*, enterprises: int, red: int, urgent: int) -> str:
    """How many enterprises the bureau should visit and why."""
    if enterprises == 0:
        return "本期无需重点走访的企业。"
    return f"建议重点走访{enterprises}家企业：{red}家处于红色预警，{urgent}家有紧急诉求未办结。"


# The weekly brief: what happened in the seven days ending on a date.


def day_label(day: dt.date) -> str:
    """``2020-04-09`` -> ``4月9日``."""
    return f"{day.month}月{day.day}日"


def week_label(*, start: dt.date, end: dt.date) -> str:
    """The week as a Chinese reader writes it: ``2020年4月9日至4月15日`` (the year once, unless it changes)."""
    tail = f"{end.year}年{day_label(end)}" if end.year != start.year else day_label(end)
    return f"{start.year}年{day_label(start)}至{tail}"


def weekly_title(*, start: dt.date, end: dt.date) -> str:
    """The weekly brief's title, named by its week."""
    return f"{week_label(start=start, end=end)}外贸形势监测分析（周报）"


def _named(pairs: Sequence[tuple[str, int]], unit: str, limit: int = 3) -> str:
    """``[("取消订单", 3), ("延迟出运", 1)]`` -> ``取消订单3起、延迟出运1起`` (the first ``limit``, then 等)."""
    text = "、".join(f"{name}{n}{unit}" for name, n in pairs[:limit])
    return text + ("等" if len(pairs) > limit else "")


def week_reports_sentence(
    *,
    reports: int,
    enterprises: int,
    period: str,
    reported: int,
    expected: int,
    towns: Sequence[tuple[str, int]],
) -> str:
    """The reports submitted in the week (first versions and corrections, and how many enterprises), and how far
    the month's reporting has come by the week's end: ``reported`` of ``expected`` enterprises."""
    if reports == 0:
        head = "本周无企业提交报表"
    else:
        head = f"本周共提交报表{reports}份，涉及{enterprises}家企业"
        if towns:
            head += f"，其中{_named(towns, '份')}"
    share = percent(reported / expected) if expected else "—"
    return f"{head}；截至本周末，{period_label(period)}应报企业{expected}家，已报{reported}家，报送率{share}。"


def week_disruptions_sentence(
    *, events: int, amount: float, kinds: Sequence[tuple[str, int]], markets: Sequence[tuple[str, int]]
) -> str:
    """The disruption events filed in the week: how many, the amount involved, the commonest kinds and markets."""
    if events == 0:
        return "本周未新增订单受阻事件。"
    text = f"本周新增订单受阻事件{events}起，涉及金额{money(amount)}"
    if kinds:
        text += f"，以{_named(kinds, '起')}为主"
    if markets:
        text += f"；涉及市场主要为{_named(markets, '起')}"
    return text + "。"


def week_cases_sentence(*, needs: int, filed: int, closed: int, breached: int) -> str:
    """The problem list in the week: needs filed, cases opened, cases ended and cases that overran a time limit."""
    text = f"本周企业新提诉求{needs}项，问题清单新增{filed}件、办结{closed}件"
    if breached:
        return text + f"，另有{breached}件超出办理时限，需督办。"
    return text + "，无超时件。"


def week_warnings_sentence(*, red: int, orange: int, names: Sequence[str]) -> str:
    """The warnings that became orange or red in the week, with the first few subjects named."""
    if red + orange == 0:
        return "本周无新发或升级至橙色及以上的预警。"
    named = "，涉及" + "、".join(names[:5]) + ("等" if len(names) > 5 else "") if names else ""
    return f"本周新发或升级至橙色及以上预警{red + orange}条，其中红色{red}条、橙色{orange}条{named}。"


def week_finance_sentence(*, referrals: int, granted: int, granted_usd: float) -> str:
    """The white list in the week: referrals sent to the institutions, and the grants dated in the week."""
    if referrals == 0 and granted == 0:
        return "本周白名单无新推送，也无新获融资。"
    return f"本周向金融机构推送白名单企业{referrals}次，新获融资{granted}笔、金额{money(granted_usd)}。"


DISRUPTION_KIND_WORDS = {
    "shipment_delayed": "延期发货",
    "terms_extended": "延长账期",
    "held_at_port": "货物滞港",
    "order_reduced": "订单缩减",
    "order_cancelled": "订单取消",
    "order_transferred": "订单转移",
}
