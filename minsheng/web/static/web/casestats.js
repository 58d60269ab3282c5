/* The case statistics page: the period picker, three ECharts charts from the data embedded in the
   page (json_script "casestats-data"), and the heat map — Leaflet drawing the server's grid cells
   (GeoJSON squares with a count and a colour); no heatmap plugin. */
(function () {
  "use strict";

  // period picker: show the fields of the chosen kind of period
  var pf = document.getElementById("period-form");
  if (pf) {
    var sel = pf.querySelector("select[name=period]");
    if (sel) {
      if (!sel.value) sel.value = pf.dataset.period || "year";
      sel.addEventListener("change", function () { pf.dataset.period = sel.value; });
    }
  }

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }

  // charts
  var dataEl = document.getElementById("casestats-data");
  if (dataEl && window.echarts) {
    var data = JSON.parse(dataEl.textContent);
    var charts = [];
    var make = function (id, opt) {
      var el = document.getElementById(id);
      if (!el) return;
      var ch = echarts.init(el, null, { renderer: "svg" });
      ch.setOption(opt);
      el.setAttribute("data-ready", "1");
      charts.push(ch);
    };
    var trend = document.getElementById("chart-trend");
    if (trend) {
      make("chart-trend", {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 24, top: 36, bottom: 28 },
        xAxis: { type: "category", data: data.monthly.map(function (r) { return r.month; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: trend.dataset.labelReceived, type: "bar", data: data.monthly.map(function (r) { return r.n; }) },
          { name: trend.dataset.labelResolved, type: "line", data: data.monthly.map(function (r) { return r.resolved; }) }
        ]
      });
    }
    var cats = data.by_category.slice().reverse();
    var catEl = document.getElementById("chart-category");
    if (catEl) catEl.style.height = Math.max(260, 22 * cats.length + 40) + "px";
    make("chart-category", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, grid: { left: 120, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: cats.map(function (r) { return r.name; }) },
      series: [{ name: catEl ? catEl.dataset.label : "", type: "bar", data: cats.map(function (r) { return r.n; }), itemStyle: { color: "#1d4ed8" } }]
    });
    make("chart-status", {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                 data: data.by_status.map(function (r) { return { name: r.name, value: r.n }; }) }]
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  // heat map
  var el = document.getElementById("heatmap");
  if (!el || !window.L) return;
  var d = el.dataset;
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (d.tiles) L.tileLayer(d.tiles, { attribution: d.tilesAttribution || "", maxZoom: 19 }).addTo(map);
  map.setView([39.5, 116.7], 11);
  var legend = document.getElementById("heat-legend");
  var get = function (url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  };
  var outline = null, cells = null;  // the view fits the cells, or the outline when there are none
  var fitOutline = function () { if (outline && cells === 0 && outline.getBounds().isValid()) map.fitBounds(outline.getBounds(), { padding: [10, 10] }); };
  if (d.regionsUrl) {
    get(d.regionsUrl).then(function (fc) {
      outline = L.geoJSON(fc, { interactive: false, style: { color: "#64748b", weight: 1, fill: false, dashArray: "3 3" } }).addTo(map);
      fitOutline();
    }).catch(function () {});
  }
  get(d.url).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function (f) { return { color: f.properties.color, weight: 0.5, fillColor: f.properties.color, fillOpacity: 0.75 }; },
      onEachFeature: function (f, l) { l.bindTooltip(esc(f.properties.n) + " " + esc(d.labelCases)); }
    }).addTo(map);
    cells = fc.features.length;
    if (cells) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 16 });
    else fitOutline();
    el.setAttribute("data-ready", "1");
    el.setAttribute("data-cells", String(fc.features.length));
    if (legend) {
      var p = fc.properties || {};
      if (!fc.features.length) { legend.textContent = d.labelEmpty; return; }
      var breaks = p.breaks || [], colors = p.colors || [], off = colors.length - breaks.length, html = "";
      breaks.forEach(function (b, i) {
        var hi = i + 1 < breaks.length ? breaks[i + 1] - 1 : p.max;
        html += '<span><i style="background:' + esc(colors[i + off]) + '"></i>' + esc(b === hi ? b : b + "–" + hi) + "</span>";
      });
      legend.innerHTML = html + "<span>" + esc(d.labelCases) + "</span>";
    }
  }).catch(function (e) { if (legend) legend.textContent = String(e); });
})();
