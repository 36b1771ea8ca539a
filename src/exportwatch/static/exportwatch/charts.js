/* ExportWatch charts: draws every [data-chart] element with ECharts (vendor/echarts/echarts.min.js, loaded
 * before this file, both with `defer`). No build step, no dependencies, no eval, no inline handlers and no
 * inline styles (tooltips are drawn as rich text), so `script-src 'self'; style-src 'self'` holds. Pages stay
 * readable without it: the author puts the same numbers and links in a <table> beside the chart (or in a
 * <details>); this file never generates tables.
 *
 * Markup:
 *   <figure class="chart" data-chart>
 *     <figcaption>...</figcaption>
 *     <script type="application/json">{...spec...}</script>      (Django: {{ spec|json_script }})
 *     <div class="chart-canvas"></div>
 *     <details><summary>...</summary><table>...</table></details>
 *   </figure>
 *
 * Spec (JSON):
 *   type        "line" | "bar" | "hbar" | "pie" | "treemap" | "stacked"  ("stacked" = stacked vertical bars)
 *   categories  [label, ...]                   line/bar/hbar/stacked: x labels (hbar: row labels, top to bottom)
 *   series      [{name, values: [number|null, ...], axis: 0|1}]   line/bar/hbar/stacked; axis 1 (optional) is a
 *               right-hand axis, e.g. for a percentage beside amounts; null leaves a gap
 *   items       [{name, value, href?}]         pie/treemap
 *   hrefs       [url|null, ...]                line/bar/hbar/stacked, one per category: clicking the bar, point or
 *               category band (or the hbar row label) navigates there (drill down)
 *   unit        "USD" | "%" | "" | any label   values of axis 0; "USD" is shortened to 万/亿 (zh) or K/M/B
 *   percent     bool                           values of axis 0 are fractions (0.25) shown as 25%
 *   y2Unit, y2Percent                          the same for axis 1; default to unit and percent
 *   markLine    number                         a dashed reference line on axis 0 in the values' own units,
 *               e.g. 50 for a diffusion index (0.5 when percent is true); the axis always includes it
 *   yName, y2Name   axis titles (the value axis for hbar)
 *   height      px (optional; default 320 from charts.css, hbar grows with its rows)
 *
 * Numbers follow <html lang> through Intl.NumberFormat. The palette is neutral (charts.css --chart-1..6): a
 * colour says "which series", never good/bad. The red-up/green-down market convention and the four warning
 * colours of app.css are not used here.
 */
