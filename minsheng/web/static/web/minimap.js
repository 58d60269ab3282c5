(function () {
  "use strict";
  // User text (facility names) goes to Leaflet tooltips, which take HTML: always escape it.
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  var el = document.getElementById("minimap");
  if (!el || !window.L) return;
  var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
  var map = L.map(el, { zoomControl: true }).setView([lat, lng], 16);
  map.attributionControl.setPrefix(false);
  var b = document.getElementById("compound-boundary");
  var geom = b ? JSON.parse(b.textContent) : null;
  if (geom) { L.geoJSON(geom, { style: { color: "#b91c1c", weight: 2, fillOpacity: 0.2 } }).addTo(map); }
  L.circleMarker([lat, lng], { radius: 6, color: "#b91c1c" }).addTo(map);
  L.circle([lat, lng], { radius: 500, color: "#64748b", weight: 1, fill: false, dashArray: "4 4" }).addTo(map);
  var pts = [[lat, lng]];
  document.querySelectorAll(".near a[data-lat]").forEach(function (a) {
    var ll = [parseFloat(a.dataset.lat), parseFloat(a.dataset.lng)];
    pts.push(ll);
    L.circleMarker(ll, { radius: 5, color: "#fff", weight: 1, fillColor: a.dataset.color, fillOpacity: 1 }).bindTooltip(esc(a.textContent)).addTo(map);
  });
  if (pts.length > 1) map.fitBounds(pts, { padding: [20, 20], maxZoom: 17 });
})();
