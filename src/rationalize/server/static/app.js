// rationalize viewer and report: draw the Plotly figures embedded as JSON, toggle the overlay.
(function () {
  "use strict";
  function drawPlots() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("div.plot[data-figure]:not([data-drawn])").forEach(function (div) {
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
  // Chat: questions and parses are shown with textContent; the answer HTML comes from the server's
  // template (escaped there). Each turn keeps its parse in an editable box with a "run" button.
  function chat() {
    var form = document.getElementById("chat-form");
    if (!form) { return; }
    var input = document.getElementById("chat-input");
    var log = document.getElementById("chat-log");
    var busy = false;
    function send(body, shown) {
      if (busy) { return; }
      busy = true;
      var turn = document.createElement("div");
      turn.className = "turn";
      turn.setAttribute("data-state", "pending");
      var q = document.createElement("p");
      q.className = "question";
      q.textContent = shown;
      turn.appendChild(q);
      var wait = document.createElement("p");
      wait.className = "muted";
      wait.textContent = "working...";
      turn.appendChild(wait);
      log.appendChild(turn);
      fetch("/api/chat", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
        .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, j: j}; }); })
        .then(function (res) {
          turn.removeChild(wait);
          if (!res.ok) {
            var e = document.createElement("p");
            e.className = "error";
            e.textContent = res.j.detail || "error";
            turn.appendChild(e);
          } else {
            var row = document.createElement("div");
            row.className = "parse";
            var box = document.createElement("input");
            box.type = "text";
            box.className = "parse-text";
            box.value = res.j.parse;
            box.setAttribute("aria-label", "program");
            var run = document.createElement("button");
            run.type = "button";
            run.textContent = "run";
            run.addEventListener("click", function () { send({program: box.value}, box.value); });
            row.appendChild(box);
            row.appendChild(run);
            turn.appendChild(row);
            var ans = document.createElement("div");
            ans.innerHTML = res.j.html;
            turn.appendChild(ans);
            drawPlots();
          }
          turn.setAttribute("data-state", "done");
          turn.scrollIntoView({block: "end"});
        })
        .catch(function (err) { wait.textContent = "request failed: " + err; turn.setAttribute("data-state", "done"); })
        .then(function () { busy = false; });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (text) { send({question: text}, text); input.value = ""; }
    });
    document.addEventListener("click", function (ev) {
      var t = ev.target;
      if (t && t.classList && t.classList.contains("suggest")) {
        var q = t.getAttribute("data-question");
        send({question: q}, q);
      }
    });
  }
  function ready() { overlay(); drawPlots(); chat(); document.body.setAttribute("data-ready", "1"); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
