/* zeropark dashboard: fetches /api/v1 and draws four ECharts panels.
 *
 * Contract (see the API's schemas): energy arrives in kWh, standard coal in tce,
 * emissions in t CO2e. The page shows energy in MWh (kWh / 1000) except in the
 * structure tooltip, which keeps kWh. Estimated (gap-filled) energy is always
 * drawn apart from measured energy.
 *
 * For browser tests: each panel carries data-panel="structure|daily|co2|top|flow|trend|
 * ranking|alarms|contribution|indicators" and gets data-ready="true" once drawn (data-error="true" if
 * its data failed); the indicators panel is park-admin only and is hidden on HTTP 403; KPI numbers carry data-value (the API's raw value);
 * window.zeropark = {charts, lang, setLang, refresh, data}. The page signs in first
 * (auth.js), refreshes its data every REFRESH_MS and drills down by hash (drill.js).
 */
(function () {
  "use strict";

  const I18N = window.zeroparkI18n;
  const API_BASE = "/api/v1";
  const TOP_LIMIT = 10;
  const KWH_PER_MWH = 1000;

  /** One colour per medium, used by every panel. Unknown media take FALLBACK_COLORS. */
  const MEDIUM_COLORS = {
    electricity: "#4c9dff",
    natural_gas: "#ff9f43",
    heat: "#ff5d73",
    chilled_water: "#2fd4c5",
    water: "#8f7dff",
    pv: "#c2e960",
    steam: "#f5d76e",
  };
  const FALLBACK_COLORS = ["#e58bff", "#7fd1ff", "#ffc2a8", "#9be3b5", "#d6d6d6"];
  const ESTIMATED_COLOR = "#c9d3e3";
  const MEDIUM_ORDER = Object.keys(MEDIUM_COLORS);

  const FONT_FAMILY =
    '"Inter", "Noto Sans SC", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  const TEXT = "#c9d6ea";
  const TEXT_DIM = "#8193b2";
  const GRID_LINE = "rgba(120, 150, 200, 0.14)";
  const PANELS = ["structure", "daily", "co2", "top", "flow", "trend", "ranking", "alarms", "contribution", "indicators"];
  const CHART_PANELS = ["structure", "daily", "co2", "top", "flow", "trend", "ranking"];
  const REFRESH_MS = 60000;
  const AUTH = window.zeroparkAuth;
  const PANEL_JS = window.zeroparkPanels;
  const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  const state = {
    lang: I18N.initialLang(),
    parkId: null,
    year: null,
    parks: null,
    summary: null,
    daily: null,
    monthly: null,
    top: null,
    kpis: null,
    flow: null,
    trend: null,
    ranking: null,
    alarms: null,
    contribution: null,
    indicators: null,
    errors: [],
  };
  const charts = {};

  // ---------------------------------------------------------------- helpers

  function t(key, params) {
    return I18N.translate(state.lang, key, params);
  }

  function mediumName(medium) {
    return I18N.mediumName(state.lang, medium);
  }

  const extraColors = {};
  function mediumColor(medium) {
    if (medium in MEDIUM_COLORS) return MEDIUM_COLORS[medium];
    if (!(medium in extraColors)) {
      extraColors[medium] = FALLBACK_COLORS[Object.keys(extraColors).length % FALLBACK_COLORS.length];
    }
    return extraColors[medium];
  }

  /** Sort rows that carry `medium` in the house order (electricity first), unknown ones last. */
  function byMediumOrder(a, b) {
    const ia = MEDIUM_ORDER.indexOf(a.medium);
    const ib = MEDIUM_ORDER.indexOf(b.medium);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || String(a.medium).localeCompare(String(b.medium));
  }

  function locale() {
    return state.lang === "zh" ? "zh-CN" : "en-GB";
  }

  /** Format a number with `digits` decimals in the page's language; null/NaN → "—". */
  function fmt(value, digits = 0) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
    return new Intl.NumberFormat(locale(), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(Number(value));
  }

  /** Axis tick label: no trailing zeros ("0", "20", "0.5"). */
  function fmtAxis(value) {
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(Number(value));
  }

  function fmtPct(fraction, digits = 1) {
    if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
    return new Intl.NumberFormat(locale(), {
      style: "percent",
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(fraction);
  }

  function sum(values) {
    return values.reduce((acc, v) => acc + (Number(v) || 0), 0);
  }

  function toMwh(kwh) {
    return kwh === null || kwh === undefined ? null : Number(kwh) / KWH_PER_MWH;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  /** Month label of "YYYY-MM" or "YYYY-MM-DD": "Jan" / "1月". */
  function monthLabel(value) {
    const month = Number(String(value).slice(5, 7));
    if (state.lang === "zh") return `${month}月`;
    return MONTHS_EN[month - 1] || String(value);
  }

  function tooltipMarker(color, dashed) {
    const border = dashed ? `border:1px dashed ${color};background:transparent` : `background:${color}`;
    return `<span class="tt-marker" style="${border}"></span>`;
  }

  function tooltipRow(marker, label, value) {
    return `<div class="tt-row">${marker}<span class="tt-label">${escapeHtml(label)}</span><span class="tt-value">${value}</span></div>`;
  }

  // ---------------------------------------------------------------- errors

  /** An error to show: `detail` from the API (problem JSON) or a translated message. */
  function addError(entry) {
    const key = JSON.stringify(entry);
    if (!state.errors.some((e) => JSON.stringify(e) === key)) state.errors.push(entry);
    renderErrors();
  }

  function errorEntry(err) {
    if (err && err.entry) return err.entry;
    return { text: err && err.message ? err.message : String(err) };
  }

  function renderErrors() {
    const banner = document.getElementById("error-banner");
    const list = document.getElementById("error-list");
    list.replaceChildren(
      ...state.errors.map((entry) => {
        const li = document.createElement("li");
        li.textContent = entry.key ? t(entry.key, entry.params) : entry.text;
        return li;
      }),
    );
    banner.hidden = state.errors.length === 0;
  }

  class ApiError extends Error {
    constructor(entry, status) {
      super(entry.text || entry.key);
      this.entry = entry;
      this.status = status || null;
    }
  }

  /** GET API_BASE + path as JSON; non-2xx answers throw ApiError with the problem's `detail`. */
  async function getJson(path) {
    const url = API_BASE + path;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json", ...AUTH.header() } });
    } catch (err) {
      throw new ApiError({ key: "error_network", params: { url, message: err.message } });
    }
    if (response.status === 401) {
      AUTH.require(start);
      throw new ApiError({ text: `${t("login_title")} (HTTP 401, ${url})` });
    }
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch (_err) {
        /* Not JSON (a proxy's HTML page, say): fall back to the status line. */
      }
      const detail = problem && (problem.detail || problem.title);
      if (detail) throw new ApiError({ text: `${detail} (HTTP ${response.status}, ${url})` }, response.status);
      throw new ApiError({ key: "error_http", params: { url, status: response.status } }, response.status);
    }
    return response.json();
  }

  // ---------------------------------------------------------------- panels

  function panelEl(name) {
    return document.querySelector(`[data-panel="${name}"]`);
  }

  function setPanelState(name, status) {
    const el = panelEl(name);
    el.dataset.ready = status === "ready" ? "true" : "false";
    if (status === "error") el.dataset.error = "true";
    else delete el.dataset.error;
    el.classList.toggle("is-loading", status === "loading");
  }

  function chartFor(name) {
    if (!charts[name]) {
      const el = document.getElementById(`chart-${name}`);
      charts[name] = window.echarts.init(el, "dark", { renderer: "canvas" });
    }
    return charts[name];
  }

  /** Option parts shared by every chart: transparent background, house font and tooltip. */
  function baseOption() {
    return {
      backgroundColor: "transparent",
      textStyle: { fontFamily: FONT_FAMILY, color: TEXT },
      animationDuration: 500,
      tooltip: {
        confine: true,
        backgroundColor: "rgba(10, 18, 36, 0.95)",
        borderColor: "#2a3d63",
        borderWidth: 1,
        padding: [8, 12],
        textStyle: { color: "#e8eef8", fontFamily: FONT_FAMILY, fontSize: 12 },
        extraCssText: "box-shadow: 0 6px 20px rgba(0,0,0,.45); border-radius: 6px;",
      },
      legend: {
        type: "scroll",
        top: 0,
        left: "center",
        itemWidth: 14,
        itemHeight: 8,
        textStyle: { color: TEXT, fontSize: 12 },
        pageTextStyle: { color: TEXT_DIM },
      },
    };
  }

  function valueAxis(extra) {
    return Object.assign(
      {
        type: "value",
        axisLabel: { color: TEXT_DIM, formatter: (v) => fmtAxis(v) },
        splitLine: { lineStyle: { color: GRID_LINE } },
        nameTextStyle: { color: TEXT_DIM },
      },
      extra,
    );
  }

  function drawPanel(name, data, draw) {
    if (!data) return;
    const chart = chartFor(name);
    chart.resize();
    chart.clear();
    draw(chart, data);
    setPanelState(name, "ready");
  }

  function drawStructure(chart, summary) {
    const media = summary.media.filter((m) => Number(m.tce) > 0).sort(byMediumOrder);
    const totalTce = sum(media.map((m) => m.tce));
    const option = baseOption();
    option.legend = Object.assign(option.legend, { top: "auto", bottom: 0 });
    option.tooltip.trigger = "item";
    option.tooltip.formatter = (p) => {
      const m = p.data.row;
      const rows = [
        tooltipRow("", t("energy"), `${fmt(m.energy_kwh)} ${t("unit_kwh")}`),
        tooltipRow("", t("tce_label"), `${fmt(m.tce, 1)} ${t("unit_tce")}`),
        tooltipRow("", t("share"), fmtPct(totalTce ? m.tce / totalTce : null)),
      ];
      if (Number(m.estimated_kwh) > 0) {
        rows.push(tooltipRow("", t("estimated"), `${fmt(m.estimated_kwh)} ${t("unit_kwh")}`));
      }
      return `<div class="tt-title">${tooltipMarker(p.color)}${escapeHtml(p.name)}</div>${rows.join("")}`;
    };
    option.title = {
      text: fmt(totalTce, 0),
      subtext: t("unit_tce"),
      left: "center",
      top: "center",
      itemGap: 4,
      textStyle: { color: "#f1f6ff", fontSize: 22, fontWeight: 600, fontFamily: FONT_FAMILY },
      subtextStyle: { color: TEXT_DIM, fontSize: 12, fontFamily: FONT_FAMILY },
    };
    option.series = [
      {
        type: "pie",
        radius: ["46%", "68%"],
        center: ["50%", "50%"],
        minAngle: 2,
        avoidLabelOverlap: true,
        itemStyle: { borderColor: "#0d1830", borderWidth: 2 },
        label: {
          color: TEXT,
          fontSize: 12,
          formatter: (p) => `${p.name}\n{pct|${fmtPct(p.percent / 100)}}`,
          rich: { pct: { color: "#f1f6ff", fontWeight: 600, fontSize: 13, lineHeight: 18 } },
        },
        labelLine: { length: 10, length2: 8, lineStyle: { color: "rgba(200,214,234,0.5)" } },
        labelLayout: { hideOverlap: true },
        data: media.map((m) => ({
          name: mediumName(m.medium),
          value: m.tce,
          row: m,
          itemStyle: { color: mediumColor(m.medium) },
        })),
      },
    ];
    // Keep the centre title inside the ring: it is laid out relative to the whole canvas.
    chart.setOption(option);
  }

  /** Estimated values with nulls where a day and both neighbours are 0, so the band only shows near gaps. */
  function sparseEstimated(values) {
    return values.map((v, i) => {
      if (v > 0) return v;
      const prev = i > 0 ? values[i - 1] : 0;
      const next = i < values.length - 1 ? values[i + 1] : 0;
      return prev > 0 || next > 0 ? 0 : null;
    });
  }

  /** Runs of consecutive indices where values > 0, as [[first, last], …]. */
  function positiveRuns(values) {
    const runs = [];
    values.forEach((v, i) => {
      if (!(v > 0)) return;
      const last = runs[runs.length - 1];
      if (last && last[1] === i - 1) last[1] = i;
      else runs.push([i, i]);
    });
    return runs;
  }

  function drawDaily(chart, daily) {
    const dates = daily.dates;
    const series = daily.series.slice().sort(byMediumOrder);
    const estimatedMwh = dates.map((_d, i) => sum(series.map((s) => toMwh((s.estimated_kwh || [])[i]))));
    const hasEstimated = estimatedMwh.some((v) => v > 0);
    const option = baseOption();
    option.grid = { left: 8, right: 18, top: 44, bottom: 52 };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "line", lineStyle: { color: "rgba(200,214,234,0.45)" } };
    option.tooltip.formatter = (params) => {
      const i = params[0].dataIndex;
      const rows = series.map((s) => {
        const measured = toMwh(s.measured_kwh[i]);
        const estimated = toMwh((s.estimated_kwh || [])[i]) || 0;
        const est = estimated > 0 ? ` <span class="tt-est">+${fmt(estimated, 1)} ${t("estimated_short")}</span>` : "";
        return tooltipRow(tooltipMarker(mediumColor(s.medium)), mediumName(s.medium), `${fmt(measured, 1)}${est}`);
      });
      const total = sum(series.map((s) => toMwh(s.measured_kwh[i]))) + estimatedMwh[i];
      rows.push(tooltipRow("", t("total"), `<b>${fmt(total, 1)}</b> ${t("unit_mwh")}`));
      return `<div class="tt-title">${escapeHtml(dates[i])}</div>${rows.join("")}`;
    };
    option.xAxis = {
      type: "category",
      boundaryGap: false,
      data: dates,
      axisLine: { lineStyle: { color: "rgba(160,180,215,0.4)" } },
      axisTick: { show: false },
      axisLabel: {
        color: TEXT_DIM,
        interval: (_idx, value) => String(value).endsWith("-01"),
        formatter: (value) => monthLabel(value),
      },
    };
    option.yAxis = valueAxis({ name: t("unit_mwh"), nameGap: 10, nameTextStyle: { color: TEXT_DIM, align: "left" } });
    option.dataZoom = [
      { type: "inside", throttle: 50 },
      {
        type: "slider",
        height: 14,
        bottom: 6,
        borderColor: "transparent",
        backgroundColor: "rgba(120,150,200,0.08)",
        fillerColor: "rgba(76,157,255,0.18)",
        dataBackground: { lineStyle: { color: "rgba(160,180,215,0.4)" }, areaStyle: { color: "rgba(160,180,215,0.15)" } },
        handleStyle: { color: "#4c9dff" },
        moveHandleSize: 0,
        showDetail: false,
        brushSelect: false,
      },
    ];
    option.series = series.map((s) => ({
      name: mediumName(s.medium),
      type: "line",
      stack: "energy",
      symbol: "none",
      sampling: "lttb",
      color: mediumColor(s.medium),
      lineStyle: { width: 1 },
      areaStyle: { opacity: 0.5 },
      emphasis: { focus: "series" },
      data: s.measured_kwh.map(toMwh),
    }));
    if (hasEstimated) {
      option.series.push({
        name: t("estimated"),
        type: "line",
        stack: "energy",
        symbol: "none",
        connectNulls: false,
        color: ESTIMATED_COLOR,
        lineStyle: { width: 1.2, type: "dashed", color: ESTIMATED_COLOR },
        areaStyle: { color: "rgba(201,211,227,0.38)" },
        itemStyle: { color: ESTIMATED_COLOR, borderType: "dashed" },
        z: 3,
        data: sparseEstimated(estimatedMwh),
        // Shade the days that hold gap-filled energy over the full height, so short gaps stay visible.
        markArea: {
          silent: true,
          itemStyle: { color: "rgba(201,211,227,0.10)", borderColor: "rgba(201,211,227,0.55)", borderWidth: 1, borderType: "dashed" },
          data: positiveRuns(estimatedMwh).map(([a, b]) => [{ xAxis: dates[a] }, { xAxis: dates[b] }]),
        },
      });
    }
    option.legend.data = option.series.map((s, i) =>
      i === series.length ? { name: s.name, icon: "path://M0,4h4v2h-4zM6,4h4v2h-4zM12,4h4v2h-4z" } : s.name,
    );
    chart.setOption(option);

    const totalEstimatedMwh = sum(estimatedMwh);
    const totalMwh = sum(series.map((s) => sum(s.measured_kwh.map(toMwh)))) + totalEstimatedMwh;
    document.getElementById("daily-note").textContent = hasEstimated
      ? t("estimated_note", {
          value: `${fmt(totalEstimatedMwh, 1)} ${t("unit_mwh")}`,
          pct: fmtPct(totalMwh ? totalEstimatedMwh / totalMwh : null, 2),
        })
      : t("estimated_none");
  }

  function drawCo2(chart, monthly) {
    const series = monthly.series.slice().sort(byMediumOrder);
    const totals = monthly.months.map((_m, i) => sum(series.map((s) => s.co2e_t[i])));
    const option = baseOption();
    option.grid = { left: 8, right: 14, top: 44, bottom: 24 };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow", shadowStyle: { color: "rgba(120,150,200,0.12)" } };
    option.tooltip.formatter = (params) => {
      const i = params[0].dataIndex;
      const rows = series
        .filter((s) => Number(s.co2e_t[i]) !== 0)
        .map((s) => tooltipRow(tooltipMarker(mediumColor(s.medium)), mediumName(s.medium), fmt(s.co2e_t[i], 1)));
      rows.push(tooltipRow("", t("total"), `<b>${fmt(totals[i], 1)}</b> ${t("unit_tco2")}`));
      return `<div class="tt-title">${escapeHtml(monthly.months[i])}</div>${rows.join("")}`;
    };
    option.xAxis = {
      type: "category",
      data: monthly.months,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "rgba(160,180,215,0.4)" } },
      axisLabel: { color: TEXT_DIM, formatter: (v) => monthLabel(v), interval: 0 },
    };
    option.yAxis = valueAxis({ name: t("unit_tco2"), nameGap: 10, nameTextStyle: { color: TEXT_DIM, align: "left" } });
    option.series = series.map((s) => ({
      name: mediumName(s.medium),
      type: "bar",
      stack: "co2",
      barMaxWidth: 28,
      color: mediumColor(s.medium),
      emphasis: { focus: "series" },
      data: s.co2e_t,
    }));
    chart.setOption(option);
  }

  function renderFactors(factors) {
    const box = document.getElementById("co2-factors");
    const list = (factors || []).slice().sort(byMediumOrder);
    if (!list.length) {
      box.replaceChildren();
      return;
    }
    const title = document.createElement("strong");
    title.textContent = t("factors_title");
    const items = list.map((f) => {
      const span = document.createElement("span");
      span.className = "factor";
      const value =
        f.value === null || f.value === undefined ? f.factor_id : `${fmt(f.value, 3)} ${I18N.unitName(state.lang, f.unit || "")}`.trim();
      const params = { medium: mediumName(f.medium), description: f.description || f.factor_id, value, source: f.source };
      span.textContent = t(f.source ? "factor_line" : "factor_line_nosrc", params);
      span.title = `${span.textContent} [${f.factor_id || ""}]`;
      return span;
    });
    box.replaceChildren(title, ...items);
  }

  function drawTop(chart, rows) {
    const buildings = rows.slice(0, TOP_LIMIT);
    const media = [];
    for (const b of buildings) {
      for (const m of Object.keys(b.by_medium || {})) if (!media.includes(m)) media.push(m);
    }
    media.sort((a, b) => byMediumOrder({ medium: a }, { medium: b }));
    const names = buildings.map((b) => b.name || b.building_id);
    const option = baseOption();
    option.grid = { left: 8, right: 60, top: 30, bottom: 30 };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow", shadowStyle: { color: "rgba(120,150,200,0.12)" } };
    option.tooltip.formatter = (params) => {
      const b = buildings[params[0].dataIndex];
      const rowsHtml = media
        .filter((m) => Number((b.by_medium || {})[m]) > 0)
        .map((m) => tooltipRow(tooltipMarker(mediumColor(m)), mediumName(m), `${fmt(toMwh(b.by_medium[m]), 1)} ${t("unit_mwh")}`));
      rowsHtml.push(tooltipRow("", t("total"), `<b>${fmt(toMwh(b.energy_kwh), 1)}</b> ${t("unit_mwh")}`));
      rowsHtml.push(
        tooltipRow("", t("floor_area"), b.floor_area_m2 ? `${fmt(b.floor_area_m2)} ${t("unit_m2")}` : "—"),
      );
      rowsHtml.push(
        tooltipRow(
          "",
          t("eui"),
          b.eui_kwh_per_m2 === null || b.eui_kwh_per_m2 === undefined
            ? "—"
            : `<b>${fmt(b.eui_kwh_per_m2, 1)}</b> ${t("unit_kwh_m2")}`,
        ),
      );
      const id = b.name && b.name !== b.building_id ? ` <span class="tt-dim">${escapeHtml(b.building_id)}</span>` : "";
      return `<div class="tt-title">${escapeHtml(b.name || b.building_id)}${id}</div>${rowsHtml.join("")}`;
    };
    option.yAxis = {
      type: "category",
      inverse: true,
      data: names,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "rgba(160,180,215,0.4)" } },
      axisLabel: { color: TEXT, fontSize: 12, width: 130, overflow: "truncate" },
    };
    option.xAxis = valueAxis({ name: t("unit_mwh"), nameLocation: "end", nameGap: 8, splitNumber: 4 });
    option.xAxis.nameTextStyle = { color: TEXT_DIM, verticalAlign: "top", align: "left", padding: [0, 0, 0, 4] };
    const stacked = media.length
      ? media.map((m) => ({
          name: mediumName(m),
          type: "bar",
          stack: "energy",
          barMaxWidth: 16,
          color: mediumColor(m),
          emphasis: { focus: "series" },
          data: buildings.map((b) => toMwh((b.by_medium || {})[m] || 0)),
        }))
      : [
          {
            name: t("energy"),
            type: "bar",
            stack: "energy",
            barMaxWidth: 16,
            color: MEDIUM_COLORS.electricity,
            data: buildings.map((b) => toMwh(b.energy_kwh)),
          },
        ];
    // An invisible bar with the total, drawn under the stack, carries the value label at the bar's end.
    stacked.push({
      name: "__total",
      type: "bar",
      barGap: "-100%",
      barMaxWidth: 16,
      z: 0,
      silent: true,
      itemStyle: { color: "transparent" },
      tooltip: { show: false },
      label: { show: true, position: "right", color: TEXT, fontSize: 11, formatter: (p) => fmt(p.value, 0) },
      data: buildings.map((b) => toMwh(b.energy_kwh)),
    });
    option.series = stacked;
    option.legend.data = stacked.filter((s) => s.name !== "__total").map((s) => s.name);
    chart.setOption(option);
  }

  // ---------------------------------------------------------------- header, KPIs, footer

  function applyStaticText() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = state.summary ? `${state.summary.name} · ${t("app_title")}` : t("app_title");
    for (const el of document.querySelectorAll("[data-i18n]")) {
      el.textContent = t(el.dataset.i18n);
    }
    for (const name of PANELS) panelEl(name).dataset.emptyLabel = t("no_data");
    const toggle = document.getElementById("lang-toggle");
    toggle.textContent = t("switch_lang");
    toggle.title = t("switch_lang_title");
    toggle.setAttribute("aria-label", t("switch_lang_title"));
  }

  function setKpi(name, value, unit, sub, title) {
    const card = document.querySelector(`[data-kpi="${name}"]`);
    card.querySelector(".num").textContent = value;
    card.querySelector(".unit").textContent = unit || "";
    card.querySelector(".kpi-sub").textContent = sub || "";
    card.title = title || "";
  }

  /** Fill the year selector, newest first; it is enabled only when there is a choice. */
  function renderYears(years) {
    const select = document.getElementById("year-select");
    const sorted = years.slice().sort((a, b) => b - a);
    select.replaceChildren(
      ...sorted.map((y) => {
        const opt = document.createElement("option");
        opt.value = String(y);
        opt.textContent = String(y);
        return opt;
      }),
    );
    if (!sorted.includes(state.year)) {
      const opt = document.createElement("option");
      opt.value = String(state.year);
      opt.textContent = String(state.year);
      opt.disabled = true;
      select.prepend(opt);
    }
    select.value = String(state.year);
    select.disabled = sorted.length < 2 && sorted.includes(state.year);
  }

  function renderHeader() {
    const s = state.summary;
    if (!s) return;
    document.getElementById("park-name").textContent = s.name || s.park_id;
    let period = String(s.year);
    if (state.daily && state.daily.dates && state.daily.dates.length) {
      const d = state.daily.dates;
      period = `${d[0]} – ${d[d.length - 1]}`;
    }
    document.getElementById("period").textContent = `${period} (${t("timezone")} ${s.timezone})`;

    renderYears(s.years || [s.year]);
  }

  function setKpiValue(name, raw) {
    const num = document.querySelector(`[data-kpi="${name}"] .num`);
    num.dataset.value = raw === null || raw === undefined ? "" : String(raw);
  }

  function renderKpis() {
    const s = state.summary;
    const k = state.kpis;
    if (!s) return;
    const totals = s.totals || {};
    if (k) {
      const time = k.load_interval_start ? k.load_interval_start.slice(0, 16).replace("T", " ") : "—";
      setKpi("load", fmt(k.load_kw, 0), t("unit_kw"), t("kpi_load_sub", { time }));
      setKpiValue("load", k.load_kw);
      setKpi("today", fmt(toMwh(k.today_kwh), 1), t("unit_mwh"), t("kpi_today_sub", { day: k.today }));
      setKpiValue("today", k.today_kwh);
      setKpi("pv", k.has_pv ? fmt(toMwh(k.pv_generation_kwh), 1) : "—", k.has_pv ? t("unit_mwh") : "", k.has_pv ? t("kpi_pv_export", { value: fmt(toMwh(k.pv_export_kwh), 1) }) : t("kpi_no_pv"));
      setKpiValue("pv", k.pv_generation_kwh);
      setKpi("selfuse", fmtPct(k.self_consumption_rate), "", k.has_pv ? "" : t("kpi_no_pv"));
      setKpiValue("selfuse", k.self_consumption_rate);
    }
    const estimatedKwh = sum((s.media || []).map((m) => m.estimated_kwh));
    setKpi(
      "energy",
      fmt(toMwh(totals.energy_kwh), 0),
      t("unit_mwh"),
      t("kpi_estimated_share", { pct: fmtPct(totals.energy_kwh ? estimatedKwh / totals.energy_kwh : null, 2) }),
    );
    setKpiValue("energy", totals.energy_kwh);
    setKpi(
      "tce",
      fmt(totals.tce, 0),
      t("unit_tce"),
      s.tce_method ? t("kpi_tce_method", { method: t(`tce_method_${s.tce_method}`) }) : "",
    );
    setKpiValue("tce", totals.tce);
    setKpi(
      "co2",
      fmt(totals.co2e_t, 0),
      t("unit_tco2"),
      totals.tce ? t("kpi_co2_intensity", { value: fmt(totals.co2e_t / totals.tce, 2) }) : "",
    );
    setKpiValue("co2", totals.co2e_t);
    const quality = s.quality || {};
    const codes = Object.keys(quality).filter((k2) => Number(quality[k2]) > 0);
    const detail = codes.map((c) => `${I18N.qualityName(state.lang, c)} ${fmt(quality[c])}`).join(" · ");
    const short = codes.map((c) => `${I18N.qualityName(state.lang, c, true)} ${fmt(quality[c])}`).join(" · ");
    setKpi("quality", fmt(sum(Object.values(quality))), "", short || t("quality_none"), detail);
    setKpiValue("quality", sum(Object.values(quality)));
    document.querySelector('[data-kpi="quality"]').classList.toggle("is-warn", codes.length > 0);
  }

  function renderFooter() {
    const s = state.summary;
    const el = document.getElementById("sources");
    if (!s || !s.sources || !s.sources.length) {
      el.textContent = "—";
      return;
    }
    el.replaceChildren(
      ...s.sources.map((src) => {
        const span = document.createElement("span");
        span.className = "source";
        span.textContent = src;
        return span;
      }),
    );
  }

  function renderAll() {
    applyStaticText();
    renderErrors();
    renderHeader();
    renderKpis();
    renderFooter();
    for (const name of PANELS) renderPanel(name);
  }

  function renderPanel(name) {
    if (name === "structure") drawPanel("structure", state.summary, drawStructure);
    if (name === "daily") drawPanel("daily", state.daily, drawDaily);
    if (name === "co2") {
      drawPanel("co2", state.monthly, drawCo2);
      renderFactors(state.monthly ? state.monthly.factors : state.summary && state.summary.factors);
    }
    if (name === "top") drawPanel("top", state.top, drawTop);
    if (name === "flow") drawPanel("flow", state.flow, (c, d) => PANEL_JS.flow(c, d, ctx()));
    if (name === "trend") drawPanel("trend", state.trend, (c, d) => PANEL_JS.trend(c, d, ctx()));
    if (name === "ranking") drawPanel("ranking", state.ranking, (c, d) => PANEL_JS.ranking(c, d, ctx()));
    if (name === "alarms" && state.alarms) {
      PANEL_JS.alarms(document.getElementById("alarm-list"), state.alarms, ctx());
      setPanelState("alarms", "ready");
    }
    if (name === "contribution" && state.contribution) {
      PANEL_JS.contribution(document.getElementById("contribution"), state.contribution, ctx());
      setPanelState("contribution", "ready");
    }
    if (name === "indicators" && state.indicators) {
      PANEL_JS.indicators(document.getElementById("indicators"), state.indicators, ctx());
      setPanelState("indicators", "ready");
    }
  }

  /** Helpers handed to panels.js and drill.js. */
  function ctx() {
    return {
      t, fmt, fmtPct, mediumName, mediumColor, baseOption, valueAxis, toMwh, escapeHtml, monthLabel,
      lang: () => state.lang,
      qualityName: (code) => I18N.qualityName(state.lang, code),
      getJson,
      parkId: () => state.parkId,
      chart: (name) => chartFor(name),
      addError: (err) => addError(errorEntry(err)),
    };
  }

  // ---------------------------------------------------------------- data flow

  function parkPath(suffix, params) {
    const query = new URLSearchParams(params).toString();
    return `/parks/${encodeURIComponent(state.parkId)}${suffix}${query ? `?${query}` : ""}`;
  }

  async function loadPanel(name, key, path) {
    try {
      state[key] = await getJson(path);
    } catch (err) {
      state[key] = null;
      addError(errorEntry(err));
      setPanelState(name, "error");
      return;
    }
    try {
      renderHeader();
      renderPanel(name);
    } catch (err) {
      addError({ text: `${name}: ${err.message}` });
      setPanelState(name, "error");
    }
  }

  /** Fetch the summary for state.year (or the API's default year), then the three panels in parallel. */
  async function loadYear() {
    for (const name of PANELS) setPanelState(name, "loading");
    state.summary = state.daily = state.monthly = state.top = null;
    state.kpis = state.flow = state.trend = state.ranking = state.alarms = state.contribution = state.indicators = null;
    try {
      const params = state.year ? { year: state.year } : {};
      let summary = await getJson(parkPath("/summary", params));
      if (!state.year) {
        const latest = Math.max(...(summary.years && summary.years.length ? summary.years : [summary.year]));
        state.year = latest;
        if (summary.year !== latest) summary = await getJson(parkPath("/summary", { year: latest }));
      }
      state.summary = summary;
    } catch (err) {
      addError(errorEntry(err));
      for (const name of PANELS) setPanelState(name, "error");
      applyStaticText();
      if (state.year) offerOtherYears();
      return;
    }
    renderAll();
    const year = { year: state.year };
    await Promise.all([
      loadPanel("daily", "daily", parkPath("/daily", year)),
      loadPanel("co2", "monthly", parkPath("/monthly-co2", year)),
      loadPanel("top", "top", parkPath("/top-buildings", { ...year, limit: TOP_LIMIT })),
      loadKpis(year),
      loadPanel("flow", "flow", parkPath("/flow", year)),
      loadPanel("trend", "trend", parkPath("/carbon-trend", year)),
      loadPanel("ranking", "ranking", parkPath("/enterprise-ranking", year)),
      loadPanel("alarms", "alarms", parkPath("/alarms", { limit: 12, lang: state.lang })),
      loadPanel("contribution", "contribution", parkPath("/contribution", year)),
      loadIndicators(year),
    ]);
  }

  /** The indicator table is park-admin only: a 403 hides the panel instead of showing an error. */
  async function loadIndicators(year) {
    const el = panelEl("indicators");
    try {
      state.indicators = await getJson(parkPath("/indicators", { ...year, level: "park" }));
    } catch (err) {
      state.indicators = null;
      if (err && err.status === 403) {
        el.hidden = true;
        setPanelState("indicators", "hidden");
        return;
      }
      addError(errorEntry(err));
      setPanelState("indicators", "error");
      return;
    }
    el.hidden = false;
    try {
      renderPanel("indicators");
    } catch (err) {
      addError({ text: `indicators: ${err.message}` });
      setPanelState("indicators", "error");
    }
  }

  async function loadKpis(year) {
    try {
      state.kpis = await getJson(parkPath("/kpis", year));
      renderKpis();
    } catch (err) {
      addError(errorEntry(err));
    }
  }

  /** After a failed year, ask for the default summary only to list the years that do have data. */
  async function offerOtherYears() {
    try {
      const summary = await getJson(parkPath("/summary", {}));
      renderYears(summary.years || [summary.year]);
    } catch (_err) {
      /* The first error is already shown. */
    }
  }

  async function start() {
    applyStaticText();
    if (!AUTH.token()) {
      AUTH.require(start);
      return;
    }
    AUTH.hide();
    document.getElementById("sign-out").hidden = false;
    if (!window.echarts) {
      addError({ key: "error_echarts" });
      for (const name of PANELS) setPanelState(name, "error");
      return;
    }
    const query = new URLSearchParams(window.location.search);
    const yearParam = Number.parseInt(query.get("year") || "", 10);
    state.year = Number.isFinite(yearParam) ? yearParam : null;
    try {
      state.parks = await getJson("/parks");
    } catch (err) {
      addError(errorEntry(err));
      for (const name of PANELS) setPanelState(name, "error");
      return;
    }
    state.parkId = query.get("park") || (state.parks[0] && state.parks[0].park_id);
    if (!state.parkId) {
      addError({ key: "error_no_parks" });
      for (const name of PANELS) setPanelState(name, "error");
      return;
    }
    const park = state.parks.find((p) => p.park_id === state.parkId);
    const title = document.getElementById("park-name");
    title.removeAttribute("data-i18n");
    title.textContent = park ? park.name : state.parkId;
    if (!(await window.zeroparkDrill.route(ctx()))) await loadYear();
    started = true;
  }

  let started = false;

  /** Re-fetch the data of the page on view (auto-refresh and window.zeropark.refresh). */
  async function refresh() {
    if (!started || !AUTH.token()) return;
    if (await window.zeroparkDrill.route(ctx())) return;
    await loadYear();
  }

  function setLang(lang) {
    if (!I18N.LANGS.includes(lang)) throw new Error(`unknown language ${lang}`);
    state.lang = lang;
    I18N.saveLang(lang);
    renderAll();
    if (started && !document.getElementById("drill-view").hidden) window.zeroparkDrill.route(ctx());
  }

  function onYearChange(event) {
    state.year = Number.parseInt(event.target.value, 10);
    const url = new URL(window.location.href);
    url.searchParams.set("year", String(state.year));
    window.history.replaceState(null, "", url);
    state.errors = [];
    renderErrors();
    loadYear();
  }

  document.getElementById("lang-toggle").addEventListener("click", () => setLang(state.lang === "zh" ? "en" : "zh"));
  document.getElementById("sign-out").addEventListener("click", () => {
    started = false;
    AUTH.signOut();
  });
  window.addEventListener("hashchange", async () => {
    if (!started) return;
    if (!(await window.zeroparkDrill.route(ctx())) && !state.summary) await loadYear();
    else for (const c of Object.values(charts)) c.resize();
  });
  document.getElementById("drill-period").addEventListener("change", () => window.zeroparkDrill.route(ctx()));
  document.getElementById("drill-date").addEventListener("change", (e) => {
    e.target.dataset.chosen = e.target.value;
    window.zeroparkDrill.route(ctx());
  });
  window.setInterval(refresh, REFRESH_MS);
  document.getElementById("year-select").addEventListener("change", onYearChange);
  document.getElementById("error-dismiss").addEventListener("click", () => {
    state.errors = [];
    renderErrors();
  });
  if (window.ResizeObserver) {
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const name = entry.target.id.replace("chart-", "");
        if (charts[name]) charts[name].resize();
      }
    });
    for (const name of [...CHART_PANELS, "drill"]) observer.observe(document.getElementById(`chart-${name}`));
  }
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  window.zeropark = {
    charts,
    get lang() {
      return state.lang;
    },
    setLang,
    refresh,
    get data() {
      return { summary: state.summary, kpis: state.kpis, flow: state.flow, trend: state.trend, ranking: state.ranking, alarms: state.alarms, contribution: state.contribution, indicators: state.indicators };
    },
  };

  start();
})();
