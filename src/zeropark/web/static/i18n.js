/* zeropark dashboard: labels in Chinese and English.
 *
 * Every visible word of the page comes from here. Keys are English snake_case;
 * medium keys are the API's `medium` values, quality keys its issue codes.
 * Terms follow docs/glossary.md (tce = 标准煤, calorific = 当量值, equivalent = 等价值).
 */
(function () {
  "use strict";

  const MESSAGES = {
    en: {
      app_title: "zeropark · Park energy & carbon",
      loading: "Loading…",
      no_data: "No data",
      year: "Year",
      period: "Data period:",
      timezone: "time zone",
      switch_lang: "中文",
      switch_lang_title: "切换到中文",

      kpi_energy: "Total energy",
      kpi_tce: "Standard coal",
      kpi_co2: "CO₂ emissions",
      kpi_buildings: "Buildings",
      kpi_meters: "Meters",
      kpi_quality: "Data-quality findings",
      kpi_estimated_share: "{pct} estimated (gap-filled)",
      kpi_tce_method: "{method} method",
      kpi_co2_intensity: "{value} t CO₂ per tce",
      kpi_meters_per_building: "{value} per building",
      unit_kw: "kW",
      kpi_load: "Real-time load",
      kpi_today: "Energy today",
      kpi_pv: "PV generation",
      kpi_selfuse: "PV self-consumption",
      kpi_load_sub: "interval from {time}",
      kpi_today_sub: "local day {day}",
      kpi_year_sub: "year to {day}",
      kpi_no_pv: "no PV meter in this park",
      kpi_pv_export: "{value} MWh exported",
      sign_out: "Sign out",
      login_title: "Sign in to zeropark",
      login_user: "User name",
      login_password: "Password",
      login_submit: "Sign in",
      login_failed: "Sign-in failed: {detail}",
      panel_flow: "Energy flow",
      panel_flow_sub: "sources → enterprises → buildings, MWh",
      panel_trend: "Carbon trend vs target",
      panel_trend_sub: "cumulative t CO₂",
      panel_ranking: "Enterprise ranking",
      panel_ranking_sub: "energy, MWh; click to open",
      panel_alarms: "Alarms",
      panel_contribution: "Social contribution",
      panel_contribution_sub: "from on-site PV",
      trend_actual: "Cumulative CO₂",
      trend_target: "Target path",
      trend_previous: "Previous year",
      trend_monthly: "Monthly CO₂",
      trend_no_target: "No CO₂ target set for this park (settings.co2_target_t); the previous year is shown for reference.",
      trend_target_note: "Target {value} t CO₂/year — {source}",
      alarms_total: "{n} data-quality findings",
      alarms_none: "No alarms",
      contribution_tce: "Standard coal saved",
      contribution_co2: "CO₂ avoided",
      contribution_trees: "Trees equivalent",
      contribution_no_pv: "This park has no PV meter, so there is nothing to credit yet.",
      contribution_trees_note: "Tree factor: {value} t CO₂ per tree — {source}",
      panel_indicators: "Zero-carbon park indicators",
      panel_indicators_sub: "park level",
      ind_name: "Indicator",
      ind_value: "Value",
      ind_target: "Target",
      ind_status: "Status",
      ind_met: "Met",
      ind_not_met: "Not met",
      ind_no_data: "No data",
      ind_no_target: "No target",
      ind_none: "No indicators for this year",
      other_buildings: "other buildings",
      unallocated: "unallocated",
      back_to_park: "← Park overview",
      period_picker: "Period",
      period_date: "Date",
      period_day: "Day (15 min)",
      period_week: "Week (hourly)",
      period_month: "Month (daily)",
      period_year: "Year (monthly)",
      drill_details: "Details",
      drill_enterprise: "Enterprise",
      drill_meter: "Meter",
      drill_energy: "Energy by {interval}",
      col_building: "Building",
      col_meter: "Meter",
      col_medium: "Medium",
      col_energy: "Energy (kWh)",
      col_co2: "CO₂ (t)",
      col_field: "Field",
      col_value: "Value",

      tce_method_calorific: "calorific-value",
      tce_method_equivalent: "equivalent-value",

      panel_structure: "Energy structure",
      panel_structure_sub: "share of standard coal (tce) by medium",
      panel_daily: "Daily energy by medium",
      panel_daily_sub: "local dates, MWh",
      panel_co2: "Monthly CO₂ emissions",
      panel_co2_sub: "by medium, t CO₂",
      panel_top: "Top 10 buildings by energy",
      panel_top_sub: "MWh; floor-area EUI in the tooltip",

      estimated: "Estimated (gap-filled)",
      estimated_short: "estimated",
      total: "Total",
      share: "Share",
      energy: "Energy",
      tce_label: "Standard coal",
      floor_area: "Floor area",
      eui: "EUI",
      estimated_note:
        "Dashed boxes mark days with estimated (gap-filled) energy, drawn as the grey band on top: {value} in all ({pct} of the year), not measured.",
      estimated_none: "All energy in this year is measured; nothing was gap-filled.",
      factors_title: "Emission factors:",
      factor_line: "{medium}: {description} ({value}); source: {source}",
      factor_line_nosrc: "{medium}: {description} ({value})",
      sources: "Data sources:",
      footer_note: "zeropark · open source · charts by Apache ECharts (served locally)",

      unit_mwh: "MWh",
      unit_kwh: "kWh",
      unit_tce: "tce",
      unit_tco2: "t CO₂",
      unit_kwh_m2: "kWh/m²",
      unit_m2: "m²",

      medium_electricity: "Electricity",
      medium_natural_gas: "Natural gas",
      medium_heat: "Heat",
      medium_chilled_water: "Chilled water",
      medium_water: "Water",
      medium_pv: "PV",
      medium_steam: "Steam",

      quality_zero_run_gap: "zero-run gaps",
      quality_gap_filled: "gaps filled",
      quality_zero_run_undecided: "zero runs undecided",
      quality_short_zero_run_gap: "zero-run gaps",
      quality_short_gap_filled: "filled",
      quality_short_zero_run_undecided: "undecided",
      quality_none: "no findings",

      error_title: "Error",
      error_network: "Cannot reach the API ({url}): {message}",
      error_http: "{url} answered HTTP {status}",
      error_no_parks: "The API lists no parks.",
      error_echarts:
        "The chart library /vendor/echarts.min.js did not load. Run `make demo` (or `npm ci`) and restart the server.",
      dismiss: "Dismiss",
    },
    zh: {
      app_title: "zeropark · 园区能源与碳排放",
      loading: "加载中…",
      no_data: "暂无数据",
      year: "年份",
      period: "数据期间：",
      timezone: "时区",
      switch_lang: "EN",
      switch_lang_title: "Switch to English",

      kpi_energy: "总能耗",
      kpi_tce: "综合能耗（标准煤）",
      kpi_co2: "二氧化碳排放",
      kpi_buildings: "建筑数",
      kpi_meters: "计量表数",
      kpi_quality: "数据质量问题",
      kpi_estimated_share: "其中估算（插补）{pct}",
      kpi_tce_method: "{method}折算",
      kpi_co2_intensity: "单位能耗碳排放 {value} 吨CO₂/吨标准煤",
      kpi_meters_per_building: "平均每栋 {value} 块",
      unit_kw: "千瓦",
      kpi_load: "实时负荷",
      kpi_today: "今日能耗",
      kpi_pv: "光伏发电量",
      kpi_selfuse: "光伏自用率",
      kpi_load_sub: "时段起点 {time}",
      kpi_today_sub: "当地日期 {day}",
      kpi_year_sub: "截至 {day}",
      kpi_no_pv: "本园区无光伏计量表",
      kpi_pv_export: "上网 {value} 兆瓦时",
      sign_out: "退出登录",
      login_title: "登录 zeropark",
      login_user: "用户名",
      login_password: "密码",
      login_submit: "登录",
      login_failed: "登录失败：{detail}",
      panel_flow: "能流图",
      panel_flow_sub: "能源来源 → 企业 → 建筑，兆瓦时",
      panel_trend: "碳排放趋势与目标",
      panel_trend_sub: "累计 吨CO₂",
      panel_ranking: "企业排名",
      panel_ranking_sub: "能耗，兆瓦时；点击查看企业",
      panel_alarms: "告警",
      panel_contribution: "社会贡献",
      panel_contribution_sub: "来自园区光伏",
      trend_actual: "累计排放",
      trend_target: "目标路径",
      trend_previous: "上年同期",
      trend_monthly: "月度排放",
      trend_no_target: "本园区未设定碳排放目标（settings.co2_target_t），以上年数据作参照。",
      trend_target_note: "目标 {value} 吨CO₂/年 — {source}",
      alarms_total: "数据质量问题 {n} 条",
      alarms_none: "无告警",
      contribution_tce: "节约标准煤",
      contribution_co2: "减排二氧化碳",
      contribution_trees: "相当于植树",
      contribution_no_pv: "本园区暂无光伏计量表，暂无可计入的贡献。",
      contribution_trees_note: "植树系数：每棵 {value} 吨CO₂ — {source}",
      panel_indicators: "零碳园区指标",
      panel_indicators_sub: "园区级",
      ind_name: "指标",
      ind_value: "数值",
      ind_target: "目标",
      ind_status: "状态",
      ind_met: "达标",
      ind_not_met: "未达标",
      ind_no_data: "无数据",
      ind_no_target: "无目标值",
      ind_none: "本年度无指标",
      other_buildings: "其他建筑",
      unallocated: "未分摊",
      back_to_park: "← 返回园区总览",
      period_picker: "周期",
      period_date: "日期",
      period_day: "日（15分钟）",
      period_week: "周（逐时）",
      period_month: "月（逐日）",
      period_year: "年（逐月）",
      drill_details: "明细",
      drill_enterprise: "企业",
      drill_meter: "计量表",
      drill_energy: "能耗（{interval}）",
      col_building: "建筑",
      col_meter: "计量表",
      col_medium: "能源品种",
      col_energy: "能耗（千瓦时）",
      col_co2: "CO₂（吨）",
      col_field: "字段",
      col_value: "值",

      tce_method_calorific: "当量值",
      tce_method_equivalent: "等价值",

      panel_structure: "能源消费结构",
      panel_structure_sub: "按能源品种，折标准煤占比",
      panel_daily: "逐日能耗（按能源品种）",
      panel_daily_sub: "当地日期，兆瓦时",
      panel_co2: "逐月二氧化碳排放",
      panel_co2_sub: "按能源品种，吨CO₂",
      panel_top: "能耗前十建筑",
      panel_top_sub: "兆瓦时；提示框含单位面积能耗",

      estimated: "估算（插补）",
      estimated_short: "估算",
      total: "合计",
      share: "占比",
      energy: "能耗",
      tce_label: "折标准煤",
      floor_area: "建筑面积",
      eui: "单位面积能耗",
      estimated_note: "虚线框标出含估算（插补）能耗的日期，估算量以顶部灰色带表示：共 {value}，占全年 {pct}，并非实测值。",
      estimated_none: "本年度能耗均为实测，无插补数据。",
      factors_title: "排放因子：",
      factor_line: "{medium}：{description}（{value}）；来源：{source}",
      factor_line_nosrc: "{medium}：{description}（{value}）",
      sources: "数据来源：",
      footer_note: "zeropark · 开源项目 · 图表由 Apache ECharts 绘制（本地加载）",

      unit_mwh: "兆瓦时",
      unit_kwh: "千瓦时",
      unit_tce: "吨标准煤",
      unit_tco2: "吨CO₂",
      unit_kwh_m2: "千瓦时/平方米",
      unit_m2: "平方米",

      medium_electricity: "电力",
      medium_natural_gas: "天然气",
      medium_heat: "热力",
      medium_chilled_water: "冷冻水",
      medium_water: "水",
      medium_pv: "光伏",
      medium_steam: "蒸汽",

      quality_zero_run_gap: "零值段缺口",
      quality_gap_filled: "已插补缺口",
      quality_zero_run_undecided: "待判定零值段",
      quality_short_zero_run_gap: "零值缺口",
      quality_short_gap_filled: "已插补",
      quality_short_zero_run_undecided: "待判定",
      quality_none: "未发现问题",

      error_title: "错误",
      error_network: "无法连接接口（{url}）：{message}",
      error_http: "{url} 返回 HTTP {status}",
      error_no_parks: "接口未列出任何园区。",
      error_echarts:
        "图表库 /vendor/echarts.min.js 未能加载。请运行 `make demo`（或 `npm ci`）后重启服务。",
      dismiss: "关闭",
    },
  };

  /** Chinese names of unit strings the API sends verbatim (factor `unit`). */
  const ZH_UNITS = {
    "kg/kWh": "千克/千瓦时",
    "kgCO2e/kWh": "千克CO₂e/千瓦时",
    "kg/m3": "千克/立方米",
    "t/MWh": "吨/兆瓦时",
  };

  const STORAGE_KEY = "zeropark.lang";
  const LANGS = Object.keys(MESSAGES);

  function isLang(value) {
    return LANGS.includes(value);
  }

  /** Language to start in: ?lang= (not stored), then the saved choice, then the browser's. */
  function initialLang() {
    const fromQuery = new URLSearchParams(window.location.search).get("lang");
    if (isLang(fromQuery)) return fromQuery;
    try {
      const saved = window.localStorage.getItem(STORAGE_KEY);
      if (isLang(saved)) return saved;
    } catch (_err) {
      /* localStorage may be disabled (private mode, file://): fall through. */
    }
    const nav = (navigator.language || "en").toLowerCase();
    return nav.startsWith("zh") ? "zh" : "en";
  }

  function saveLang(lang) {
    try {
      window.localStorage.setItem(STORAGE_KEY, lang);
    } catch (_err) {
      /* Not fatal: the choice only lasts for this page. */
    }
  }

  /** Translate `key` in `lang`, filling `{name}` placeholders from `params`. */
  function translate(lang, key, params) {
    const table = MESSAGES[lang] || MESSAGES.en;
    let text = key in table ? table[key] : key in MESSAGES.en ? MESSAGES.en[key] : key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
    }
    return text;
  }

  /** Name of a medium; unknown media show the API's value unchanged. */
  function mediumName(lang, medium) {
    const key = `medium_${medium}`;
    return key in MESSAGES.en ? translate(lang, key) : medium;
  }

  /** Label of a data-quality code (`short` for the KPI card); unknown codes show the code itself. */
  function qualityName(lang, code, short) {
    const shortKey = `quality_short_${code}`;
    if (short && shortKey in MESSAGES.en) return translate(lang, shortKey);
    const key = `quality_${code}`;
    return key in MESSAGES.en ? translate(lang, key) : code;
  }

  /** A unit string from the API, in `lang` when a translation is known. */
  function unitName(lang, unit) {
    return lang === "zh" && unit in ZH_UNITS ? ZH_UNITS[unit] : unit;
  }

  window.zeroparkI18n = {
    MESSAGES,
    LANGS,
    STORAGE_KEY,
    initialLang,
    saveLang,
    translate,
    mediumName,
    qualityName,
    unitName,
  };
})();
