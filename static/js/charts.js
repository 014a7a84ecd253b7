// cernai charts: gives each horizontal chart (indexAxis "y") the height its rows need, so Chart.js
// can draw every label (the configurations, built in cernai/core/charts.py, set autoSkip off: a
// label that does not fit would otherwise overlap, and a short canvas squeezes bars to hairlines).
// Loaded from our own origin after Chart.js on the pages with a chart (CSP: no inline script or
// style; a style set through the CSSOM is allowed). static/js/cernai.js draws the charts.
(function () {
  "use strict";

  var ROW = 14; // pixels per bar
  var GAP = 10; // pixels between two categories
  var CHROME = 96; // legend, value axis and its title

  function rowsHeight(config) {
    var data = config.data || {};
    var labels = (data.labels || []).length;
    var options = config.options || {};
    var scales = options.scales || {};
    var stacked = scales.y && scales.y.stacked;
    var bars = stacked ? 1 : Math.max(1, (data.datasets || []).length);
    return labels * (bars * ROW + GAP) + CHROME;
  }

  function size(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      var box = canvas.parentElement;
      if (!source || !box || box.dataset.sized) return;
      var config;
      try {
        config = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      if (!config.options || config.options.indexAxis !== "y") return;
      var height = rowsHeight(config);
      if (height > box.clientHeight) box.style.height = height + "px";
      box.dataset.sized = "1";
    });
  }

  // This script runs after the document is parsed (deferred, or at the end of the body) and
  // before DOMContentLoaded, where cernai.js draws: the boxes have their height first.
  size(document);
  document.addEventListener("htmx:afterSwap", function (event) { size(event.target); });
})();
