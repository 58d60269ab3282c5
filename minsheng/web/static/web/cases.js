/* Case pages: pick a location (GPS or a tap on a vector map), search a compound by name, the small
   map on a case's detail page, and copying the private tracking link. Plain ES5 for cheap phones;
   every form still works without it (the compound search falls back to a server round trip). */
(function () {
  "use strict";

  function $(id) { return id ? document.getElementById(id) : null; }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function jsonScript(id) { var el = $(id); if (!el) return null; try { return JSON.parse(el.textContent); } catch (e) { return null; } }

  /* ---- the location picker ---------------------------------------------------------------- */
  var picker = null;

  function initPicker() {
    var el = $("pick-map");
    if (!el || !window.L) return;
    var d = el.dataset;
    var latI = $(d.latInput), lngI = $(d.lngInput), select = $(d.compoundSelect);
    var status = $("loc-status"), btn = $("locate-btn");
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    var marker = null, compoundMarker = null, accuracy = null;

    function say(text, cls) { if (status) { status.textContent = text; status.className = "loc-status " + (cls || ""); } }

    function setPoint(lat, lng, zoom, acc) {
      var ll = [lat, lng];
      if (!marker) marker = L.circleMarker(ll, { radius: 10, color: "#b91c1c", weight: 3, fillColor: "#ef4444", fillOpacity: 0.6 }).addTo(map);
      else marker.setLatLng(ll);
      if (accuracy) { map.removeLayer(accuracy); accuracy = null; }
      if (acc) accuracy = L.circle(ll, { radius: acc, color: "#b91c1c", weight: 1, fillOpacity: 0.08, interactive: false }).addTo(map);
      if (latI) latI.value = lat.toFixed(6);
      if (lngI) lngI.value = lng.toFixed(6);
      if (zoom) map.setView(ll, Math.max(map.getZoom() || 0, 17));
      if (!acc && btn) say(btn.dataset.msgPicked + "：" + lat.toFixed(5) + ", " + lng.toFixed(5), "ok");
    }

    function showCompound(lat, lng, name) {
      if (isNaN(lat) || isNaN(lng)) return;
      var ll = [lat, lng];
      if (!compoundMarker) compoundMarker = L.circleMarker(ll, { radius: 8, color: "#1d4ed8", weight: 3, fillOpacity: 0.3 }).addTo(map);
      else compoundMarker.setLatLng(ll);
      if (name) compoundMarker.bindTooltip(esc(name), { permanent: false });
      if (!marker) map.setView(ll, Math.max(map.getZoom() || 0, 16));
    }

    function chooseCompound(id, name, lat, lng) {
      if (!select) return;
      var found = false;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === String(id)) { select.selectedIndex = i; found = true; break; }
      }
      if (!found) {
        var o = document.createElement("option");
        o.value = id; o.textContent = name; o.setAttribute("data-lat", lat); o.setAttribute("data-lng", lng);
        select.appendChild(o); select.value = String(id);
      }
      showCompound(lat, lng, name);
    }

    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, false); });

    var focus = jsonScript("pick-focus");
    var focusLayer = null;
    if (focus) {
      focusLayer = L.geoJSON(focus, { style: { color: "#b91c1c", weight: 2, fill: false }, interactive: false }).addTo(map);
      if (focusLayer.getBounds().isValid()) map.fitBounds(focusLayer.getBounds(), { padding: [8, 8] });
    }
    if (!focusLayer || !focusLayer.getBounds().isValid()) map.setView([39.5, 116.7], 11);

    if (d.url) {
      fetch(d.url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (fc) {
        if (!fc) return;
        var layer = L.geoJSON(fc, {
          style: function (f) {
            return f.properties && f.properties.kind === "compound" ?
              { radius: 5, color: "#1d4ed8", weight: 1, fillColor: "#60a5fa", fillOpacity: 0.7 } :
              { color: "#64748b", weight: 1, fill: false };
          },
          pointToLayer: function (f, ll) {
            return L.circleMarker(ll, { radius: 5, bubblingMouseEvents: false });
          },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            if (p.kind === "compound") {
              l.bindTooltip(esc(p.name));
              l.on("click", function (e) {
                setPoint(e.latlng.lat, e.latlng.lng, false);
                chooseCompound(p.id, p.name, e.latlng.lat, e.latlng.lng);
              });
            }
          }
        });
        layer.addTo(map);
        if (marker) marker.bringToFront();
        if (!focusLayer && layer.getBounds().isValid() && !marker) map.fitBounds(layer.getBounds());
      }).catch(function () { /* the map stays usable without its base layers */ });
    }

    if (latI && lngI && latI.value && lngI.value) {
      setPoint(parseFloat(latI.value), parseFloat(lngI.value), true);
    }
    if (select) {
      select.addEventListener("change", function () {
        var o = select.options[select.selectedIndex];
        if (o && o.getAttribute("data-lat")) showCompound(parseFloat(o.getAttribute("data-lat")), parseFloat(o.getAttribute("data-lng")), o.textContent);
      });
    }

    function locate() {
      if (!navigator.geolocation) { say(btn.dataset.msgFail, "bad"); return; }
      say(btn.dataset.msgWait);
      navigator.geolocation.getCurrentPosition(function (pos) {
        var c = pos.coords;
        setPoint(c.latitude, c.longitude, true, c.accuracy);
        say(btn.dataset.msgOk + " ±" + Math.round(c.accuracy) + " m", "ok");
      }, function () {
        say(btn.dataset.msgFail, "bad");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    if (btn) {
      btn.addEventListener("click", locate);
      if (btn.dataset.auto === "1" && !(latI && latI.value)) locate();
    }
    picker = { choose: chooseCompound, map: map };
  }

  /* ---- compound search by name ------------------------------------------------------------ */
  function initCompoundSearch() {
    var input = $("compound-search"), btn = $("compound-find"), select = $("id_compound");
    if (!input || !select || !window.fetch) return;
    var timer = null, last = "";
    function search() {
      var q = input.value.replace(/^\s+|\s+$/g, "");
      if (!q || q === last) return;
      last = q;
      fetch(input.dataset.url + "&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (data) {
          var keep = select.options[0];
          select.innerHTML = "";
          select.appendChild(keep);
          (data.results || []).forEach(function (c) {
            var o = document.createElement("option");
            o.value = c.id; o.textContent = c.name + "（" + c.community + "）";
            o.setAttribute("data-lat", c.lat); o.setAttribute("data-lng", c.lng);
            select.appendChild(o);
          });
          if (data.results && data.results.length) {
            select.selectedIndex = 1;
            select.dispatchEvent(new Event("change"));
          } else {
            select.selectedIndex = 0;
            input.setCustomValidity && input.setCustomValidity("");
            var s = $("loc-status"); if (s) { s.textContent = input.dataset.msgNone; s.className = "loc-status bad"; }
          }
        }).catch(function () { last = ""; });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 350); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.keyCode === 13) { e.preventDefault(); search(); } });
    if (btn) btn.addEventListener("click", function (e) { e.preventDefault(); last = ""; search(); });
  }

  /* ---- the small map on the case detail page ---------------------------------------------- */
  function initCaseMap() {
    var el = $("case-map");
    if (!el || !window.L) return;
    var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
    var map = L.map(el, { preferCanvas: true }).setView([lat, lng], 16);
    map.attributionControl.setPrefix(false);
    var b = jsonScript("case-compound-boundary");
    if (b) L.geoJSON(b, { style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.12 } }).addTo(map);
    L.circle([lat, lng], { radius: 200, color: "#64748b", weight: 1, fill: false, dashArray: "4 4" }).addTo(map);
    var pts = [[lat, lng]];
    var links = document.querySelectorAll("#duplicates a[data-lat]");
    for (var i = 0; i < links.length; i++) {
      var a = links[i];
      if (!a.dataset.lat) continue;
      var ll = [parseFloat(a.dataset.lat), parseFloat(a.dataset.lng)];
      pts.push(ll);
      L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1, fillColor: "#f59e0b", fillOpacity: 1 }).bindTooltip(esc(a.textContent)).addTo(map);
    }
    L.circleMarker([lat, lng], { radius: 8, color: "#b91c1c", weight: 3, fillOpacity: 0.6 }).addTo(map);
    if (pts.length > 1) map.fitBounds(pts, { padding: [20, 20], maxZoom: 17 });
  }

  /* ---- copy the private link ---------------------------------------------------------------- */
  function initCopy() {
    var btn = $("copy-link");
    if (!btn) return;
    btn.addEventListener("click", function () {
      var input = $(btn.dataset.target);
      if (!input) return;
      function done() { btn.textContent = btn.dataset.msgOk; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      } else {
        input.select();
        try { if (document.execCommand("copy")) done(); } catch (e) { /* selected for manual copy */ }
      }
    });
  }

  initPicker();
  initCompoundSearch();
  initCaseMap();
  initCopy();
})();
