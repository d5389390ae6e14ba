// The dashboard's charts, drawn with ECharts from the data the page carries
// in <script type="application/json" id="insights-chart"> (json_script).
// Names are data, never HTML: tooltips render as rich text, not markup.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var source = document.getElementById("insights-chart");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var unit = data.unit;
    var tooltip = { trigger: "axis", renderMode: "richText" };
    var axisLabel = { formatter: "{value}" + unit };
    var charts = [];

    function draw(id, option) {
      var element = document.getElementById(id);
      if (!element) return;
      var chart = window.echarts.init(element);
      chart.setOption(option);
      charts.push(chart);
    }

    draw("chart-trend", {
      tooltip: tooltip,
      grid: { left: 56, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "category", data: data.trend.map(function (p) { return p.name; }) },
      yAxis: { type: "value", axisLabel: axisLabel },
      series: [{ type: "line", name: data.label, data: data.trend.map(function (p) { return p.value; }) }],
    });

    draw("chart-places", {
      tooltip: tooltip,
      grid: { left: 120, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "value", axisLabel: axisLabel },
      yAxis: { type: "category", inverse: true, data: data.places.map(function (p) { return p.name; }) },
      series: [{ type: "bar", name: data.label, data: data.places.map(function (p) { return p.value; }) }],
    });

    if (data.map && data.map.geojson && document.getElementById("chart-map")) {
      window.echarts.registerMap("insights-places", data.map.geojson);
      var values = data.map.values.map(function (v) { return v.value; }).filter(function (v) { return v !== null; });
      draw("chart-map", {
        tooltip: { trigger: "item", renderMode: "richText" },
        visualMap: {
          min: values.length ? Math.min.apply(null, values) : 0,
          max: values.length ? Math.max.apply(null, values) : 1,
          calculable: true,
          inRange: { color: ["#e8f5e9", "#fff59d", "#ef5350"] },
          left: 8,
          bottom: 8,
        },
        series: [{
          type: "map",
          map: "insights-places",
          nameProperty: "name",
          name: data.map.measure,
          roam: true,
          data: data.map.values,
        }],
      });
    }

    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  });
})();
