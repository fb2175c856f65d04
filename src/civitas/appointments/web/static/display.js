// The waiting room's display: fetches the latest calls every few seconds, shows them and
// announces a new call as text for screen readers (aria-live="assertive").
(function () {
  "use strict";
  var main = document.getElementById("main");
  var feed = main.getAttribute("data-feed");
  var sentence = main.getAttribute("data-announce");
  var forms = document.getElementById("waiting-forms");
  // the call the page was drawn with (already announced by it): only a newer one is said
  var last = main.getAttribute("data-last") || null;
  var rows = document.getElementById("calls");
  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
  function show(data) {
    var body = document.createElement("tbody");
    body.id = "calls";
    data.calls.forEach(function (c, i) {
      var tr = document.createElement("tr");
      if (i === 0) { tr.className = "latest"; }
      tr.appendChild(cell(c.ticket));
      tr.appendChild(cell(c.counter));
      body.appendChild(tr);
    });
    if (!data.calls.length) {
      var tr = document.createElement("tr");
      var td = cell(forms.getAttribute("data-none"));
      td.colSpan = 2; td.className = "muted"; tr.appendChild(td); body.appendChild(tr);
    }
    rows.replaceWith(body);
    rows = body;
    var form = forms.getAttribute(data.waiting === 1 ? "data-one" : "data-many");
    document.getElementById("waiting").textContent = form.replace("{count}", data.waiting.toLocaleString(document.documentElement.lang));
    var first = data.calls[0];
    var key = first ? first.ticket + "@" + first.counter + "@" + first.at + "@" + first.calls : null;
    if (first && key !== last) {
      document.getElementById("announce").textContent = sentence.replace("{ticket}", first.ticket).replace("{counter}", first.counter);
    }
    last = key;
  }
  function poll() {
    fetch(feed, { headers: { accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();
