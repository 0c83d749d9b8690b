/* zeropark dashboard: drill-down pages, reached by hash routes
 *   #/enterprise/<id>  enterprise totals, its buildings and meters, energy per bucket
 *   #/meter/<id>       one meter: attributes and energy per bucket
 * with a period picker (day = 15 min, week = hourly, month = daily, year = monthly) and a
 * date. The page [data-panel="drill"] gets data-ready="true" and data-kind/data-id once drawn.
 */
(function () {
  "use strict";

  function iso(d) {
    return d.toISOString().slice(0, 10);
  }

  function addDays(dateText, n) {
    const d = new Date(`${dateText}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return iso(d);
  }

  /** [start, end) and bucket of a period around `day` (same rule as the API's default_period). */
  function periodRange(period, day) {
    if (period === "day") return [day, addDays(day, 1), "15min"];
    if (period === "week") return [addDays(day, -6), addDays(day, 1), "hour"];
    if (period === "month") {
      const first = `${day.slice(0, 8)}01`;
      const next = new Date(`${first}T00:00:00Z`);
      next.setUTCMonth(next.getUTCMonth() + 1);
      return [first, iso(next), "day"];
    }
    const y = Number(day.slice(0, 4));
    return [`${y}-01-01`, `${y + 1}-01-01`, "month"];
  }

  function drawSeries(chart, series, ctx) {
    const option = ctx.baseOption();
    option.tooltip.trigger = "axis";
    option.grid = { left: 60, right: 16, top: 34, bottom: 40 };
    option.xAxis = { type: "category", data: series.buckets.map((b) => b.slice(0, 16).replace("T", " ")), axisLabel: { color: "#8193b2" } };
    option.yAxis = ctx.valueAxis({ name: ctx.t("unit_kwh") });
    option.series = series.series.map((s) => ({
      name: ctx.mediumName(s.medium),
      type: "bar",
      stack: "energy",
      color: ctx.mediumColor(s.medium),
      data: s.energy_kwh,
    }));
    chart.setOption(option, true);
  }

  function table(headers, rows) {
    const head = headers.map((h) => `<th>${h}</th>`).join("");
    return `<table><thead><tr>${head}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  }

  async function showEnterprise(ctx, id, period, day) {
    const params = new URLSearchParams({ period });
    if (day) params.set("day", day);
    const data = await ctx.getJson(`/parks/${encodeURIComponent(ctx.parkId())}/enterprises/${encodeURIComponent(id)}/summary?${params}`);
    document.getElementById("drill-title").textContent = `${ctx.t("drill_enterprise")}: ${data.name}`;
    document.getElementById("drill-range").textContent = `${data.start} – ${data.end} (${data.timezone})`;
    document.getElementById("drill-totals").textContent = `${ctx.fmt(data.totals.energy_kwh)} ${ctx.t("unit_kwh")} · ${ctx.fmt(data.totals.co2e_t, 2)} ${ctx.t("unit_tco2")}`;
    document.getElementById("drill-totals").dataset.value = String(data.totals.energy_kwh);
    document.getElementById("drill-date").value = day || addDays(data.end, -1);
    document.getElementById("drill-series-title").textContent = ctx.t("drill_energy", { interval: data.interval });
    drawSeries(ctx.chart("drill"), data.series, ctx);
    const meters = {};
    for (const m of data.meters) (meters[m.building_id] = meters[m.building_id] || []).push(m);
    document.getElementById("drill-table").innerHTML = table(
      [ctx.t("col_building"), ctx.t("col_energy"), ctx.t("col_co2"), ctx.t("col_meter")],
      data.buildings.map((b) => [
        ctx.escapeHtml(b.name),
        ctx.fmt(b.energy_kwh),
        ctx.fmt(b.co2e_t, 2),
        (meters[b.building_id] || []).map((m) => `<a href="#/meter/${encodeURIComponent(m.meter_id)}">${ctx.escapeHtml(m.meter_id)}</a>`).join(" "),
      ]),
    );
  }

  async function showMeter(ctx, id, period, day) {
    const base = `/parks/${encodeURIComponent(ctx.parkId())}/meters/${encodeURIComponent(id)}`;
    const meter = await ctx.getJson(base);
    const last = day || (meter.last_interval ? meter.last_interval.slice(0, 10) : iso(new Date()));
    const [start, end, interval] = periodRange(period, last);
    const series = await ctx.getJson(`${base}/series?${new URLSearchParams({ start, end, interval })}`);
    document.getElementById("drill-title").textContent = `${ctx.t("drill_meter")}: ${meter.meter_id}`;
    document.getElementById("drill-range").textContent = `${start} – ${end} (${series.timezone})`;
    const total = series.series.reduce((acc, s) => acc + s.energy_kwh.reduce((a, v) => a + (v || 0), 0), 0);
    document.getElementById("drill-totals").textContent = `${ctx.fmt(total)} ${ctx.t("unit_kwh")}`;
    document.getElementById("drill-totals").dataset.value = String(total);
    document.getElementById("drill-date").value = last;
    document.getElementById("drill-series-title").textContent = ctx.t("drill_energy", { interval });
    drawSeries(ctx.chart("drill"), series, ctx);
    const fields = ["medium", "quantity", "unit", "kind", "direction", "building_id", "enterprise_id", "submeter_of", "first_interval", "last_interval", "n_intervals"];
    const rows = fields.map((f) => [f, ctx.escapeHtml(meter[f] === null || meter[f] === undefined ? "—" : String(meter[f]))]);
    if (meter.enterprise_id) rows.push(["", `<a href="#/enterprise/${encodeURIComponent(meter.enterprise_id)}">${ctx.t("drill_enterprise")} ${ctx.escapeHtml(meter.enterprise_id)}</a>`]);
    rows.push(["issues", ctx.fmt(meter.issues.length)]);
    document.getElementById("drill-table").innerHTML = table([ctx.t("col_field"), ctx.t("col_value")], rows);
  }

  /** Show the page of the current hash; false when the hash names the park overview. */
  async function route(ctx) {
    const match = window.location.hash.match(/^#\/(enterprise|meter)\/([^?]+)/);
    const drill = document.getElementById("drill-view");
    const park = document.getElementById("park-view");
    if (!match) {
      drill.hidden = true;
      park.hidden = false;
      return false;
    }
    park.hidden = true;
    drill.hidden = false;
    drill.dataset.ready = "false";
    drill.dataset.kind = match[1];
    drill.dataset.id = decodeURIComponent(match[2]);
    const period = document.getElementById("drill-period").value || "year";
    const day = document.getElementById("drill-date").dataset.chosen || "";
    try {
      if (match[1] === "enterprise") await showEnterprise(ctx, decodeURIComponent(match[2]), period, day);
      else await showMeter(ctx, decodeURIComponent(match[2]), period, day);
      drill.dataset.ready = "true";
      delete drill.dataset.error;
    } catch (err) {
      drill.dataset.error = "true";
      ctx.addError(err);
    }
    return true;
  }

  window.zeroparkDrill = { route, periodRange };
})();