(function () {
  "use strict";

  const LANG = document.documentElement.lang || "zh-CN";
  const ZH = /^zh/i.test(LANG);
  const CATEGORY_TYPES = ["line", "bar", "hbar", "stacked"];
  const formatters = {};

  function numberFormat(digits) {
    if (!formatters[digits]) {
      const options = { maximumFractionDigits: digits, minimumFractionDigits: 0 };
      try {
        formatters[digits] = new Intl.NumberFormat(LANG, options);
      } catch (error) {
        formatters[digits] = new Intl.NumberFormat(undefined, options);
      }
    }
    return formatters[digits];
  }

  function fixed(value, digits) {
    return numberFormat(digits).format(value);
  }

  function roundTo(value, digits) {
    const factor = Math.pow(10, digits);
    return Math.round(value * factor) / factor;
  }

  // About three significant digits: 1.23亿, 4,500万, 12.3万 (zh); 1.23B, 45M (others).
  function compact(value) {
    const steps = ZH ? [[1e8, "亿"], [1e4, "万"]] : [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    const sign = value < 0 ? -1 : 1;
    const magnitude = Math.abs(value);
    for (let i = 0; i < steps.length; i++) {
      const scaled = magnitude / steps[i][0];
      const digits = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
      const rounded = roundTo(scaled, digits);
      if (rounded >= 1) return fixed(sign * rounded, digits) + steps[i][1];
    }
    return fixed(value, 0);
  }

  function isNumber(value) {
    return typeof value === "number" && isFinite(value);
  }

  // A formatter for one axis. `withUnit` adds the currency or unit word (tooltips); axis labels leave it to
  // the axis title.
  function valueFormatter(unit, percent, withUnit) {
    return function (value) {
      if (Array.isArray(value)) value = value[value.length - 1];
      if (!isNumber(value)) return "–";
      if (percent) return fixed(value * 100, 1) + "%";
      if (unit === "%") return fixed(value, 1) + "%";
      if (unit === "USD") {
        if (!withUnit) return compact(value);
        return ZH ? compact(value) + "美元" : compact(value) + " USD";
      }
      const text = fixed(value, 2);
      return withUnit && unit ? text + " " + unit : text;
    };
  }

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function theme() {
    return {
      palette: [
        cssVar("--chart-1", "#2f64b8"),
        cssVar("--chart-2", "#1b8a86"),
        cssVar("--chart-3", "#d9822b"),
        cssVar("--chart-4", "#7d8fb3"),
        cssVar("--chart-5", "#6bb8b0"),
        cssVar("--chart-6", "#b08a5a"),
      ],
      text: cssVar("--text", "#1c2530"),
      muted: cssVar("--muted", "#5a6676"),
      border: cssVar("--border", "#dbe1e8"),
      font: cssVar("--font", "sans-serif"),
    };
  }

  // Only same-site or http(s) links are followed, whatever the spec says.
  function safeHref(href) {
    if (!href || typeof href !== "string") return null;
    try {
      const url = new URL(href, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function baseOption(colors, reducedMotion) {
    return {
      animation: !reducedMotion,
      color: colors.palette,
      textStyle: { fontFamily: colors.font, color: colors.text },
      aria: { enabled: true, decal: { show: false } },
      // Tooltips drawn by ECharts itself, not as HTML: no inline styles, so a strict style-src holds too.
      tooltip: { confine: true, renderMode: "richText", textStyle: { fontFamily: colors.font } },
    };
  }

  function valueAxis(name, format, colors, markLine) {
    const axis = {
      type: "value",
      name: name || "",
      nameTextStyle: { color: colors.muted },
      axisLabel: { color: colors.muted, formatter: format },
      splitLine: { lineStyle: { color: colors.border } },
    };
    if (isNumber(markLine)) {
      axis.dataMin = markLine; // widens the data extent without fixing the axis ends
      axis.dataMax = markLine;
    }
    return axis;
  }

  function categoryOption(spec, colors, option, hrefs) {
    const horizontal = spec.type === "hbar";
    const kind = spec.type === "line" ? "line" : "bar";
    const categories = spec.categories || [];
    const series = spec.series || [];
    const unit = spec.unit || "";
    const percent = Boolean(spec.percent);
    const y2Unit = spec.y2Unit === undefined ? unit : spec.y2Unit;
    const y2Percent = spec.y2Percent === undefined ? percent : Boolean(spec.y2Percent);
    const twoAxes = !horizontal && series.some((s) => s.axis === 1);
    const markLine = isNumber(spec.markLine) ? spec.markLine : null;

    const categoryAxis = {
      type: "category",
      data: categories,
      inverse: horizontal,
      boundaryGap: kind === "bar",
      triggerEvent: hrefs.some(Boolean),
      axisLabel: horizontal
        ? { color: colors.text, width: 160, overflow: "truncate" }
        : { color: colors.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: colors.border } },
      axisTick: { show: false },
    };
    const valueAxes = [valueAxis(spec.yName, valueFormatter(unit, percent, false), colors, markLine)];
    if (twoAxes) {
      const right = valueAxis(spec.y2Name, valueFormatter(y2Unit, y2Percent, false), colors, null);
      right.splitLine = { show: false };
      valueAxes.push(right);
    }

    option.legend = { show: series.length > 1, type: "scroll", top: 0, textStyle: { color: colors.text } };
    option.grid = { left: 8, right: 16, bottom: 8, top: series.length > 1 ? 48 : horizontal ? 8 : 32 };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: kind === "bar" ? "shadow" : "line" };
    option.xAxis = horizontal ? valueAxes : categoryAxis;
    option.yAxis = horizontal ? categoryAxis : valueAxes;
    option.series = series.map(function (s, index) {
      const onRight = twoAxes && s.axis === 1;
      const item = {
        type: kind,
        name: s.name || "",
        data: (s.values || []).map((v) => (isNumber(v) ? v : null)),
        cursor: "default", // the category band handler below shows the pointer where there is a link
        tooltip: {
          valueFormatter: onRight ? valueFormatter(y2Unit, y2Percent, true) : valueFormatter(unit, percent, true),
        },
        emphasis: { focus: "none" },
      };
      if (!horizontal) item.yAxisIndex = onRight ? 1 : 0;
      if (kind === "line") {
        item.showSymbol = true;
        item.symbolSize = 6;
        item.connectNulls = false;
      } else {
        item.barMaxWidth = 36;
      }
      if (spec.type === "stacked" && !onRight) item.stack = "total";
      if (index === 0 && markLine !== null) {
        const at = {};
        at[horizontal ? "xAxis" : "yAxis"] = markLine;
        item.markLine = {
          silent: true,
          symbol: "none",
          lineStyle: { color: colors.muted, type: "dashed" },
          label: {
            position: "insideEndTop",
            color: colors.muted,
            formatter: () => valueFormatter(unit, percent, false)(markLine),
          },
          data: [at],
        };
      }
      return item;
    });
    return option;
  }

  function itemsOption(spec, colors, option) {
    const format = valueFormatter(spec.unit || "", Boolean(spec.percent), true);
    const labelFormat = valueFormatter(spec.unit || "", Boolean(spec.percent), false);
    const data = (spec.items || []).map(function (item) {
      const datum = { name: item.name, value: isNumber(item.value) ? item.value : 0 };
      const href = safeHref(item.href);
      if (href) {
        datum.href = href;
        datum.cursor = "pointer";
      }
      return datum;
    });
    if (spec.type === "pie") {
      option.tooltip.trigger = "item";
      option.series = [
        {
          type: "pie",
          radius: ["38%", "68%"],
          cursor: "default",
          data: data,
          tooltip: { valueFormatter: format },
          label: { color: colors.text, formatter: (p) => p.name + "\n" + fixed(p.percent, 1) + "%" },
          itemStyle: { borderColor: "#fff", borderWidth: 1 },
        },
      ];
    } else {
      option.tooltip.trigger = "item";
      option.series = [
        {
          type: "treemap",
          data: data,
          cursor: "default",
          roam: false,
          nodeClick: false,
          breadcrumb: { show: false },
          top: 8,
          left: 8,
          right: 8,
          bottom: 8,
          tooltip: { valueFormatter: format },
          label: { formatter: (p) => p.name + "\n" + labelFormat(p.value) },
          itemStyle: { borderColor: "#fff", borderWidth: 1, gapWidth: 1 },
        },
      ];
    }
    return option;
  }

  function navigate(href) {
    if (href) window.location.assign(href);
  }

  function wireCategoryLinks(chart, spec, hrefs) {
    const horizontal = spec.type === "hbar";
    const zr = chart.getZr();
    function bandAt(x, y) {
      if (!chart.containPixel("grid", [x, y])) return null;
      const point = chart.convertFromPixel({ gridIndex: 0 }, [x, y]);
      const index = Math.round(horizontal ? point[1] : point[0]);
      return index >= 0 && index < hrefs.length ? index : null;
    }
    zr.on("mousemove", function (event) {
      const index = bandAt(event.offsetX, event.offsetY);
      if (index !== null && hrefs[index]) zr.setCursorStyle("pointer");
    });
    zr.on("click", function (event) {
      const index = bandAt(event.offsetX, event.offsetY);
      if (index !== null) navigate(hrefs[index]);
    });
    // Row labels of an hbar (and category labels in general) are links too.
    chart.on("mousemove", function (params) {
      if (params.targetType === "axisLabel" && hrefs[params.dataIndex]) zr.setCursorStyle("pointer");
    });
    chart.on("click", function (params) {
      if (params.targetType === "axisLabel") navigate(hrefs[params.dataIndex]);
    });
  }

  function render(element) {
    if (element.dataset.chartReady) return;
    const canvas = element.querySelector(".chart-canvas");
    const source = element.querySelector('script[type="application/json"]');
    if (!window.echarts || !canvas || !source) {
      element.classList.add("chart-unavailable");
      return;
    }
    let spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      console.warn("chart spec is not valid JSON", element, error);
      element.classList.add("chart-unavailable");
      return;
    }
    element.dataset.chartReady = "1";

    const categories = spec.categories || [];
    const hrefs = categories.map((_, i) => safeHref((spec.hrefs || [])[i]));
    if (isNumber(spec.height)) canvas.style.height = spec.height + "px";
    else if (spec.type === "hbar" && categories.length > 8) canvas.style.height = 40 + 28 * categories.length + "px";

    const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const colors = theme();
    const option = baseOption(colors, reducedMotion);
    if (CATEGORY_TYPES.indexOf(spec.type) >= 0) categoryOption(spec, colors, option, hrefs);
    else if (spec.type === "pie" || spec.type === "treemap") itemsOption(spec, colors, option);
    else {
      console.warn("unknown chart type", spec.type);
      element.classList.add("chart-unavailable");
      return;
    }

    // SVG prints sharply and scales with the page.
    const chart = window.echarts.init(canvas, null, { renderer: "svg", locale: ZH ? "ZH" : "EN" });
    chart.setOption(option);
    if (!canvas.hasAttribute("tabindex")) canvas.setAttribute("tabindex", "0");

    if (CATEGORY_TYPES.indexOf(spec.type) >= 0) {
      if (hrefs.some(Boolean)) wireCategoryLinks(chart, spec, hrefs);
    } else {
      chart.on("click", (params) => navigate(params.data && params.data.href));
    }

    if (window.ResizeObserver) {
      const observer = new ResizeObserver(function () {
        if (!canvas.isConnected) {
          observer.disconnect();
          chart.dispose();
          return;
        }
        chart.resize();
      });
      observer.observe(canvas);
    } else {
      window.addEventListener("resize", () => chart.resize());
    }
    window.addEventListener("beforeprint", () => chart.resize());
    window.addEventListener("afterprint", () => chart.resize());
  }

  function renderAll(root) {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-chart]")) render(scope);
    scope.querySelectorAll("[data-chart]").forEach(render);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => renderAll(document));
  else renderAll(document);
  // Content swapped in by htmx.
  document.addEventListener("htmx:load", (event) => renderAll(event.target));
})();
