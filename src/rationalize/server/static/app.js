// rationalize viewer and report: draw the Plotly figures embedded as JSON, toggle the overlay.
(function () {
  "use strict";
  function drawPlots() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
      var src = document.getElementById(div.getAttribute("data-figure"));
      if (!src) { return; }
      var fig = JSON.parse(src.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, {displaylogo: false, responsive: true}).then(function () {
        div.setAttribute("data-drawn", "1");
      });
    });
  }
  function overlay() {
    var box = document.getElementById("overlay");
    var set = function () { document.body.classList.toggle("overlay", !box || box.checked); };
    if (box) { box.addEventListener("change", set); }
    set();
  }
  function ready() { overlay(); drawPlots(); document.body.setAttribute("data-ready", "1"); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
