/* The leaders' board's charts: each <figure class="board-chart"> holds its data as JSON
   (written by dashboards/views.py) and is drawn with the vendored uPlot. Kinds: "stacked"
   (counts per group, stacked bars), "bars" (one value per group), "lines" (per day). */
(function () {
  "use strict";

  function bars(u, labels) {
    return {
      x: { time: false, range: function () { return [-0.5, labels.length - 0.5]; } },
      axis: {
        values: function (_u, splits) {
          return splits.map(function (i) { return labels[i] === undefined ? "" : labels[i]; });
        },
        incrs: [1], rotate: labels.length > 6 ? -30 : 0, size: labels.length > 6 ? 90 : 40,
      },
    };
  }

  function draw(fig) {
    var data = JSON.parse(fig.querySelector("script[type='application/json']").textContent);
    var width = Math.max(fig.clientWidth || 600, 300);
    var height = parseInt(fig.dataset.height || "260", 10);
    var opts, rows;
    if (data.kind === "lines") {
      opts = { width: width, height: height, title: data.title, series: [{}], axes: [{}, {}],
               scales: { x: { time: true } } };
      rows = [data.x];
      data.series.forEach(function (s) {
        opts.series.push({ label: s.label, stroke: s.color, width: 2, points: { show: true } });
        rows.push(s.values);
      });
    } else {
      var labels = data.labels;
      var xs = labels.map(function (_l, i) { return i; });
      var b = bars(null, labels);
      var path = uPlot.paths.bars({ size: [0.7, 64] });
      opts = { width: width, height: height, title: data.title, scales: { x: b.x },
               axes: [{ values: b.axis.values, incrs: b.axis.incrs, rotate: b.axis.rotate,
                        size: b.axis.size, gap: 4 }, {}],
               series: [{ label: "" }], legend: { live: false } };
      if (data.max) { opts.scales.y = { range: [0, data.max] }; }
      rows = [xs];
      // stacked: each series drawn as the running total, the widest first, so every part shows
      var running = xs.map(function () { return 0; });
      var stacked = data.series.map(function (s) {
        running = running.map(function (v, i) { return v + (s.values[i] || 0); });
        return running.slice();
      });
      var order = data.kind === "stacked" ? stacked.map(function (_s, i) { return i; }).reverse()
                                          : data.series.map(function (_s, i) { return i; });
      order.forEach(function (i) {
        var s = data.series[i];
        opts.series.push({ label: s.label, fill: s.color, stroke: s.color, paths: path,
                           points: { show: false },
                           value: function (_u, _v, _si, idx) {
                             return idx == null ? "" : s.values[idx];
                           } });
        rows.push(data.kind === "stacked" ? stacked[i] : s.values);
      });
    }
    new uPlot(opts, rows, fig);
  }

  function init() {
    if (typeof uPlot === "undefined") { return; }
    document.querySelectorAll("figure.board-chart").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
