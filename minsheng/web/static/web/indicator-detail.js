/* An indicator's page (indicators/detail.html): its trend and its values by child region as
   ECharts from the figures embedded in the page (json_script "ind-detail"). */
(function () {
  "use strict";
  var el = document.getElementById("ind-detail");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.textContent), charts = [];
  function fmt(v) { return v == null ? "—" : v.toLocaleString(undefined, { minimumFractionDigits: d.decimals, maximumFractionDigits: d.decimals }); }
  var s = document.getElementById("chart-series");
  if (s) {
    var c = echarts.init(s, null, { renderer: "svg" });
    var pct = d.unit === "%" && d.series.every(function (r) { return r.value == null || r.value <= 100; });
    var series = [{ name: s.dataset.labelValue, type: "line", data: d.series.map(function (r) { return r.value; }), itemStyle: { color: "#2563eb" },
                    label: { show: d.series.length <= 12, formatter: function (p) { return fmt(p.value); }, fontSize: 11 } }];
    if (d.series.some(function (r) { return r.target != null; }))
      series.push({ name: s.dataset.labelTarget, type: "line", data: d.series.map(function (r) { return r.target; }), lineStyle: { type: "dashed" }, itemStyle: { color: "#dc2626" } });
    c.setOption({ tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
                  xAxis: { type: "category", data: d.series.map(function (r) { return r.label; }), axisLabel: { fontSize: 11 } },
                  yAxis: pct ? { type: "value", name: d.unit, min: 0, max: 100 } : { type: "value", name: d.unit, scale: true },
                  series: series });
    s.setAttribute("data-ready", "1");
    charts.push(c);
  }
  var b = document.getElementById("chart-children");
  if (b && d.children.length) {
    var rows = d.children.slice().sort(function (x, y) { return (x.value == null ? -Infinity : x.value) - (y.value == null ? -Infinity : y.value); });
    b.style.height = Math.max(300, 24 * rows.length + 40) + "px";
    var ch = echarts.init(b, null, { renderer: "svg" });
    var pctBar = d.unit === "%" && rows.every(function (r) { return r.value == null || r.value <= 100; });
    ch.setOption({ tooltip: { trigger: "item" }, grid: { left: 8, right: 56, top: 24, bottom: 8, containLabel: true },
                   xAxis: { type: "value", name: d.unit, splitNumber: 3,
                            max: pctBar ? 100 : null, interval: pctBar ? 25 : null },
                   yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { fontSize: 11 } },
                   series: [{ type: "bar", data: rows.map(function (r) { return r.value; }), itemStyle: { color: "#2563eb" },
                              label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return fmt(p.value); } } }] });
    b.setAttribute("data-ready", "1");
    charts.push(ch);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
