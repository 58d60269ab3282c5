/* Life-circle siting: the map of one category's gaps (existing facilities, uncovered compounds in
   red, compounds a proposal newly covers in green, proposed sites as stars with their walking
   catchment) and, on the analysis page, vacant sites marked by clicking the map (WGS-84 [lng, lat]
   in the hidden input "vacant"). Data comes from the page (json_script "siting-data"). */
(function () {
  "use strict";
  var el = document.getElementById("siting-map");
  var src = document.getElementById("siting-data");
  if (!el || !src || !window.L) return;
  var data = JSON.parse(src.textContent);
  var d = el.dataset;
  var editable = d.editable === "1";
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }

  var map = L.map(el, { preferCanvas: true });
  map.attributionControl.setPrefix(false);
  if (d.osm) map.attributionControl.addAttribution("© OpenStreetMap contributors");
  L.control.scale({ imperial: false }).addTo(map);
  var streets = L.layerGroup().addTo(map);
  var base = L.layerGroup().addTo(map);
  var result = L.layerGroup().addTo(map);
  var pins = L.layerGroup().addTo(map);
  if (d.streets) {
    fetch(d.streets, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#cbd5e1", weight: 1 }, interactive: false }).addTo(streets);
    }).catch(function () { /* the streets are only a backdrop */ });
  }

  var select = document.getElementById("id_category");
  function category() { return select ? select.value : data.category; }

  function draw() {
    var cat = category();
    base.clearLayers();
    result.clearLayers();
    var res = data.result && data.result.category === cat ? data.result : null;
    var gap = {}, fresh = {};
    (data.uncovered[cat] || []).forEach(function (i) { gap[i] = true; });
    if (res) res["new"].forEach(function (i) { fresh[i] = true; });
    var pts = [];
    data.compounds.forEach(function (c, i) {
      var ll = [c[1], c[0]];
      pts.push(ll);
      var color = fresh[i] ? "#16a34a" : gap[i] ? "#dc2626" : "#94a3b8";
      L.circleMarker(ll, { radius: gap[i] || fresh[i] ? 5 : 3.5, color: "#fff", weight: 1, fillColor: color, fillOpacity: 0.95 })
        .bindTooltip(esc(c[2]) + " · " + esc(d.labelPop) + " " + c[3]).addTo(base);
    });
    data.facilities.forEach(function (f) {
      if (f[3] !== cat) return;
      L.circleMarker([f[1], f[0]], { radius: 5, color: "#fff", weight: 1.5, fillColor: "#1d4ed8", fillOpacity: 1 })
        .bindTooltip(esc(f[2])).addTo(base);
    });
    if (res) {
      if (res.catchment) {
        L.geoJSON(res.catchment, { style: { color: "#16a34a", weight: 1, fillColor: "#22c55e", fillOpacity: 0.12 }, interactive: false }).addTo(result);
      }
      res.sites.forEach(function (s, n) {
        var icon = L.divIcon({ className: "site-star", html: "★", iconSize: [24, 24], iconAnchor: [12, 12] });
        L.marker([s.lat, s.lng], { icon: icon, zIndexOffset: 1000 })
          .bindTooltip((n + 1) + ". " + esc(s.name) + (s.covers != null ? " · " + esc(d.labelCovers) + " " + s.covers : "")).addTo(result);
        pts.push([s.lat, s.lng]);
      });
    }
    return pts;
  }

  var pts = draw();
  var focus = L.featureGroup(result.getLayers());
  if (focus.getLayers().length && focus.getBounds().isValid()) {
    map.fitBounds(focus.getBounds(), { padding: [30, 30], maxZoom: 15 });  // the proposal's area
  } else if (pts.length) {
    map.fitBounds(pts, { padding: [15, 15] });
  } else {
    map.setView([39.5, 116.7], 12);
  }
  if (select) select.addEventListener("change", draw);

  if (editable) {
    var input = document.getElementById("id_vacant");
    var box = document.querySelector("#siting-form input[name=candidates][value=vacant]");
    var count = document.getElementById("vacant-count");
    var vacant = [];
    try { vacant = JSON.parse((input && input.value) || "[]"); } catch (e) { vacant = []; }
    if (!Array.isArray(vacant)) vacant = [];
    var save = function () {
      if (input) input.value = JSON.stringify(vacant);
      if (count) count.textContent = vacant.length;
    };
    var drawPins = function () {
      pins.clearLayers();
      vacant.forEach(function (p, i) {
        var icon = L.divIcon({ className: "vacant-pin", html: "✚", iconSize: [20, 20], iconAnchor: [10, 10] });
        L.marker([p[1], p[0]], { icon: icon }).bindTooltip(esc(d.labelVacant) + " " + (i + 1))
          .on("click", function (ev) { L.DomEvent.stopPropagation(ev); vacant.splice(i, 1); save(); drawPins(); })
          .addTo(pins);
      });
    };
    map.on("click", function (ev) {
      var ll = ev.latlng.wrap();
      vacant.push([Math.round(ll.lng * 1e7) / 1e7, Math.round(ll.lat * 1e7) / 1e7]);
      if (box) box.checked = true;
      save();
      drawPins();
    });
    var clear = document.getElementById("vacant-clear");
    if (clear) clear.addEventListener("click", function () { vacant = []; save(); drawPins(); });
    save();
    drawPins();
  }
  el.setAttribute("data-ready", "1");
})();
