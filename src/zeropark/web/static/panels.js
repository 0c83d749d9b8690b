/* zeropark dashboard: the flow, carbon-trend, ranking, alarms, contribution and indicator panels.
 *
 * indicators: the park-level zero-carbon indicator table (park-admin only).
 *
 * Each function draws one panel from its API response (see /docs); `ctx` holds the page
 * helpers of app.js (t, fmt, fmtPct, mediumName, mediumColor, baseOption, valueAxis,
 * toMwh, escapeHtml, monthLabel). Numbers shown carry data-value attributes with the
 * API's raw value, so browser tests can compare them with the API.
 */
(function () {
  "use strict";

  function nodeName(ctx, node) {
    if (node.kind === "source") return ctx.mediumName(node.name);
    if (node.id === "building:other_buildings") return ctx.t("other_buildings");
    if (node.id === "unallocated") return ctx.t("unallocated");
    return node.name;
  }

  function flow(chart, data, ctx) {
    const option = ctx.baseOption();
    const names = {};
    for (const n of data.nodes) names[n.id] = nodeName(ctx, n);
    option.tooltip.trigger = "item";
    option.tooltip.formatter = (p) =>
      p.dataType === "edge"
        ? `${ctx.escapeHtml(names[p.data.source])} → ${ctx.escapeHtml(names[p.data.target])}<br/><b>${ctx.fmt(p.data.value, 1)}</b> ${ctx.t("unit_mwh")}`
        : `${ctx.escapeHtml(p.name)}`;
    option.series = [
      {
        type: "sankey",
        left: 8,
        right: 110,
        top: 10,
        bottom: 10,
        nodeGap: 6,
        nodeWidth: 12,
        emphasis: { focus: "adjacency" },
        label: { color: "#dce6f5", fontSize: 11, formatter: (p) => names[p.data.id] || p.name },
        lineStyle: { color: "gradient", opacity: 0.35, curveness: 0.5 },
        data: data.nodes.map((n) => ({
          name: n.id,
          id: n.id,
          itemStyle: { color: n.kind === "source" ? ctx.mediumColor(n.name) : n.kind === "enterprise" ? "#2fd4c5" : "#4c6d9f" },
        })),
        links: data.links.map((l) => ({ source: l.source, target: l.target, value: ctx.toMwh(l.value_kwh) })),
      },
    ];
    option.legend = undefined;
    chart.setOption(option);
  }

  function trend(chart, data, ctx) {
    const option = ctx.baseOption();
    option.tooltip.trigger = "axis";
    option.grid = { left: 56, right: 16, top: 34, bottom: 28 };
    option.xAxis = { type: "category", data: data.months.map(ctx.monthLabel), axisLabel: { color: "#8193b2" } };
    option.yAxis = ctx.valueAxis({ name: ctx.t("unit_tco2") });
    const series = [
      { name: ctx.t("trend_monthly"), type: "bar", data: data.co2e_t, color: "#4c6d9f", barMaxWidth: 18 },
      { name: ctx.t("trend_actual"), type: "line", data: data.cumulative_co2e_t, color: "#c2e960", symbolSize: 5 },
    ];
    if (data.target) {
      series.push({ name: ctx.t("trend_target"), type: "line", data: data.target.cumulative_co2e_t, color: "#ff5d73", lineStyle: { type: "dashed" }, symbol: "none" });
    } else if (data.previous_year_cumulative_co2e_t) {
      series.push({ name: ctx.t("trend_previous"), type: "line", data: data.previous_year_cumulative_co2e_t, color: "#8193b2", lineStyle: { type: "dashed" }, symbol: "none" });
    }
    option.series = series;
    chart.setOption(option);
    const note = document.getElementById("trend-note");
    note.textContent = data.target
      ? ctx.t("trend_target_note", { value: ctx.fmt(data.target.annual_co2e_t), source: data.target.source })
      : ctx.t("trend_no_target");
  }

  function ranking(chart, rows, ctx) {
    const option = ctx.baseOption();
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.grid = { left: 8, right: 56, top: 8, bottom: 8, containLabel: true };
    option.yAxis = { type: "category", inverse: true, data: rows.map((r) => r.name), axisLabel: { color: "#dce6f5", width: 150, overflow: "truncate" } };
    option.xAxis = ctx.valueAxis({ name: ctx.t("unit_mwh"), splitNumber: 4 });
    option.xAxis.axisLabel.hideOverlap = true;
    option.series = [
      {
        type: "bar",
        name: ctx.t("energy"),
        color: "#2fd4c5",
        barMaxWidth: 18,
        label: { show: true, position: "right", color: "#dce6f5", formatter: (p) => ctx.fmt(p.value, 0) },
        data: rows.map((r) => ({ value: ctx.toMwh(r.energy_kwh), enterprise: r.enterprise_id })),
      },
    ];
    option.legend = undefined;
    chart.setOption(option);
    chart.off("click");
    chart.on("click", (p) => {
      if (p.data && p.data.enterprise) window.location.hash = `#/enterprise/${encodeURIComponent(p.data.enterprise)}`;
    });
  }

  function alarms(el, data, ctx) {
    document.getElementById("alarms-total").textContent = ctx.t("alarms_total", { n: ctx.fmt(data.total) });
    document.getElementById("alarms-total").dataset.value = String(data.total);
    if (!data.items.length) {
      el.innerHTML = `<li class="alarm-none">${ctx.escapeHtml(ctx.t("alarms_none"))}</li>`;
      return;
    }
    el.innerHTML = data.items
      .map(
        (a) => `<li class="alarm sev-${ctx.escapeHtml(a.severity || "info")}" data-code="${ctx.escapeHtml(a.code)}">
          <span class="alarm-sev">${ctx.escapeHtml(a.severity || "")}</span>
          <span class="alarm-text">${ctx.escapeHtml(ctx.qualityName(a.code))}</span>
          <a class="alarm-meter" href="#/meter/${encodeURIComponent(a.meter_id)}">${ctx.escapeHtml(a.meter_id)}</a>
          <span class="alarm-time">${ctx.escapeHtml(String(a.start_ts || "").slice(0, 16).replace("T", " "))}</span>
        </li>`,
      )
      .join("");
  }

  function contribution(el, data, ctx) {
    const tree = data.factors.find((f) => f.name === "tree_co2");
    const card = (key, value, unit, digits) =>
      `<div class="contrib" data-contrib="${key}"><div class="kpi-label">${ctx.escapeHtml(ctx.t(`contribution_${key}`))}</div>
       <div class="kpi-value"><span class="num" data-value="${value === null ? "" : value}">${ctx.fmt(value, digits)}</span><span class="unit">${ctx.escapeHtml(unit)}</span></div></div>`;
    el.innerHTML =
      `<div class="contrib-row">${card("tce", data.tce_saved, ctx.t("unit_tce"), 1)}${card("co2", data.co2_avoided_t, ctx.t("unit_tco2"), 1)}${card("trees", data.trees, "", 0)}</div>` +
      (data.has_pv ? "" : `<p class="note">${ctx.escapeHtml(ctx.t("contribution_no_pv"))}</p>`) +
      `<p class="note citation">${ctx.escapeHtml(ctx.t("contribution_trees_note", { value: tree ? tree.value : "—", source: tree ? tree.source : "—" }))}</p>`;
  }

  /** A value in the indicator's unit: "-" (a ratio) as a percentage, else 0–3 decimals by size. */
  function indicatorNumber(value, unit, ctx) {
    if (value === null || value === undefined) return "—";
    if (unit === "-") return ctx.fmtPct(value, 1);
    const abs = Math.abs(Number(value));
    return ctx.fmt(value, abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  }

  const STATUS_KEYS = { met: "ind_met", not_met: "ind_not_met", no_data: "ind_no_data", no_target: "ind_no_target" };

  function indicators(el, data, ctx) {
    const rows = data.indicators || [];
    if (!rows.length) {
      el.innerHTML = `<p class="note">${ctx.escapeHtml(ctx.t("ind_none"))}</p>`;
      return;
    }
    const esc = ctx.escapeHtml;
    const body = rows
      .map((r) => {
        const name = ctx.lang() === "zh" ? r.name_zh || r.name_en : r.name_en || r.name_zh;
        const other = ctx.lang() === "zh" ? r.name_en : r.name_zh;
        const unit = r.unit && r.unit !== "-" && r.value !== null && r.value !== undefined ? r.unit : "";
        const dir = r.direction === "<=" ? "≤ " : r.direction === ">=" ? "≥ " : "";
        const target = r.target === null || r.target === undefined ? "—" : dir + indicatorNumber(r.target, r.unit, ctx);
        const status = STATUS_KEYS[r.status] ? r.status : "no_data";
        const reason = r.reason ? ` title="${esc(r.reason)}"` : "";
        return `<tr data-indicator="${esc(r.indicator_id)}" data-status="${esc(status)}">
          <td class="ind-name" title="${esc(`${name} · ${other || ""}`)}">${esc(name)}</td>
          <td class="ind-value num" data-value="${r.value === null || r.value === undefined ? "" : r.value}">${esc(indicatorNumber(r.value, r.unit, ctx))}<span class="unit">${esc(unit)}</span></td>
          <td class="ind-target">${esc(target)}</td>
          <td class="ind-status"><span class="badge badge-${esc(status)}"${reason}>${esc(ctx.t(STATUS_KEYS[status]))}</span></td>
        </tr>`;
      })
      .join("");
    el.innerHTML = `<table><thead><tr><th>${esc(ctx.t("ind_name"))}</th><th class="num">${esc(ctx.t("ind_value"))}</th><th>${esc(ctx.t("ind_target"))}</th><th>${esc(ctx.t("ind_status"))}</th></tr></thead><tbody>${body}</tbody></table>`;
  }

  window.zeroparkPanels = { flow, trend, ranking, alarms, contribution, indicators };
})();
