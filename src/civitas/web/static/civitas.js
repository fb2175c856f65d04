/* Civitas: small enhancements; every page works without them. No inline scripts (CSP). */
(function () {
  "use strict";

  // GOV.UK pattern: move focus to the error summary so that it is read out first
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // A map of requests: one marker per request with a link to its page
  var shown = document.querySelector("[data-points-map]");
  if (shown && typeof L !== "undefined") {
    var points = JSON.parse(shown.getAttribute("data-points") || "[]");
    var middle = shown.getAttribute("data-center").split(",").map(Number);
    var view = L.map(shown.id).setView(middle, 13);
    L.tileLayer(shown.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: shown.getAttribute("data-attribution")
    }).addTo(view);
    var bounds = [];
    points.forEach(function (p) {
      var link = document.createElement("a");
      link.href = p.url; link.textContent = "#" + p.n + " " + p.label;
      L.marker([p.lat, p.long], { title: "#" + p.n + " " + p.label }).addTo(view).bindPopup(link);
      bounds.push([p.lat, p.long]);
    });
    if (bounds.length > 1) { view.fitBounds(bounds, { padding: [20, 20] }); }
  }

  // A map to choose a point: fills the lat/long fields of the form
  var box = document.querySelector("[data-map]");
  if (!box || typeof L === "undefined") { return; }
  var lat = document.getElementById("lat");
  var lon = document.getElementById("long");
  var text = box.querySelector("[data-point-text]");
  var center = box.getAttribute("data-center").split(",").map(Number);
  var b = box.getAttribute("data-bounds").split(",").map(Number);
  var map = L.map("map", { maxBounds: [[b[0], b[1]], [b[2], b[3]]], maxBoundsViscosity: 0.8 });
  L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 19, attribution: box.getAttribute("data-attribution")
  }).addTo(map);
  var marker = null;

  function place(latlng, pan) {
    var la = Math.round(latlng.lat * 1e6) / 1e6;
    var lo = Math.round(latlng.lng * 1e6) / 1e6;
    lat.value = la; lon.value = lo;
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), false); });
    }
    if (pan) { map.panTo(latlng); }
    if (text) { text.textContent = la + ", " + lo; }
  }

  var given = lat.value && lon.value ? [Number(lat.value), Number(lon.value)] : null;
  map.setView(given || center, given ? 17 : 14);
  if (given) { place(L.latLng(given[0], given[1]), false); }
  map.on("click", function (e) { place(e.latlng, false); });

  var locate = box.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var p = L.latLng(pos.coords.latitude, pos.coords.longitude);
        place(p, true); map.setZoom(17);
      });
    });
  }
})();

/* Charts: Vega-Lite specs rendered by the locally served vega-embed, with Vega's
   expression interpreter (the pages forbid eval). The chart's text alternative and its
   data table are in the page already; without JavaScript they are what is shown. */
(function () {
  "use strict";
  if (typeof window.civitasCharts === "undefined") { return; }
  var lib = window.civitasCharts;
  document.querySelectorAll("[data-vega-spec]").forEach(function (box) {
    var spec = JSON.parse(box.getAttribute("data-vega-spec"));
    lib.embed(box, spec, {
      actions: false, renderer: "svg", ast: true, expr: lib.expressionInterpreter,
      defaultStyle: false, tooltip: false
    }).then(function () {
      // the box is the image (role img, named by the summary); its drawing is decoration
      box.querySelectorAll("svg, canvas").forEach(function (el) {
        el.setAttribute("aria-hidden", "true");
      });
      box.setAttribute("data-rendered", "true");
    })
      .catch(function (err) { box.setAttribute("data-error", String(err)); });
  });
})();
