/* The dashboard's charts, drawn from the JSON the page carries in #dashboard-data.
   Every chart has its numbers in a table beside it; this script only adds the pictures. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var charts = [];
  var CLASS_COLOURS = { general: "#0f6e5a", hazardous: "#c2410c", medical: "#7c3aed" };

  function mount(name, option) {
    var element = document.querySelector("[data-chart='" + name + "']");
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    option.animation = false;  // slow office machines: draw once, at once
    chart.setOption(option);
    charts.push(chart);
  }

  // Tooltips are HTML: every name from the data (enterprise names are typed by enterprises) is escaped.
  var esc = echarts.format.encodeHTML;

  function round(value, places) {
    if (value === null || value === undefined) { return "—"; }
    var factor = Math.pow(10, places);
    return String(Math.round(value * factor) / factor);
  }

  // The gauge: the rolling rate against the park's target (a red band below it).
  var rate = data.gauge.rate;
  var target = data.gauge.target;
  var bands = target === null ? [[1, "#cbd5e1"]] : [[target / 100, "#fca5a5"], [1, "#86efac"]];
  var below = rate !== null && target !== null && rate < target;
  mount("gauge", {
    series: [{
      type: "gauge",
      min: 0,
      max: 100,
      radius: "100%",
      center: ["50%", "62%"],
      startAngle: 200,
      endAngle: -20,
      progress: { show: false },
      axisLine: { lineStyle: { width: 16, color: bands } },
      axisTick: { show: false },
      splitLine: { distance: -16, length: 16, lineStyle: { width: 1, color: "#fff" } },
      axisLabel: { distance: 22, color: "#64748b", fontSize: 10 },
      pointer: { show: rate !== null, length: "62%", width: 5, itemStyle: { color: below ? "#b91c1c" : "#065f46" } },
      anchor: { show: rate !== null, size: 10, itemStyle: { color: "#334155" } },
      title: { show: false },
      detail: { show: false },
      data: [{ value: rate === null ? 0 : rate, name: labels.rate }]
    }]
  });

  // The trend: generated per class as stacked bars; utilized and disposed of as lines per class.
  var series = [];
  data.trend.forEach(function (item) {
    var colour = CLASS_COLOURS[item.waste_class] || "#475569";
    series.push({ name: item.label + " · " + labels.generated, type: "bar", stack: "generated", data: item.generated, itemStyle: { color: colour, opacity: 0.55 }, barMaxWidth: 28 });
    series.push({ name: item.label + " · " + labels.utilized, type: "line", data: item.utilized, symbolSize: 5, lineStyle: { color: colour, width: 2 }, itemStyle: { color: colour } });
    series.push({ name: item.label + " · " + labels.disposed, type: "line", data: item.disposed, symbolSize: 4, lineStyle: { color: colour, width: 1.5, type: "dashed" }, itemStyle: { color: colour } });
  });
  mount("trend", {
    tooltip: { trigger: "axis", valueFormatter: function (value) { return round(value, 2) + " " + esc(labels.tonnes); } },
    legend: { type: "scroll", bottom: 0, textStyle: { fontSize: 11 } },
    grid: { left: 50, right: 20, top: 20, bottom: 60 },
    xAxis: { type: "category", data: data.month_labels, axisLabel: { fontSize: 11 } },
    yAxis: { type: "value", name: labels.tonnes, axisLabel: { fontSize: 11 } },
    series: series
  });

  // The Sankey: generators on the left, receivers on the right (separate nodes, so no cycles).
  var names = {};
  data.sankey.nodes.forEach(function (node) { names[node.name] = node.label; });
  // Receivers' names stand right of their nodes: the margin is sized to the longest (about 13 px a
  // character at 12 px), at most 40 % of the chart, and a name longer than that wraps instead of being cut.
  var longest = 0;
  data.sankey.nodes.forEach(function (node) {
    if (node.name.charAt(0) !== "s") { longest = Math.max(longest, String(node.label).length); }
  });
  var sankeyElement = document.querySelector("[data-chart='sankey']");
  var labelRoom = Math.max(80, Math.min(longest * 13 + 12, (sankeyElement ? sankeyElement.clientWidth : 800) * 0.4));
  // Every node gets room for its one-line name (about 26 px a node on the fuller side, 14 of them the
  // gap), so that the many small generators beside one large one never print their names over each other.
  var generators = 0, receivers = 0;
  data.sankey.nodes.forEach(function (node) {
    if (node.name.charAt(0) === "s") { generators += 1; } else { receivers += 1; }
  });
  if (sankeyElement) {
    sankeyElement.style.height = Math.max(360, Math.max(generators, receivers) * 26 + 20) + "px";
  }
  if (data.sankey.links.length) {
    mount("sankey", {
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          if (params.dataType === "edge") {
            return esc(names[params.data.source]) + " → " + esc(names[params.data.target]) + ": " + round(params.data.value, 2) + " " + esc(labels.tonnes);
          }
          return esc(names[params.name]) + ": " + round(params.value, 2) + " " + esc(labels.tonnes);
        }
      },
      series: [{
        type: "sankey",
        left: 10,
        right: labelRoom,
        top: 10,
        bottom: 10,
        nodeGap: 14,
        // Keep the server's order (largest flows first) instead of moving nodes around, which can stack
        // small nodes on one another.
        layoutIterations: 0,
        emphasis: { focus: "adjacency" },
        data: data.sankey.nodes.map(function (node) {
          return { name: node.name, itemStyle: { color: node.name.charAt(0) === "s" ? "#0f6e5a" : "#2563eb" } };
        }),
        links: data.sankey.links,
        label: {
          formatter: function (params) { return names[params.name]; },
          fontSize: 12,
          color: "#1e293b",
          width: labelRoom - 8,
          overflow: "break"
        },
        lineStyle: { color: "gradient", opacity: 0.35, curveness: 0.5 }
      }]
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
})();
