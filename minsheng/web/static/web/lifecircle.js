/* Life-circle pages: the progress bar of a background run, the coverage map with catchments,
   and the compound poster map. */
(function () {
  "use strict";
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  var prog = document.getElementById("run-progress");
  if (prog) {
    var poll = function () {
      fetch(prog.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
        document.getElementById("run-bar").value = s.progress;
        document.getElementById("run-message").textContent = s.message;
        if (s.state === "done" || s.state === "failed") { window.location.reload(); } else { setTimeout(poll, 1500); }
      }).catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
  var el = document.getElementById("lc-map");
  if (el && window.L) {
    var map = L.map(el, { preferCanvas: true });
    map.attributionControl.setPrefix(false);
    if (el.dataset.osm) map.attributionControl.addAttribution("© OpenStreetMap contributors");
    var iso = L.layerGroup().addTo(map);
    var color = function (s) { var r = Math.round(220 * (1 - s)), g = Math.round(170 * s); return "rgb(" + r + "," + g + ",60)"; };
    fetch(el.dataset.streets, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#94a3b8", weight: 1 } }).addTo(map);
    });
    fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1, fillColor: color(f.properties.share), fillOpacity: 0.95 }); },
        onEachFeature: function (f, l) { l.bindPopup('<b>' + esc(f.properties.name) + '</b><br>' + Math.round(f.properties.share * 100) + '% · <a href="' + esc(f.properties.url) + '">›</a>'); }
      }).addTo(map);
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      el.setAttribute("data-ready", "1");
    });
    fetch(el.dataset.facilities, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, {
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 3, color: f.properties.color, weight: 1, fillOpacity: 0.8 }); },
        onEachFeature: function (f, l) {
          l.on("click", function () {
            fetch(el.dataset.catchment + f.properties.id + ".geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (g) {
              iso.clearLayers();
              if (g.geometry) { L.geoJSON(g, { style: { color: f.properties.color, weight: 2, fillOpacity: 0.15 } }).bindTooltip(esc(g.properties.name) + " · " + g.properties.distance_m + " m").addTo(iso); }
              else if (g.error) { alert(g.error); }
            });
          });
          l.bindTooltip(esc(f.properties.name) + " · " + esc(f.properties.category_label));
        }
      }).addTo(map);
    });
  }
  var pm = document.getElementById("poster-map");
  if (pm && window.L) {
    var lat = parseFloat(pm.dataset.lat), lng = parseFloat(pm.dataset.lng);
    var m = L.map(pm, { zoomControl: false }).setView([lat, lng], 15);
    m.attributionControl.setPrefix(false);
    L.circle([lat, lng], { radius: 1000, color: "#b91c1c", weight: 1, fill: false, dashArray: "4 4" }).addTo(m);
    L.circle([lat, lng], { radius: 500, color: "#b91c1c", weight: 1, fill: false, dashArray: "2 4" }).addTo(m);
    L.circleMarker([lat, lng], { radius: 8, color: "#b91c1c", fillOpacity: 0.9 }).addTo(m);
    var pts = [[lat, lng]];
    document.querySelectorAll(".poster-fac[data-lat]").forEach(function (s) {
      var ll = [parseFloat(s.dataset.lat), parseFloat(s.dataset.lng)];
      pts.push(ll);
      L.circleMarker(ll, { radius: 5, color: "#fff", weight: 1, fillColor: s.dataset.color, fillOpacity: 1 }).bindTooltip(esc(s.textContent), { permanent: false }).addTo(m);
    });
    if (pts.length > 1) m.fitBounds(pts, { padding: [20, 20] });
    pm.setAttribute("data-ready", "1");
  }
})();
