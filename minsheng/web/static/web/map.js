/* The map page: boundaries, compounds, facilities, grids and streets drawn as vectors (no tile
   server needed); an optional tile layer comes from configuration. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var d = el.dataset;
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (d.tiles) {
    L.tileLayer(d.tiles, { attribution: d.tilesAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var status = document.getElementById("map-status");
  var statusColors = { company: "#2563eb", management_committee: "#7c3aed", owners_committee: "#0891b2", none: "#dc2626" };
  var layers = {};
  var control = L.control.layers(null, null, { collapsed: window.innerWidth < 760 }).addTo(map);
  var osmShown = false;

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function noteOsm(props) {
    if (props.osm && !osmShown) { osmShown = true; map.attributionControl.addAttribution("© OpenStreetMap contributors"); }
  }
  function load(name, url, options, onTop) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (fc) {
      var layer = L.geoJSON(fc, options);
      layers[name] = layer;
      if (onTop !== false) layer.addTo(map);
      control.addOverlay(layer, d["label" + name.charAt(0).toUpperCase() + name.slice(1)] + " (" + fc.features.length + ")");
      return layer;
    });
  }
  var jobs = [
    load("regions", d.urlRegions + "?level=" + d.level, {
      style: function (f) { return { color: "#b91c1c", weight: 1.5, fill: true, fillOpacity: 0.03, dashArray: f.properties.generated ? "4 3" : null }; },
      onEachFeature: function (f, l) { l.bindTooltip(esc(f.properties.name), { sticky: true }); }
    }),
    load("streets", d.urlStreets, {
      style: function (f) { return { color: "#94a3b8", weight: 1, opacity: 0.8 }; },
      onEachFeature: function (f) { if (!f.properties.generated) { noteOsm({ osm: true }); } }
    }),
    load("grids", d.urlGrids, { style: function () { return { color: "#f59e0b", weight: 0.8, fill: false, dashArray: "2 3" }; } }, false),
    load("compounds", d.urlCompounds, {
      style: function (f) { var c = statusColors[f.properties.status] || "#2563eb"; return { color: c, weight: 1, fillColor: c, fillOpacity: 0.35 }; },
      pointToLayer: function (f, ll) { var c = statusColors[f.properties.status] || "#2563eb"; return L.circleMarker(ll, { radius: 5, color: c, fillOpacity: 0.6 }); },
      onEachFeature: function (f, l) {
        var p = f.properties; noteOsm(p);
        l.bindPopup("<b>" + esc(p.name) + "</b><br>" + esc(p.status_label) + " · " + esc(p.households) + " " + esc(d.labelHouseholds) +
          '<br><a href="' + esc(p.url) + '">' + esc(d.labelOpen) + " ›</a>");
      }
    }),
    load("facilities", d.urlFacilities, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: f.properties.signed ? 4 : 5, color: "#fff", weight: 1, fillColor: f.properties.color, fillOpacity: 0.95 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties; noteOsm(p);
        l.bindPopup("<b>" + esc(p.name) + "</b><br>" + esc(p.category_label) + (p.signed ? " · " + esc(d.labelSigned) : "") +
          '<br><a href="' + esc(p.url) + '">' + esc(d.labelOpen) + " ›</a>");
      }
    })
  ];
  Promise.all(jobs).then(function () {
    var b = layers.regions && layers.regions.getBounds();
    if (!b || !b.isValid()) b = layers.compounds && layers.compounds.getBounds();
    if (b && b.isValid()) map.fitBounds(b, { padding: [10, 10] }); else map.setView([39.5, 116.7], 11);
    var n = layers.compounds ? layers.compounds.getLayers().length : 0;
    var m = layers.facilities ? layers.facilities.getLayers().length : 0;
    if (status) status.textContent = n + " / " + m;
    el.setAttribute("data-ready", "1");
  }).catch(function (e) {
    if (status) status.textContent = "加载失败 / failed: " + e.message;
    map.setView([39.5, 116.7], 11);
  });
  L.control.scale({ imperial: false }).addTo(map);
})();
