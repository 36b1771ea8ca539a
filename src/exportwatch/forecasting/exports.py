"""The ``forecasts`` and ``forecast_accuracy`` exports (``exportwatch export forecasts [--period P] [--horizon N]``).

``forecasts``: one row per series and month ahead of the run from origin P (the latest run without ``--period``),
months 1..N (6 by default). ``forecast_accuracy``: one row per series, model compared and horizon, the
rolling-origin record the model choice followed. Amounts in USD to 2 decimals, ratios to 6.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from exportwatch.core.periods import period_add
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import Cell, Exportable, register
from exportwatch.exchange.xlsx import register_headers

FORECAST_COLUMNS = ("scope", "key", "origin_period", "target_period", "model", "mean", "lo80", "hi80", "lo95", "hi95")
ACCURACY_COLUMNS = ("scope", "key", "model", "horizon", "mase", "coverage80", "origins")
DEFAULT_HORIZON = 6


def _usd(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def forecast_rows(
    enterprises: QuerySet[Enterprise], period: str | None, horizon: int = DEFAULT_HORIZON
) -> Iterable[list[Cell]]:
    from exportwatch.forecasting.selectors import forecasts_for_export

    for f in forecasts_for_export(enterprises=enterprises, period=period).iterator(chunk_size=1_000):
        for i in range(min(horizon, len(f.mean))):
            yield [
                f.scope,
                f.key,
                f.run.origin_period,
                period_add(f.first_period, i),
                f.model,
                _usd(f.mean[i]),
                _usd(f.lo80[i]),
                _usd(f.hi80[i]),
                _usd(f.lo95[i]),
                _usd(f.hi95[i]),
            ]


def accuracy_rows(enterprises: QuerySet[Enterprise], period: str | None) -> Iterable[list[Cell]]:
    from exportwatch.forecasting.selectors import forecasts_for_export

    for f in forecasts_for_export(enterprises=enterprises, period=period).iterator(chunk_size=1_000):
        for model in sorted(f.record):
            for r in f.record[model]:
                yield [f.scope, f.key, model, r["horizon"], _ratio(r["mase"]), _ratio(r["coverage80"]), r["origins"]]


register(Exportable("forecasts", FORECAST_COLUMNS, forecast_rows, bureau_only=True))
register(Exportable("forecast_accuracy", ACCURACY_COLUMNS, accuracy_rows, bureau_only=True))
register_headers(
    {
        "origin_period": "预测起点月份",
        "target_period": "预测月份",
        "model": "预测模型",
        "mean": "预测值(美元)",
        "lo80": "80%区间下限(美元)",
        "hi80": "80%区间上限(美元)",
        "lo95": "95%区间下限(美元)",
        "hi95": "95%区间上限(美元)",
        "horizon": "提前月数",
        "mase": "MASE",
        "coverage80": "80%区间覆盖率",
        "origins": "回测起点数",
    }
)
