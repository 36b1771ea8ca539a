/* ExportWatch forecast fan charts: draws every [data-fan] figure with ECharts (vendor/echarts, loaded before this
 * file with `defer`). Same rules as exportwatch/charts.js: no inline handlers or styles, numbers follow
 * <html lang>, the neutral palette of charts.css; the page keeps the same numbers in a table beside the chart.
 *
 * Spec (forecasting/views.py fan_chart): categories (months), actual, mean, lo80, hi80, lo95, hi95 (arrays of
 * number|null, one per month; the bands start at the last actual month), names {actual, mean, band80, band95},
 * unit (axis title); for a past origin also outcome (the exports reported since, over the forecast months, from the
 * last actual month) and names.outcome.
 */
(function () {
  "use strict";

  const LANG = document.documentElement.lang || "zh-CN";
  const ZH = /^zh/i.test(LANG);

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function format(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    try {
      return new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 }).format(value);
    } catch (error) {
      return String(value);
    }
  }

  function diff(high, low) {
    return high.map((h, i) => (h === null || low[i] === null ? null : Math.max(h - low[i], 0)));
  }

  function option(spec) {
    const blue = cssVar("--chart-1", "#2f64b8");
    const orange = cssVar("--chart-3", "#d9822b");
    const teal = cssVar("--chart-2", "#1b8a86");
    const band = { type: "line", stack: "fan", symbol: "none", lineStyle: { width: 0 }, silent: true };
    const outcome = Array.isArray(spec.outcome) ? spec.outcome : null;
    const legend = [spec.names.actual, spec.names.mean, spec.names.band80, spec.names.band95];
    if (outcome) legend.splice(1, 0, spec.names.outcome);
    const extra = outcome
      ? [
          {
            name: spec.names.outcome,
            type: "line",
            data: outcome,
            itemStyle: { color: teal },
            symbol: "emptyCircle",
            symbolSize: 7,
            lineStyle: { width: 2 },
          },
        ]
      : [];
    return {
      animation: false,
      grid: { left: 56, right: 16, top: 40, bottom: 40 },
      legend: { top: 0, data: legend },
      tooltip: {
        trigger: "axis",
        formatter(params) {
          const i = params.length ? params[0].dataIndex : 0;
          const lines = [spec.categories[i]];
          if (spec.actual[i] !== null) lines.push(spec.names.actual + ": " + format(spec.actual[i]));
          if (spec.mean[i] !== null && spec.actual[i] === null) {
            if (outcome && outcome[i] !== null) lines.push(spec.names.outcome + ": " + format(outcome[i]));
            lines.push(spec.names.mean + ": " + format(spec.mean[i]));
            lines.push(spec.names.band80 + ": " + format(spec.lo80[i]) + " – " + format(spec.hi80[i]));
            lines.push(spec.names.band95 + ": " + format(spec.lo95[i]) + " – " + format(spec.hi95[i]));
          }
          return lines.join("\n");
        },
      },
      xAxis: { type: "category", data: spec.categories, boundaryGap: false },
      yAxis: { type: "value", name: spec.unit, scale: false },
      series: [
        Object.assign({}, band, { name: "_base", data: spec.lo95, areaStyle: { opacity: 0 } }),
        Object.assign({}, band, {
          name: spec.names.band95,
          data: diff(spec.lo80, spec.lo95),
          areaStyle: { color: orange, opacity: 0.15 },
          itemStyle: { color: orange, opacity: 0.3 },
        }),
        Object.assign({}, band, {
          name: spec.names.band80,
          data: diff(spec.hi80, spec.lo80),
          areaStyle: { color: orange, opacity: 0.35 },
          itemStyle: { color: orange, opacity: 0.6 },
        }),
        Object.assign({}, band, {
          name: "_top",
          data: diff(spec.hi95, spec.hi80),
          areaStyle: { color: orange, opacity: 0.15 },
        }),
        { name: spec.names.actual, type: "line", data: spec.actual, itemStyle: { color: blue }, symbolSize: 4 },
        {
          name: spec.names.mean,
          type: "line",
          data: spec.mean,
          itemStyle: { color: orange },
          lineStyle: { type: "dashed" },
          symbolSize: 4,
        },
      ].concat(extra),
    };
  }

  function draw(figure) {
    const script = figure.querySelector("script[type='application/json']");
    const canvas = figure.querySelector(".chart-canvas");
    if (!script || !canvas || !window.echarts) {
      figure.classList.add("chart-unavailable");
      return;
    }
    const spec = JSON.parse(script.textContent);
    const chart = window.echarts.init(canvas, null, { renderer: "svg", locale: ZH ? "ZH" : "EN" });
    chart.setOption(option(spec));
    window.addEventListener("resize", () => chart.resize());
  }

  function start() {
    document.querySelectorAll("[data-fan]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
