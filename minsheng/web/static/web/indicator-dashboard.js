/* The dashboard's charts from the figures embedded in the page (json_script "ind-data"): the
   year's cases received and resolved by month (ECharts), and the chosen indicator by child region
   as a bar chart, a choropleth map of the child regions' outlines (Leaflet, no tiles needed) and a
   table. Choosing another indicator redraws all three without reloading. */
(function () {
  "use strict";
  var el = document.getElementById("ind-data");
  if (!el) return;
  var data = JSON.parse(el.textContent);
  var charts = [];
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  var meta = {};
  data.indicators.forEach(function (m) { meta[m.code] = m; });
  function fmt(v, m) {
    if (v == null) return "—";
    var d = m ? m.decimals : 0;
    return v.toLocaleString(undefined, { minimumFractionDigits: d, maximumFractionDigits: d }) + (m && m.unit ? m.unit : "");
  }
  function drill(code) {
    var q = data.region_url + "&region=" + encodeURIComponent(code) + "&ind=" + encodeURIComponent(chosen);
    window.location.href = q;
  }

  // monthly trend of cases
  var trendEl = document.getElementById("chart-trend");
  if (trendEl && window.echarts) {
    var t = echarts.init(trendEl, null, { renderer: "svg" });
    t.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.trend.map(function (r) { return r.label; }) },
      yAxis: { type: "value", minInterval: 1, name: trendEl.dataset.labelUnit },
      series: [
        { name: trendEl.dataset.labelReceived, type: "bar", data: data.trend.map(function (r) { return r.received; }), itemStyle: { color: "#93c5fd" } },
        { name: trendEl.dataset.labelResolved, type: "line", data: data.trend.map(function (r) { return r.resolved; }), itemStyle: { color: "#15803d" } }
      ]
    });
    trendEl.setAttribute("data-ready", "1");
    charts.push(t);
  }

  var chosen = data.chosen;
  var barEl = document.getElementById("chart-children");
  var bar = barEl && window.echarts ? echarts.init(barEl, null, { renderer: "svg" }) : null;
  if (bar) {
    charts.push(bar);
    bar.on("click", function (p) { if (p.data && p.data.code) drill(p.data.code); });
  }

  // the map: outlines once, recoloured per indicator
  var mapEl = document.getElementById("choro");
  var map = null, layer = null;
  if (mapEl && window.L && data.features.features.length) {
    map = L.map(mapEl, { zoomSnap: 0.25, scrollWheelZoom: false });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (mapEl.dataset.tiles) L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.tilesAttribution || "", maxZoom: 19 }).addTo(map);
    layer = L.geoJSON(data.features, { style: { color: "#334155", weight: 1, fillOpacity: 0.85, fillColor: "#e5e7eb" } }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    layer.eachLayer(function (l) { l.on("click", function () { drill(l.feature.properties.code); }); });
  } else if (mapEl) {
    mapEl.style.display = "none";
  }
  var palette = ["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"];
  function classes(values) {
    var vs = values.filter(function (v) { return v != null; });
    if (!vs.length) return null;
    var lo = Math.min.apply(null, vs), hi = Math.max.apply(null, vs);
    return { lo: lo, hi: hi, step: (hi - lo) / palette.length };
  }
  function colourOf(v, c) {
    if (v == null || !c) return "#e5e7eb";
    if (c.step === 0) return palette[2];
    return palette[Math.min(palette.length - 1, Math.floor((v - c.lo) / c.step))];
  }

  function draw() {
    var m = meta[chosen];
    var rows = data.children.map(function (r) { return { code: r.code, name: r.name, value: r.values[chosen] }; });
    var empty = rows.every(function (r) { return r.value == null; });
    var emptyEl = document.getElementById("child-empty");
    if (emptyEl) emptyEl.hidden = !empty;
    if (barEl) barEl.style.display = empty ? "none" : "";
    // bar chart, highest on top
    if (bar && !empty) {
      var sorted = rows.slice().sort(function (a, b) { return (a.value == null ? -Infinity : a.value) - (b.value == null ? -Infinity : b.value); });
      var pct = m && m.unit === "%" && sorted.every(function (r) { return r.value == null || r.value <= 100; });
      barEl.style.height = Math.max(300, 24 * sorted.length + 50) + "px";
      bar.resize();
      bar.setOption({
        tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + "<br>" + esc(fmt(p.value, m)); } },
        grid: { left: 8, right: 56, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "value", name: m && m.unit ? m.unit : "", splitNumber: 3,
                 max: pct ? 100 : null, interval: pct ? 25 : null },
        yAxis: { type: "category", data: sorted.map(function (r) { return r.name; }), axisLabel: { fontSize: 11 } },
        series: [{ type: "bar", data: sorted.map(function (r) { return { value: r.value, code: r.code }; }),
                   itemStyle: { color: "#2563eb" }, cursor: "pointer",
                   label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return fmt(p.value, m ? { decimals: m.decimals, unit: "" } : null); } } }]
      }, true);
      barEl.setAttribute("data-ready", "1");
    }
    // map
    var c = classes(rows.map(function (r) { return r.value; }));
    var byCode = {};
    rows.forEach(function (r) { byCode[r.code] = r; });
    if (layer) {
      layer.eachLayer(function (l) {
        var r = byCode[l.feature.properties.code] || {};
        l.setStyle({ fillColor: colourOf(r.value, c) });
        l.unbindTooltip();
        l.bindTooltip(esc(l.feature.properties.name) + "：" + esc(fmt(r.value, m)), { sticky: true });
      });
      mapEl.setAttribute("data-ready", "1");
    }
    var legend = document.getElementById("choro-legend");
    if (legend) {
      var html = "";
      if (c && c.step > 0) {
        palette.forEach(function (col, i) {
          var a = c.lo + c.step * i, b = i === palette.length - 1 ? c.hi : c.lo + c.step * (i + 1);
          var short = m ? { decimals: m.decimals, unit: "" } : null;
          html += '<span><i style="background:' + col + '"></i>' + esc(fmt(a, short)) + "–" + esc(fmt(b, short)) + "</span>";
        });
      } else if (c) {
        html += '<span><i style="background:' + palette[2] + '"></i>' + esc(fmt(c.lo, m)) + "</span>";
      }
      html += '<span><i style="background:#e5e7eb"></i>' + esc(mapEl ? mapEl.dataset.labelNone : "") + "</span>";
      if (m && m.unit) html += "<span>" + esc(m.name) + "（" + esc(m.unit) + "）</span>";
      legend.innerHTML = html;
    }
    // table
    var col = document.getElementById("child-col");
    if (col && m) col.textContent = m.name;
    var tbody = document.querySelector("#child-table tbody");
    if (tbody) {
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        var r = byCode[tr.dataset.code];
        if (r) tr.cells[1].textContent = fmt(r.value, m);
        var a = tr.querySelector("a");
        if (a) { var u = new URL(a.href); u.searchParams.set("ind", chosen); a.href = u.pathname + u.search; }
      });
    }
  }

  var select = document.getElementById("ind-select");
  if (select) {
    select.addEventListener("change", function () {
      chosen = select.value;
      draw();
      var q = new URLSearchParams(window.location.search);
      q.set("ind", chosen);
      history.replaceState(null, "", "?" + q.toString());
      var hidden = document.querySelector("#period-form input[name=ind]");
      if (hidden) hidden.value = chosen;
    });
  }
  if (data.children.length) draw();
  window.addEventListener("resize", function () { charts.forEach(function (ch) { ch.resize(); }); if (map) map.invalidateSize(); });
})();
