/* The indicator pages' period form (indicators/_period.html): shows the fields of the chosen kind
   of period and submits the canonical address ?region=…&period=2026 / 2026Q3 / 2026-07. */
(function () {
  "use strict";
  var f = document.getElementById("period-form");
  if (!f) return;
  // the switcher at the top returns to the old address: show the region this page shows
  var here = new URLSearchParams(window.location.search);
  if (here.get("region") && here.get("region") !== f.region.value && window.history.replaceState) {
    here.set("region", f.region.value);
    window.history.replaceState(null, "", "?" + here.toString());
  }
  var kind = f.querySelector("select[name=kind]");
  kind.addEventListener("change", function () { f.dataset.period = kind.value; });
  f.addEventListener("submit", function (e) {
    // the canonical address: ?region=…&period=2026 / 2026Q3 / 2026-07
    e.preventDefault();
    var y = f.year.value, p = y;
    if (kind.value === "quarter") p = y + "Q" + f.quarter.value;
    if (kind.value === "month") p = y + "-" + ("0" + f.month.value).slice(-2);
    var q = new URLSearchParams({ region: f.region.value, period: p });
    if (f.ind) q.set("ind", f.ind.value);
    window.location.search = q.toString();
  });
})();
