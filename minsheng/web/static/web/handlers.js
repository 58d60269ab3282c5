/* What the templates once wrote as inline handlers (onchange=, onclick=), which the
   Content-Security-Policy (script-src 'self') no longer runs; loaded by web/base.html.
     <select data-autosubmit>      submits its form when another option is chosen
     <input data-select-on-click>  selects its whole text when clicked (a link to copy)
     <button data-print>           prints the page
     <details class="navgroup">    one navigation group open at a time; a click elsewhere closes it */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (e) {
    var el = e.target;
    if (!el.closest) return;
    var input = el.closest("[data-select-on-click]");
    if (input) input.select();
    if (el.closest("[data-print]")) window.print();
    var inGroup = el.closest("details.navgroup");
    document.querySelectorAll("details.navgroup[open]").forEach(function (d) {
      if (d !== inGroup) d.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    document.querySelectorAll("details.navgroup[open]").forEach(function (d) {
      d.removeAttribute("open");
    });
  });
})();
