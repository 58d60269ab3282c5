/* The annual report page (reports/page.html): downloads through fetch, so the page can say that
   a PDF (a few seconds) is being made. */
(function () {
  var status = document.getElementById("dl-status");
  if (!status) return;
  // the messages come translated from the page (data-working, data-done, data-failed)
  var working = status.dataset.working, done = status.dataset.done, failed = status.dataset.failed;
  document.querySelectorAll("a[data-download]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (!window.fetch || !window.URL) return;
      e.preventDefault();
      status.textContent = working;
      a.setAttribute("aria-disabled", "true");
      fetch(a.href, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
        var cd = r.headers.get("Content-Disposition") || "";
        var m = /filename\*=UTF-8''([^;]+)/.exec(cd);
        var name = m ? decodeURIComponent(m[1]) : "report";
        return r.blob().then(function (blob) {
          var url = URL.createObjectURL(blob), tmp = document.createElement("a");
          tmp.href = url; tmp.download = name; document.body.appendChild(tmp); tmp.click(); tmp.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
          status.textContent = done;
        });
      }).catch(function (err) {
        status.textContent = failed + " " + err.message;
      }).finally(function () { a.removeAttribute("aria-disabled"); });
    });
  });
})();
