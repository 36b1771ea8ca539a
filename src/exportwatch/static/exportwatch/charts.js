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
 * World maps of markets (monitoring/worldmap.py builds the spec):
 *   type        "bubblemap"  no borders: a bubble per market at its capital on a plain longitude/latitude plane
 *               (graticule only), area proportional to `value`; the default, as STACK.md requires
 *               "geomap"     the markets' areas on an approved base map (审图号), only when one is configured
 *   points      [{code, name, at: [lon, lat], value, yoy, band, href}]   value in `unit`, yoy a fraction or null,
 *               band an index into `bands`; a click on a bubble or an area goes to href
 *   bands       [{name, color}]                the colour scale; its legend is a row of buttons below the map (a
 *               click hides or shows a band's markets), named by legendLabel
 *   unit, valueName, yoyName                   tooltip wording
 *   views       [{name, box: [west, south, east, north] | null}]   buttons above the map that zoom to a region
 *               (east may pass 180); null is the whole world. viewsLabel names the group
 *   westEdge    bubblemap: the longitude where the plane is cut (-30: Pacific in the middle)
 *   continents  bubblemap: [{name, at}] faint names that help the eye without coastlines
 *   mapUrl, nameProperty   geomap: the same-origin GeoJSON (fetched, never from another site) and the feature
 *               property that holds the ISO code matched against points[].code
 *   Both maps move with the mouse (drag) and zoom with Ctrl + wheel or a pinch, so the page still scrolls.
 *
 * Numbers follow <html lang> through Intl.NumberFormat. The palette is neutral (charts.css --chart-1..6): a
 * colour says "which series", never good/bad. The red-up/green-down market convention and the four warning
 * colours of app.css are not used here. The maps are the one exception: their colour is a diverging scale of
 * new orders year on year (falling red, rising blue, grey when unknown) that the spec gives with its legend.
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

  // --- world maps ---------------------------------------------------------------------------------------------

  const MAP_TYPES = ["bubblemap", "geomap"];
  const PLANE_SOUTH = -60; // the plane leaves out Antarctica and the far north, where no market has its capital
  const PLANE_NORTH = 85;
  const MAP_MIN_HEIGHT = 260;
  const MAP_MAX_HEIGHT = 620;
  const LAND = "#eef1f4"; // geomap: areas that are not a market of the month
  const BUBBLE_BORDER = "rgba(28, 37, 48, 0.55)";
  const LABEL_SIZE = 12;
  const CONTINENT_SIZE = 15;

  function signedPercent(fraction) {
    if (!isNumber(fraction)) return "–";
    const text = fixed(roundTo(fraction * 100, 1), 1) + "%";
    return fraction > 0 ? "+" + text : text;
  }

  function pointText(spec) {
    const colon = ZH ? "：" : ": ";
    const unit = spec.unit ? " " + spec.unit : "";
    return function (point) {
      return [
        point.name,
        (spec.valueName || "") + colon + (isNumber(point.value) ? fixed(point.value, 1) + unit : "–"),
        (spec.yoyName || "") + colon + signedPercent(point.yoy),
      ].join("\n");
    };
  }

  // The bands' colours: the visual map colours the markets by band; its legend is drawn in the page below the
  // canvas (it wraps on a narrow screen and covers no market), one button per band that hides or shows it.
  function bandColours(spec, seriesIndex, dimension, hidden) {
    return {
      type: "piecewise",
      show: false,
      seriesIndex: seriesIndex,
      dimension: dimension,
      pieces: (spec.bands || []).map((band, index) => ({ value: index, label: band.name, color: band.color })),
      outOfRange: hidden, // the look of a band the legend hides
    };
  }

  function bandLegend(canvas, spec, chart) {
    const bands = spec.bands || [];
    if (!bands.length) return;
    const selected = {};
    const legend = document.createElement("div");
    legend.className = "chart-legend";
    legend.setAttribute("role", "group");
    if (spec.legendLabel) legend.setAttribute("aria-label", spec.legendLabel);
    Object.assign(legend.style, { display: "flex", flexWrap: "wrap", gap: "2px 16px", marginTop: "8px" });
    bands.forEach(function (band, index) {
      selected[index] = true;
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("aria-pressed", "true");
      Object.assign(button.style, {
        display: "inline-flex",
        alignItems: "center",
        gap: "6px",
        padding: "2px 0",
        border: "0",
        background: "none",
        color: "inherit",
        font: "inherit",
        fontSize: "13px",
        cursor: "pointer",
      });
      const swatch = document.createElement("span");
      swatch.setAttribute("aria-hidden", "true");
      Object.assign(swatch.style, {
        width: "12px",
        height: "12px",
        borderRadius: "50%",
        background: band.color,
        border: "1px solid " + BUBBLE_BORDER,
        flex: "none",
      });
      button.append(swatch, document.createTextNode(band.name));
      button.addEventListener("click", function () {
        selected[index] = !selected[index];
        button.setAttribute("aria-pressed", String(selected[index]));
        button.style.opacity = selected[index] ? "" : "0.45";
        button.style.textDecoration = selected[index] ? "" : "line-through";
        chart.dispatchAction({ type: "selectDataRange", visualMapIndex: 0, selected: Object.assign({}, selected) });
      });
      legend.appendChild(button);
    });
    canvas.parentNode.insertBefore(legend, canvas.nextSibling);
  }

  function viewButtons(canvas, spec, zoomTo) {
    const views = (spec.views || []).filter((view) => view && view.name);
    if (views.length < 2) return;
    const group = document.createElement("div");
    group.className = "chart-views";
    group.setAttribute("role", "group");
    if (spec.viewsLabel) group.setAttribute("aria-label", spec.viewsLabel);
    group.style.marginBottom = "8px";
    views.forEach(function (view, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small";
      button.textContent = view.name;
      button.addEventListener("click", () => zoomTo(Array.isArray(view.box) ? view.box : null));
      if (index) group.appendChild(document.createTextNode(" "));
      group.appendChild(button);
    });
    canvas.parentNode.insertBefore(group, canvas);
  }

  function initChart(canvas) {
    // SVG prints sharply and scales with the page.
    const chart = window.echarts.init(canvas, null, { renderer: "svg", locale: ZH ? "ZH" : "EN" });
    if (!canvas.hasAttribute("tabindex")) canvas.setAttribute("tabindex", "0");
    return chart;
  }

  let measuring = null;
  function textWidth(text, font) {
    measuring = measuring || document.createElement("canvas").getContext("2d");
    measuring.font = font;
    return measuring.measureText(text).width;
  }

  function rectsOverlap(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }

  function circleHitsRect(c, r) {
    const nearestX = Math.max(r.x, Math.min(c.x, r.x + r.w));
    const nearestY = Math.max(r.y, Math.min(c.y, r.y + r.h));
    return (c.x - nearestX) * (c.x - nearestX) + (c.y - nearestY) * (c.y - nearestY) < c.r * c.r;
  }

  // Names of the bubbles, placed greedily from the largest bubble down: right of the bubble, left, above, below,
  // or inside when it fits, wherever the name covers neither another bubble nor a name already placed. A name
  // with no such place is left out until a closer zoom makes room; so is a continent's name that would touch a
  // market or its name. `bubbles` are the bubble series' data, largest first, and `continents` the continent
  // series' data; `shown(band)` says whether the legend shows a band. Returns both series' new data.
  function placeNames(chart, bubbles, continents, shown, plane, colors) {
    const font = LABEL_SIZE + "px " + colors.font;
    const inside = (x, y) =>
      x >= plane.left && x <= plane.left + plane.width && y >= plane.top && y <= plane.top + plane.height;
    const circles = bubbles.map(function (b) {
      const at = chart.convertToPixel({ seriesIndex: 1 }, b.value.slice(0, 2));
      return { x: at[0], y: at[1], r: b.symbolSize / 2, on: shown(b.value[2]) };
    });
    const placed = [];
    const names = bubbles.map(function (b, i) {
      const c = circles[i];
      const datum = { name: b.name, value: b.value.slice(0, 2), symbolSize: b.symbolSize, label: { show: false } };
      if (!c.on || !inside(c.x, c.y)) return datum;
      const w = textWidth(b.name, font) + 4;
      const h = 16;
      const gap = 3;
      const candidates = [
        ["right", c.x + c.r + gap, c.y - h / 2],
        ["left", c.x - c.r - gap - w, c.y - h / 2],
        ["top", c.x - w / 2, c.y - c.r - gap - h],
        ["bottom", c.x - w / 2, c.y + c.r + gap],
      ];
      if (2 * c.r >= w) candidates.push(["inside", c.x - w / 2, c.y - h / 2]);
      for (let k = 0; k < candidates.length; k++) {
        const rect = { x: candidates[k][1], y: candidates[k][2], w: w, h: h };
        if (!inside(rect.x, rect.y) || !inside(rect.x + w, rect.y + h)) continue;
        if (placed.some((other) => rectsOverlap(other, rect))) continue;
        if (circles.some((o, j) => j !== i && o.on && circleHitsRect(o, rect))) continue;
        placed.push(rect);
        datum.label = { show: true, position: candidates[k][0] };
        return datum;
      }
      return datum;
    });
    const continentFont = "bold " + CONTINENT_SIZE + "px " + colors.font;
    const regions = continents.map(function (c) {
      const at = chart.convertToPixel({ seriesIndex: 0 }, c.value);
      const w = textWidth(c.name, continentFont) + 4;
      const h = CONTINENT_SIZE + 4;
      const rect = { x: at[0] - w / 2, y: at[1] - h / 2, w: w, h: h };
      const free =
        inside(rect.x, rect.y) &&
        inside(rect.x + w, rect.y + h) &&
        !placed.some((other) => rectsOverlap(other, rect)) &&
        !circles.some((o) => o.on && circleHitsRect(o, rect));
      return { name: c.name, value: c.value, label: { show: free } };
    });
    return { names: names, continents: regions };
  }

  // Bubble map: x is the longitude moved into [westEdge, westEdge + 360), y the latitude; one degree is as long
  // across as up (a plate carrée), so the grid keeps the plane's aspect ratio whatever the canvas size.
  function drawBubbleMap(element, canvas, spec, colors, option) {
    const west = isNumber(spec.westEdge) ? spec.westEdge : -180;
    const span = { x: 360, y: PLANE_NORTH - PLANE_SOUTH };
    const planeX = (lon) => ((((lon - west) % 360) + 360) % 360) + west;
    const points = (spec.points || []).filter((p) => Array.isArray(p.at) && isNumber(p.at[0]) && isNumber(p.at[1]));
    const text = pointText(spec);

    function fitHeight() {
      const width = canvas.clientWidth || 800;
      const wanted = Math.round(width * (span.y / span.x)) + 16;
      canvas.style.height = Math.max(MAP_MIN_HEIGHT, Math.min(MAP_MAX_HEIGHT, wanted)) + "px";
    }
    function grid() {
      const width = canvas.clientWidth || 800;
      const height = canvas.clientHeight || 400;
      let w = width - 16;
      let h = height - 16;
      if (w / h > span.x / span.y) w = (h * span.x) / span.y;
      else h = (w * span.y) / span.x;
      return {
        show: true,
        left: (width - w) / 2,
        top: (height - h) / 2,
        width: w,
        height: h,
        backgroundColor: "#f6f9fc",
        borderColor: colors.border,
      };
    }
    fitHeight();

    const largest = Math.max(28, Math.min(64, (canvas.clientWidth || 800) / 18));
    const max = points.reduce((m, p) => (isNumber(p.value) && p.value > m ? p.value : m), 0);
    function bubble(value) {
      if (!(max > 0) || !isNumber(value) || value <= 0) return 4;
      return Math.max(4, largest * Math.sqrt(value / max)); // area, not diameter, proportional to the value
    }

    function axis(min, maxValue) {
      return {
        type: "value",
        min: min,
        max: maxValue,
        interval: 30,
        axisLabel: { show: false },
        axisLine: { show: false },
        axisTick: { show: false },
        splitLine: { lineStyle: { color: colors.border, width: 0.6 } },
      };
    }
    const roam = {
      type: "inside",
      filterMode: "none",
      zoomOnMouseWheel: "ctrl", // a plain wheel scrolls the page
      moveOnMouseMove: true,
      moveOnMouseWheel: false,
      preventDefaultMouseMove: true,
    };
    let plane = grid();
    option.tooltip.trigger = "item";
    option.grid = plane;
    option.xAxis = axis(west, west + span.x);
    option.yAxis = axis(PLANE_SOUTH, PLANE_NORTH);
    option.dataZoom = [
      Object.assign({ xAxisIndex: 0, minValueSpan: 10 }, roam),
      Object.assign({ yAxisIndex: 0, minValueSpan: 4 }, roam),
    ];
    option.series = [
      {
        type: "scatter",
        id: "continents",
        silent: true,
        symbolSize: 0,
        z: 1,
        tooltip: { show: false },
        data: [],
        label: {
          position: "inside",
          formatter: "{b}",
          color: "rgba(90, 102, 118, 0.45)",
          fontSize: CONTINENT_SIZE,
          fontWeight: "bold",
        },
      },
      {
        type: "scatter",
        id: "bubbles",
        name: spec.valueName || "",
        z: 2,
        cursor: "default",
        data: points.map(function (p) {
          const href = safeHref(p.href);
          return {
            name: p.name,
            value: [planeX(p.at[0]), p.at[1], p.band],
            symbolSize: bubble(p.value),
            point: p,
            href: href,
            cursor: href ? "pointer" : "default",
          };
        }),
        itemStyle: { opacity: 0.88, borderColor: BUBBLE_BORDER, borderWidth: 0.8 },
        emphasis: { focus: "none", scale: false, itemStyle: { borderColor: colors.text, borderWidth: 2 } },
        tooltip: { formatter: (params) => text(params.data.point) },
      },
      {
        // The names, in a layer above every bubble (a later bubble would cover an earlier bubble's name), on
        // invisible symbols of the bubbles' sizes; placeNames says which name shows where.
        type: "scatter",
        id: "names",
        silent: true,
        z: 3,
        tooltip: { show: false },
        itemStyle: { color: "rgba(0, 0, 0, 0)", borderWidth: 0 },
        data: [],
        label: {
          distance: 3,
          formatter: "{b}",
          color: colors.text,
          fontSize: LABEL_SIZE,
          textBorderColor: "#fff",
          textBorderWidth: 2,
        },
      },
    ];
    option.visualMap = bandColours(spec, 1, 2, { symbolSize: 0, opacity: 0 });

    const chart = initChart(canvas);
    chart.setOption(option);
    chart.on("click", (params) => navigate(params.data && params.data.href));

    const bubbles = option.series[1].data;
    const continents = (spec.continents || []).map((c) => ({ name: c.name, value: [planeX(c.at[0]), c.at[1]] }));
    let bands = {}; // the legend's selection: band index -> false when hidden
    function names() {
      const data = placeNames(chart, bubbles, continents, (band) => bands[band] !== false, plane, colors);
      chart.setOption({
        visualMap: [{ selected: bands }], // any setOption resets the selection unless it is given again
        series: [
          { id: "continents", data: data.continents },
          { id: "names", data: data.names },
        ],
      });
    }
    let pending = false;
    function namesSoon() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        if (!chart.isDisposed()) names();
      });
    }
    names();
    chart.on("datazoom", namesSoon);
    chart.on("datarangeselected", function (params) {
      bands = params.selected || {};
      namesSoon();
    });

    // Zooms to a box, widened to the grid's aspect ratio and kept inside the plane.
    function zoomTo(box) {
      const g = chart.getOption().grid[0];
      let x0 = west;
      let x1 = west + span.x;
      let y0 = PLANE_SOUTH;
      let y1 = PLANE_NORTH;
      if (box) {
        x0 = planeX(box[0]);
        x1 = x0 + ((((box[2] - box[0]) % 360) + 360) % 360 || 360);
        y0 = Math.max(PLANE_SOUTH, box[1]);
        y1 = Math.min(PLANE_NORTH, box[3]);
      }
      const perPixel = Math.max((x1 - x0) / g.width, (y1 - y0) / g.height);
      const fit = function (lo, hi, length, min, maxValue) {
        const size = Math.min(maxValue - min, perPixel * length);
        const start = Math.min(Math.max(min, (lo + hi) / 2 - size / 2), maxValue - size);
        return [start, start + size];
      };
      const xs = fit(x0, x1, g.width, west, west + span.x);
      const ys = fit(y0, y1, g.height, PLANE_SOUTH, PLANE_NORTH);
      chart.dispatchAction({ type: "dataZoom", dataZoomIndex: 0, startValue: xs[0], endValue: xs[1] });
      chart.dispatchAction({ type: "dataZoom", dataZoomIndex: 1, startValue: ys[0], endValue: ys[1] });
    }
    viewButtons(canvas, spec, zoomTo);
    bandLegend(canvas, spec, chart);

    watchSize(canvas, chart, function () {
      fitHeight();
      chart.resize();
      plane = grid();
      chart.setOption({ grid: plane, visualMap: [{ selected: bands }] });
      names();
    });
  }

  function geoBounds(geojson) {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(coords) {
      if (!Array.isArray(coords)) return;
      if (isNumber(coords[0]) && isNumber(coords[1])) {
        box[0] = Math.min(box[0], coords[0]);
        box[1] = Math.min(box[1], coords[1]);
        box[2] = Math.max(box[2], coords[0]);
        box[3] = Math.max(box[3], coords[1]);
      } else coords.forEach(walk);
    }
    ((geojson && geojson.features) || []).forEach((f) => walk(f && f.geometry && f.geometry.coordinates));
    return isFinite(box[0]) ? box : [-180, -60, 180, 85];
  }

  // The approved base map, fetched from this site only (never from another one), then drawn like the bubbles.
  function drawGeoMap(element, canvas, spec, colors, option) {
    const url = safeHref(spec.mapUrl);
    if (!url || new URL(url).origin !== window.location.origin) {
      console.warn("the world map must come from this site", spec.mapUrl);
      element.classList.add("chart-unavailable");
      return;
    }
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((geojson) => drawGeoJson(element, canvas, spec, colors, option, url, geojson))
      .catch(function (error) {
        console.warn("the world map could not be loaded", error);
        element.classList.add("chart-unavailable");
      });
  }

  function drawGeoJson(element, canvas, spec, colors, option, url, geojson) {
    const name = "exportwatch:" + url;
    if (!window.echarts.getMap(name)) window.echarts.registerMap(name, { geoJSON: geojson });
    const bounds = geoBounds(geojson);
    const text = pointText(spec);
    const height = Math.round(((canvas.clientWidth || 800) * (bounds[3] - bounds[1])) / (bounds[2] - bounds[0]));
    canvas.style.height = Math.max(MAP_MIN_HEIGHT, Math.min(MAP_MAX_HEIGHT, height + 16)) + "px";

    option.tooltip.trigger = "item";
    option.series = [
      {
        type: "map",
        map: name,
        nameProperty: spec.nameProperty || "name",
        roam: "move", // zoom with Ctrl + wheel below, so that a plain wheel scrolls the page
        selectedMode: false,
        left: 8,
        right: 8,
        top: 8,
        bottom: 8,
        itemStyle: { areaColor: LAND, borderColor: "#a9b3be", borderWidth: 0.5 },
        label: { show: false },
        emphasis: { label: { show: false }, itemStyle: { areaColor: LAND, borderColor: colors.text, borderWidth: 1 } },
        data: (spec.points || []).map(function (p) {
          const href = safeHref(p.href);
          return {
            name: p.code,
            value: p.band,
            point: p,
            href: href,
            cursor: href ? "pointer" : "default",
            emphasis: { itemStyle: { areaColor: p.color } },
          };
        }),
        tooltip: { formatter: (params) => (params.data && params.data.point ? text(params.data.point) : "") },
      },
    ];
    option.visualMap = bandColours(spec, 0, 0, { color: LAND });

    const chart = initChart(canvas);
    chart.setOption(option);
    chart.on("click", (params) => navigate(params.data && params.data.href));

    let bands = {}; // the legend's selection, given again with every setOption (which would reset it)
    chart.on("datarangeselected", (params) => (bands = params.selected || {}));
    const view = (series) => chart.setOption({ visualMap: [{ selected: bands }], series: [series] });

    function zoomTo(box) {
      const b = box || bounds;
      const east = Math.min(b[2], bounds[2]);
      const zoom = Math.min((bounds[2] - bounds[0]) / (east - b[0]), (bounds[3] - bounds[1]) / (b[3] - b[1]));
      view({ center: [(b[0] + east) / 2, (b[1] + b[3]) / 2], zoom: Math.max(1, zoom) });
    }
    viewButtons(canvas, spec, zoomTo);
    bandLegend(canvas, spec, chart);
    canvas.addEventListener(
      "wheel",
      function (event) {
        if (!event.ctrlKey) return;
        event.preventDefault();
        const current = chart.getOption().series[0].zoom || 1;
        const zoom = Math.max(1, Math.min(40, current * (event.deltaY < 0 ? 1.2 : 1 / 1.2)));
        view({ zoom: zoom });
      },
      { passive: false },
    );
    watchSize(canvas, chart, null);
  }

  function drawMap(element, canvas, spec) {
    const colors = theme();
    const option = baseOption(colors, window.matchMedia("(prefers-reduced-motion: reduce)").matches);
    if (spec.type === "bubblemap") drawBubbleMap(element, canvas, spec, colors, option);
    else drawGeoMap(element, canvas, spec, colors, option);
  }

  // Redraws on a size change (onResize replaces the plain resize) and before and after printing; stops with
  // the canvas.
  function watchSize(canvas, chart, onResize) {
    const resize = onResize || (() => chart.resize());
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(function () {
        if (!canvas.isConnected) {
          observer.disconnect();
          chart.dispose();
          return;
        }
        resize();
      });
      observer.observe(canvas);
    } else {
      window.addEventListener("resize", resize);
    }
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
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
    if (MAP_TYPES.indexOf(spec.type) >= 0) {
      drawMap(element, canvas, spec);
      return;
    }

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

    const chart = initChart(canvas);
    chart.setOption(option);

    if (CATEGORY_TYPES.indexOf(spec.type) >= 0) {
      if (hrefs.some(Boolean)) wireCategoryLinks(chart, spec, hrefs);
    } else {
      chart.on("click", (params) => navigate(params.data && params.data.href));
    }
    watchSize(canvas, chart, null);
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
