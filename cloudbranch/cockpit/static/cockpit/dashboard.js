/* 党建数据座舱: draws every panel from the JSON rendered once in the page (#cockpit-data), the
 * same rows as each panel's table. Toggles chart/table, downloads a chart as an image
 * (ECharts getDataURL) or the whole page as one image, re-ranks the children on the select box, drills down on a treemap click,
 * prints. Vanilla JS; ECharts is vendored. */
(function () {
  "use strict";
  var dataEl = document.getElementById("cockpit-data");
  var clientEl = document.getElementById("cockpit-client");
  if (!dataEl || !clientEl) return;
  var panels = JSON.parse(dataEl.textContent);
  var client = JSON.parse(clientEl.textContent);
  var byId = {};
  panels.forEach(function (p) { byId[p.id] = p; });
  var charts = {};
  var palette = ["#c8161d", "#f5a623", "#2f7ed8", "#1a9850", "#8e44ad", "#16a085", "#7f8c8d"];
  var textColor = client.screen ? "#e6edf7" : "#333";

  function drillUrl(unitId) {
    return client.drill_url + "?unit=" + encodeURIComponent(unitId) + "&" + client.query;
  }

  function categoryOption(p, kinds) {
    var names = p.rows.map(function (r) { return r[0]; });
    var series = p.columns.slice(1).map(function (col, j) {
      return {
        name: col,
        type: kinds[j] || "line",
        yAxisIndex: p.chart === "combo" && j > 0 ? 1 : 0,
        smooth: true,
        connectNulls: false,
        data: p.rows.map(function (r) { return r[j + 1]; })
      };
    });
    var yAxis = [{ type: "value" }];
    if (p.chart === "combo") yAxis.push({ type: "value", splitLine: { show: false } });
    return {
      color: palette,
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: { color: textColor } },
      grid: { left: 48, right: p.chart === "combo" ? 48 : 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: names },
      yAxis: yAxis,
      series: series
    };
  }

  function pairs(p) {
    return p.rows.map(function (r) { return { name: r[0], value: r[1] === null ? 0 : r[1] }; });
  }

  function colourOf(value, min, max) {
    if (value === null || value === undefined) return "#9aa5b1";
    var t = max > min ? (value - min) / (max - min) : 1;
    var stops = [[215, 48, 39], [254, 224, 139], [26, 152, 80]];
    var seg = t < 0.5 ? 0 : 1;
    var local = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    var a = stops[seg], b = stops[seg + 1];
    var c = a.map(function (x, i) { return Math.round(x + (b[i] - x) * local); });
    return "rgb(" + c.join(",") + ")";
  }

  function treemapOption(p) {
    var colours = p.rows.map(function (r) { return r[2]; }).filter(function (v) { return v !== null; });
    var min = colours.length ? Math.min.apply(null, colours) : 0;
    var max = colours.length ? Math.max.apply(null, colours) : 0;
    return {
      tooltip: {
        formatter: function (info) {
          var d = info.data || {};
          return d.name + "<br>" + p.columns[1] + "：" + (d.size === null ? "—" : d.size) +
            "<br>" + p.columns[2] + "：" + (d.colour === null ? "—" : d.colour);
        }
      },
      series: [{
        type: "treemap",
        roam: false,
        nodeClick: false,
        breadcrumb: { show: false },
        label: { show: true, formatter: "{b}" },
        data: p.rows.map(function (r, i) {
          return {
            name: r[0], value: r[1] || 0, size: r[1], colour: r[2], unitId: p.ids[i],
            itemStyle: { color: colourOf(r[2], min, max) }
          };
        })
      }]
    };
  }

  function optionFor(p) {
    switch (p.chart) {
      case "pie":
        return {
          color: palette,
          tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
          legend: { bottom: 0, textStyle: { color: textColor } },
          series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "45%"], data: pairs(p) }]
        };
      case "funnel":
        return {
          color: palette,
          tooltip: { trigger: "item", formatter: "{b}：{c}" },
          series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", label: { formatter: "{b}：{c}" }, data: pairs(p) }]
        };
      case "bar":
        return categoryOption(p, p.columns.slice(1).map(function () { return "bar"; }));
      case "line":
        return categoryOption(p, []);
      case "combo":
        return categoryOption(p, ["bar"]);
      case "treemap":
        return treemapOption(p);
      default:
        return null;
    }
  }

  panels.forEach(function (p) {
    var el = document.getElementById("chart-" + p.id);
    var table = document.getElementById("table-" + p.id);
    var option = optionFor(p);
    if (!el || !window.echarts || !option) return;
    if (table) table.classList.add("d-none");
    var chart = echarts.init(el, client.screen ? "dark" : null);
    if (client.screen) option.backgroundColor = "transparent";
    chart.setOption(option);
    if (p.chart === "treemap") {
      chart.on("click", function (info) {
        if (info.data && info.data.unitId) window.location.href = drillUrl(info.data.unitId);
      });
    }
    charts[p.id] = chart;
  });
  var ranking = document.getElementById("table-ranking");
  if (ranking) ranking.classList.add("d-none");

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });

  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest("[data-cb-toggle]");
    if (toggle) {
      var id = toggle.getAttribute("data-cb-toggle");
      var table = document.getElementById("table-" + id);
      var chartEl = document.getElementById("chart-" + id);
      var showTable = table.classList.contains("d-none");
      table.classList.toggle("d-none", !showTable);
      if (chartEl && id !== "ranking") chartEl.classList.toggle("d-none", showTable);
      toggle.setAttribute("aria-pressed", showTable ? "true" : "false");
      if (!showTable && charts[id]) charts[id].resize();
      return;
    }
    var image = ev.target.closest("[data-cb-image]");
    if (image) {
      var cid = image.getAttribute("data-cb-image");
      var c = charts[cid];
      if (!c) return;
      var a = document.createElement("a");
      a.href = c.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: client.screen ? "#0b1220" : "#fff" });
      a.download = (byId[cid].title || cid) + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
      return;
    }
    if (ev.target.closest("[data-cb-page-image]")) { downloadPage(); return; }
    if (ev.target.closest("[data-cb-print]")) { window.print(); return; }
    if (ev.target.closest("[data-cb-fullscreen]") && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen();
    }
  });

  // The whole page as one PNG: the title, the headline figures, then every chart shown (ECharts
  // composes the charts at their places on the page: getConnectedDataURL over one group).
  function downloadPage() {
    var shown = Object.keys(charts).filter(function (id) {
      var el = charts[id].getDom();
      return el.offsetWidth > 0 && el.offsetHeight > 0;
    });
    Object.keys(charts).forEach(function (id) { charts[id].group = shown.indexOf(id) >= 0 ? "cb-page" : ""; });
    var background = client.screen ? "#0b1220" : "#ffffff";
    var fg = client.screen ? "#e6edf7" : "#212529";
    var figures = Array.prototype.map.call(document.querySelectorAll("#headline .cb-figure"), function (el) {
      return [el.querySelector(".text-muted").textContent.trim(), el.querySelector(".cb-figure-value").textContent.trim()];
    });
    var title = document.querySelector("h1").textContent.trim().replace(/\s+/g, " ");
    var ratio = 2, cols = 4, rowH = 56, pad = 24;
    // Each chart's title goes above it, at its place in the composed image (the charts' top-left is
    // the origin there).
    var rects = shown.map(function (id) { return charts[id].getDom().getBoundingClientRect(); });
    var minLeft = Math.min.apply(null, rects.map(function (r) { return r.left; }));
    var minTop = Math.min.apply(null, rects.map(function (r) { return r.top; }));
    function finish(chartsImg) {
      var width = Math.max(chartsImg ? chartsImg.width : 0, 1200 * ratio);
      var headH = (pad + 40 + Math.ceil(figures.length / cols) * rowH + pad + 24) * ratio;
      var canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = headH + (chartsImg ? chartsImg.height : 0);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = background;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(ratio, ratio);
      ctx.fillStyle = fg;
      ctx.font = "bold 22px sans-serif";
      ctx.fillText(title + "  " + (document.getElementById("cockpit-updated") || { textContent: "" }).textContent.trim().replace(/\s+/g, " "), pad, pad + 22);
      var colW = (width / ratio - 2 * pad) / cols;
      figures.forEach(function (f, i) {
        var x = pad + (i % cols) * colW, y = pad + 40 + Math.floor(i / cols) * rowH;
        ctx.font = "14px sans-serif";
        ctx.fillText(f[0], x, y + 16);
        ctx.font = "bold 22px sans-serif";
        ctx.fillText(f[1].replace(/\s+/g, " "), x, y + 44);
      });
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      if (chartsImg) ctx.drawImage(chartsImg, 0, headH); // its background fills the gaps: titles after
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.fillStyle = fg;
      ctx.font = "bold 15px sans-serif";
      shown.forEach(function (id, i) {
        ctx.fillText(byId[id].title, rects[i].left - minLeft + 8, headH / ratio + rects[i].top - minTop - 8);
      });
      var a = document.createElement("a");
      a.href = canvas.toDataURL("image/png");
      a.download = title + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
    if (!shown.length) { finish(null); return; }
    var img = new Image();
    img.onload = function () { finish(img); };
    echarts.connect("cb-page"); // getConnectedDataURL composes the charts of a connected group only
    img.src = charts[shown[0]].getConnectedDataURL({ type: "png", pixelRatio: ratio, backgroundColor: background, connectedBackgroundColor: background });
    echarts.disconnect("cb-page");
  }

  // The big screen reloads itself every 5 minutes (the cache key changes after a recompute).
  if (client.refresh_seconds) {
    window.setTimeout(function () { window.location.reload(); }, client.refresh_seconds * 1000);
  }

  // Top / bottom 5 re-ranked in the page when the metric changes (the form submits without JS).
  var select = document.getElementById("rank-select");
  var rankPanel = byId.ranking;
  function fillList(listEl, entries, emptyText) {
    listEl.textContent = "";
    if (!entries.length) {
      var li = document.createElement("li");
      li.className = "list-group-item text-muted";
      li.textContent = emptyText;
      listEl.appendChild(li);
      return;
    }
    entries.forEach(function (e) {
      var li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between";
      var a = document.createElement("a");
      a.className = "me-auto ms-1";
      a.href = drillUrl(e.id);
      a.textContent = e.name;
      var v = document.createElement("span");
      v.className = "fw-bold";
      v.textContent = e.value;
      li.appendChild(a);
      li.appendChild(v);
      listEl.appendChild(li);
    });
  }
  if (select && rankPanel) {
    select.addEventListener("change", function () {
      var col = parseInt(select.selectedOptions[0].getAttribute("data-column"), 10);
      var entries = rankPanel.rows.map(function (r, i) { return { id: rankPanel.ids[i], name: r[0], value: r[col] }; })
        .filter(function (e) { return e.value !== null; })
        .sort(function (a, b) { return b.value - a.value || a.name.localeCompare(b.name, "zh"); });
      var top = entries.slice(0, 5);
      var bottom = entries.slice(Math.max(5, entries.length - 5)).reverse();
      fillList(document.getElementById("rank-top"), top, "暂无数据。");
      fillList(document.getElementById("rank-bottom"), bottom, "下级组织不足 6 个，见前 5 名。");
    });
  }
})();
