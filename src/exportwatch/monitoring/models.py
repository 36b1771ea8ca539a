"""Aggregates of the current reports, kept up to date in the transaction that changes them (``cells.py``).

Each table sums the current version of every report (or of its lines) into cells keyed by month and by the
enterprise's town, industry and tier, plus the cell's own key (a market, an HS chapter, a market group, or a
market and a chapter). ``enterprises`` counts the enterprises in a cell; since an enterprise sits in exactly one
(town, industry, tier), counts add up across those keys. Beside them, each month and key has an all-cell
(town, industry and tier ``ROLLUP``) holding the sums over every town, industry and tier; a read takes either the
all-cell or the others, never both. Amounts are whole US cents, so sums are exact on every
database. Derived data: no foreign keys (nothing to check on each write), and ``exportwatch analytics rebuild``
recomputes everything from the reports.
"""

from __future__ import annotations

from django.db import models

# The town, industry and tier of the all-cell of each month (and key): the sums over every town, industry and
# tier, kept beside the cells they add up, so a view of everything reads one row per key instead of thousands.
ROLLUP = "*"


class _Cell(models.Model):
    period = models.CharField(max_length=7)
    town = models.CharField(max_length=32)
    industry = models.CharField(max_length=32)
    tier = models.CharField(max_length=9)
    enterprises = models.IntegerField(default=0)
    exports = models.BigIntegerField(default=0)  # US cents
    new_orders = models.BigIntegerField(default=0)
    backlog = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.period} {self.town}/{self.industry}/{self.tier}"


class TotalCell(_Cell):
    """Report totals and the up/same/down answers (counts, and weights in cents of last year's exports)."""

    due_3m = models.BigIntegerField(default=0)
    trend_up = models.IntegerField(default=0)
    trend_same = models.IntegerField(default=0)
    trend_down = models.IntegerField(default=0)
    weight_up = models.BigIntegerField(default=0)
    weight_same = models.BigIntegerField(default=0)
    weight_down = models.BigIntegerField(default=0)
    outlook_up = models.IntegerField(default=0)
    outlook_same = models.IntegerField(default=0)
    outlook_down = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "town", "industry", "tier"], name="totalcell_key"),
        ]


class MarketCell(_Cell):
    market = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "town", "industry", "tier", "market"], name="marketcell_key"),
        ]
        indexes = [models.Index(fields=["market", "period"], name="marketcell_market")]


class ChapterCell(_Cell):
    hs = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "town", "industry", "tier", "hs"], name="chaptercell_key"),
        ]
        indexes = [models.Index(fields=["hs", "period"], name="chaptercell_hs")]


class GroupCell(_Cell):
    group = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "town", "industry", "tier", "group"], name="groupcell_key"),
        ]
        indexes = [models.Index(fields=["group", "period"], name="groupcell_group")]


class MarketChapterCell(_Cell):
    market = models.CharField(max_length=32)
    hs = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "town", "industry", "tier", "market", "hs"], name="marketchaptercell_key"
            ),
        ]
        indexes = [
            models.Index(fields=["market", "period"], name="mchcell_market"),
            models.Index(fields=["hs", "period"], name="mchcell_hs"),
        ]


class Stamp(models.Model):
    """One row: a number that every change to the aggregates replaces, in the same transaction. A figure computed
    from the reports themselves (not the cells) may be kept for as long as the stamp stays the same."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"stamp {self.version}"
