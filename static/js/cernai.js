// cernai: site-wide behaviour. Loaded from our own origin (CSP forbids inline scripts).
(function () {
  "use strict";

  // Charts: <canvas data-chart="ID"> where ID is a json_script element holding a Chart.js config.
  // The same numbers are always printed in a table beside the chart.
  function renderCharts(root) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.rendered) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
      var existing = window.Chart.getChart(canvas);
      if (existing) existing.destroy();
      new window.Chart(canvas, config);
      canvas.dataset.rendered = "1";
    });
  }

  // Buttons that ask before acting: <button data-confirm="Are you sure?">.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Tables: label every cell with its column's header (a phone shows each row as a card, see
  // cernai.css), and, as a last resort, let a table still wider than its page scroll on its own.
  function labelTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      var headerRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
      if (!headerRow) return;
      var labels = [];
      Array.prototype.forEach.call(headerRow.cells, function (th) {
        for (var i = 0; i < th.colSpan; i++) labels.push(th.textContent.trim().replace(/\s+/g, " "));
      });
      var groups = Array.prototype.slice.call(table.tBodies);
      if (table.tFoot) groups.push(table.tFoot);
      groups.forEach(function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (cell.colSpan === 1 && labels[column] && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", labels[column]);
            }
            column += cell.colSpan;
          });
        });
      });
    });
  }

  function scrollWideTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("table-scroll")) return;
      if (table.getBoundingClientRect().width <= parent.clientWidth + 1) return;
      var wrapper = document.createElement("div");
      wrapper.className = "table-scroll";
      wrapper.tabIndex = 0;  // a scrollable region is reachable by keyboard
      wrapper.setAttribute("role", "region");
      var caption = table.caption ? table.caption.textContent.trim() : "";
      wrapper.setAttribute("aria-label", caption || document.title);
      parent.insertBefore(wrapper, table);
      wrapper.appendChild(table);
    });
  }

  // Print: links in the content show their full address.
  function printableLinks(root) {
    root.querySelectorAll("main a[href]").forEach(function (link) {
      var href = link.getAttribute("href");
      if (href && href.charAt(0) !== "#" && href.indexOf("javascript:") !== 0) {
        link.setAttribute("data-print-url", link.href);
      }
    });
  }

  // Header menus: on a wide screen the menu is always open; one drop-down open at a time; Escape or
  // a click elsewhere closes them (they also work without JavaScript, as plain disclosures).
  var wide = window.matchMedia("(min-width: 60rem)");
  function placeMenu() {
    var menu = document.getElementById("site-menu");
    if (menu) menu.open = wide.matches;
  }
  function closeMenus(except) {
    document.querySelectorAll(".nav-section[open]").forEach(function (details) {
      if (details !== except && !details.contains(except)) details.open = false;
    });
  }
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("nav-section") && details.open) closeMenus(details);
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".nav-section")) closeMenus(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.activeElement && document.activeElement.closest(".nav-section[open]");
    closeMenus(null);
    if (open) open.querySelector("summary").focus();
  });

  function enhance(root) {
    renderCharts(root);
    labelTables(root);
    scrollWideTables(root);
    printableLinks(root);
  }

  if (wide.addEventListener) wide.addEventListener("change", placeMenu);
  document.addEventListener("DOMContentLoaded", function () { placeMenu(); enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
