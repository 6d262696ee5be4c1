/* The metrics dashboard's chart: rates by month (lines) over the cases reported (bars), from #chart-data. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("chart");
    var source = document.getElementById("chart-data");
    if (!window.echarts || !el || !source) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el);
    var series = data.series.map(function (s) {
      return {name: s.name, type: "line", data: s.data, connectNulls: true};
    });
    series.push({name: data.reported_label, type: "bar", yAxisIndex: 1, data: data.reported, itemStyle: {opacity: 0.3}});
    chart.setOption({
      tooltip: {trigger: "axis"},
      legend: {type: "scroll", top: 0},
      grid: {left: 40, right: 40, top: 40, bottom: 30},
      xAxis: {type: "category", data: data.months},
      yAxis: [{type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}}, {type: "value"}],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
