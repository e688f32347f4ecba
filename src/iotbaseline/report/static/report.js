// iotbaseline HTML report: verdict filters and sortable tables. The page is complete without
// this script (every row shown, tables in their default order); it only adds convenience.
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");

  function applyFilter(fieldset) {
    var table = document.getElementById(fieldset.getAttribute("data-table"));
    if (!table) { return; }
    var wanted = {};
    fieldset.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      wanted[box.value] = box.checked;
    });
    var shown = 0, total = 0;
    table.querySelectorAll("tbody tr[data-verdict]").forEach(function (row) {
      total += 1;
      var visible = wanted[row.getAttribute("data-verdict")] !== false;
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var counter = fieldset.querySelector(".shown");
    if (counter) { counter.textContent = shown + " of " + total + " shown"; }
  }

  document.querySelectorAll("fieldset.vfilter").forEach(function (fieldset) {
    fieldset.addEventListener("change", function () { applyFilter(fieldset); });
    applyFilter(fieldset);
  });

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw.toLowerCase();
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      th.setAttribute("tabindex", "0");
      function sort() {
        var numeric = th.getAttribute("data-type") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
          var order = x < y ? -1 : (x > y ? 1 : 0);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
})();
