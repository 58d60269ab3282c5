/* Charts drawn with the vendored ECharts from data embedded in the page (json_script). */
(function () {
  "use strict";
  var el = document.querySelector(".chart[data-chart]");
  var dataEl = document.getElementById("chart-data");
  if (!el || !dataEl || !window.echarts) return;
  var data = JSON.parse(dataEl.textContent);
  var d = el.dataset;
  var chart = echarts.init(el, null, { renderer: "svg" });
  var base = { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 48, top: 36, bottom: 28 } };
  var x = data.map(function (r) { return r.date || String(r.year); });
  var opt;
  if (d.chart === "progress") {
    opt = Object.assign(base, { xAxis: { type: "category", data: x }, yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: d.labelPlanned, type: "line", data: data.map(function (r) { return r.planned.toFixed(1); }), showSymbol: false, lineStyle: { type: "dashed" } },
               { name: d.labelActual, type: "line", step: "end", data: data.map(function (r) { return r.actual; }), showSymbol: false, areaStyle: { opacity: 0.15 } }] });
  } else if (d.chart === "money") {
    var wan = function (v) { return (v / 1e4).toFixed(0); };
    opt = Object.assign(base, { xAxis: { type: "category", data: x }, yAxis: { type: "value", name: "万元" },
      series: [{ name: d.labelPlanned, type: "line", data: data.map(function (r) { return wan(r.planned); }), showSymbol: false, lineStyle: { type: "dashed" } },
               { name: d.labelActual, type: "line", data: data.map(function (r) { return wan(r.spent); }), showSymbol: false, areaStyle: { opacity: 0.15 } }] });
  } else if (d.chart === "budget") {
    var yi = function (v) { return (v / 1e8).toFixed(2); };
    opt = Object.assign(base, { xAxis: { type: "category", data: x },
      yAxis: [{ type: "value", name: "亿元" }, { type: "value", name: "%", min: 0, max: 100 }],
      series: [{ name: d.labelTotal, type: "bar", data: data.map(function (r) { return yi(r.total); }) },
               { name: d.labelLivelihood, type: "bar", data: data.map(function (r) { return yi(r.livelihood); }) },
               { name: d.labelShare, type: "line", yAxisIndex: 1, data: data.map(function (r) { return r.share; }) }] });
  }
  chart.setOption(opt);
  el.setAttribute("data-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
