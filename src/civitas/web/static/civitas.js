/* Civitas: small enhancements; every page works without them. No inline scripts (CSP). */
(function () {
  "use strict";

  // GOV.UK pattern: move focus to the error summary so that it is read out first
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Markers of one building fan out around it (a few pixels at every zoom), so that none
  // hides another: each point's offset in pixels, [0, 0] where it stands alone.
  function fan(points) {
    var groups = {};
    points.forEach(function (p, i) {
      var key = p.lat.toFixed(4) + "," + p.long.toFixed(4);  // about 10 m: one building
      (groups[key] = groups[key] || []).push(i);
    });
    var out = points.map(function () { return [0, 0]; });
    Object.keys(groups).forEach(function (key) {
      var group = groups[key];
      if (group.length < 2) { return; }
      var r = 10 + 2 * group.length;
      group.forEach(function (index, k) {
        var angle = 2 * Math.PI * k / group.length - Math.PI / 2;
        out[index] = [Math.round(r * Math.cos(angle)), Math.round(r * Math.sin(angle))];
      });
    });
    return out;
  }
  function pin(shift) {  // Leaflet's own pin, drawn ``shift`` pixels away from its point
    var dx = shift[0], dy = shift[1];
    if (!dx && !dy) { return new L.Icon.Default(); }
    return new L.Icon.Default({
      iconAnchor: [12 - dx, 41 - dy], tooltipAnchor: [16 + dx, -28 + dy], popupAnchor: [1 + dx, -34 + dy]
    });
  }
  function dot(shift) {  // a round marker for the others around a case
    return L.divIcon({ className: "map-dot", iconSize: [14, 14], iconAnchor: [7 - shift[0], 7 - shift[1]] });
  }
  window.civitasFan = fan;
  window.civitasPin = pin;

  // A map of requests: one marker per request with a link to its page
  var shown = document.querySelector("[data-points-map]");
  if (shown && typeof L !== "undefined") {
    var points = JSON.parse(shown.getAttribute("data-points") || "[]");
    var middle = shown.getAttribute("data-center").split(",").map(Number);
    var view = L.map(shown.id).setView(middle, Number(shown.getAttribute("data-zoom")) || 13);
    if (window.civitasBaseMap) { window.civitasBaseMap(view, shown); }
    var bounds = [];
    var shifts = fan(points);
    points.forEach(function (p, i) {
      var link = document.createElement("a");
      link.href = p.url; link.textContent = "#" + p.n + " " + p.label;
      var title = "#" + p.n + " " + p.label;
      // on a case's map the others are dots around the case's own pin
      var mark = p.own === false
        ? L.marker([p.lat, p.long], { icon: dot(shifts[i]), title: title }).bindTooltip(title)
        : L.marker([p.lat, p.long], { icon: pin(shifts[i]), title: title });
      mark.addTo(view).bindPopup(link);
      bounds.push([p.lat, p.long]);
    });
    var area = shown.getAttribute("data-area");
    if (area) {  // the requests around a place: the circle they were looked for in
      var a = area.split(",").map(Number);
      var circle = L.circle([a[0], a[1]], { radius: a[2], color: "#0b5cad", weight: 2, fill: false, interactive: false }).addTo(view);
      view.fitBounds(circle.getBounds(), { padding: [10, 10] });
    } else if (bounds.length > 1) { view.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 }); }
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
  if (window.civitasBaseMap) { window.civitasBaseMap(map, box); }
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
    if (!quiet && window.civitasPinMoved) { window.civitasPinMoved(la, lo); }
  }
  var quiet = false;
  // the address search (places/map.js) places the pin where the chosen address is
  window.civitasPlacePin = function (la, lo) {
    quiet = true;
    place(L.latLng(la, lo), false);
    quiet = false;
    map.setView([la, lo], Math.max(map.getZoom(), 17));
  };

  var given = lat.value && lon.value ? [Number(lat.value), Number(lon.value)] : null;
  map.setView(given || center, given ? 17 : 14);
  if (given) { quiet = true; place(L.latLng(given[0], given[1]), false); quiet = false; }
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
    var numbers = box.getAttribute("data-number-locale");
    lib.embed(box, spec, {
      actions: false, renderer: "svg", ast: true, expr: lib.expressionInterpreter,
      defaultStyle: false, tooltip: false,
      // axes and labels write numbers as the page's locale does (26,6 in German)
      formatLocale: numbers ? JSON.parse(numbers) : undefined
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

/* The picker's route on a poor connection. A stop's form is sent in the background; when
   there is no connection it is kept in localStorage and sent again later (on "online",
   on the next visit, every 20 s). Each form carries its client_key, and the server answers
   a resend with the same key as the first, so a stop sent twice counts once. */
(function () {
  "use strict";
  var status = document.querySelector("[data-offline-status]");
  if (!status || !window.fetch || !window.localStorage) { return; }
  var KEY = "civitas.queue." + location.pathname.split("/")[1];
  var FAILED = KEY + ".failed";

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function write(key, items) { localStorage.setItem(key, JSON.stringify(items)); }

  function show() {
    var waiting = read(KEY);
    var failed = read(FAILED);
    var parts = [];
    if (waiting.length) {
      // the page gives the sentence for one record and for more (es, de and en say it so)
      var one = status.getAttribute("data-waiting-one");
      parts.push(waiting.length === 1 && one ? one : status.getAttribute("data-waiting").replace("{count}", waiting.length));
    }
    if (failed.length) { parts.push(status.getAttribute("data-failed").replace("{stops}", failed.join(", "))); }
    status.textContent = parts.join(" ");
    status.hidden = parts.length === 0;
    waiting.forEach(function (item) { mark(item.key); });
  }

  function mark(key) {
    var field = document.querySelector('input[name="client_key"][value="' + key + '"]');
    var form = field && field.form;
    if (!form || form.hidden) { return; }
    form.hidden = true;
    var note = document.createElement("p");
    note.className = "notice";
    note.setAttribute("data-queued-note", "");
    note.textContent = form.getAttribute("data-queued");
    form.parentNode.insertBefore(note, form.nextSibling);
  }

  function post(action, body) {  // a queued form (text) or a live one (with its photo)
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 20000) : null;
    return fetch(action, {
      method: "POST", body: typeof body === "string" ? new URLSearchParams(body) : body,
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).finally(function () { if (timer) { clearTimeout(timer); } });
  }

  function queue(item) {
    var waiting = read(KEY);
    if (!waiting.some(function (w) { return w.key === item.key; })) { waiting.push(item); }
    write(KEY, waiting);
    show();
  }

  var sending = false;
  function flush() {
    var waiting = read(KEY);
    if (sending || !waiting.length || navigator.onLine === false) { return; }
    sending = true;
    var item = waiting[0];
    post(item.action, item.body).then(function (response) {
      write(KEY, read(KEY).filter(function (w) { return w.key !== item.key; }));
      if (!response.ok) {  // refused (e.g. a weight the server does not accept): say so
        var failed = read(FAILED);
        failed.push(item.label);
        write(FAILED, failed);
      }
      sending = false;
      if (read(KEY).length) { flush(); } else { location.reload(); }
    }, function () { sending = false; });  // still offline: try again later
  }

  document.querySelectorAll("form[data-offline-queue]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-native")) { return; }  // the fallback below: a plain post
      event.preventDefault();
      form.querySelector('[name="recorded_at"]').value = new Date().toISOString();
      var data = new FormData(form, event.submitter);
      var plain = new FormData(form, event.submitter);
      var photo = plain.get("photo");
      plain.delete("photo");  // localStorage keeps text: a photo is not kept offline
      var item = {
        action: form.action, body: new URLSearchParams(plain).toString(),
        key: data.get("client_key"), label: form.getAttribute("data-stop-label")
      };
      function keep() {
        queue(item);
        if (photo && photo.size) {
          var note = form.parentNode.querySelector("[data-queued-note]");
          if (note) { note.textContent += " " + form.getAttribute("data-no-photo"); }
        }
      }
      if (navigator.onLine === false) { keep(); return; }
      post(item.action, data).then(function (response) {
        if (response.ok) {
          var target = response.url.split("#")[0];
          if (target === location.href.split("#")[0]) {
            location.hash = form.parentNode.id;
            location.reload();
          } else {
            location.assign(target + "#" + form.parentNode.id);
          }
        } else {  // refused: post it plainly, to show the page with its errors
          form.setAttribute("data-native", "1");
          form.requestSubmit(event.submitter);
        }
      }, keep);
    });
  });

  // a sent form leaves the list of failures once the stop is done
  if (read(FAILED).length && !read(KEY).length) {
    write(FAILED, read(FAILED).filter(function (label) {
      return Array.prototype.some.call(document.querySelectorAll("form[data-stop-label]"),
        function (f) { return f.getAttribute("data-stop-label") === label; });
    }));
  }
  // the page itself readable with no connection (a secure context: https or localhost)
  var city = location.pathname.split("/")[1];
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/" + city + "/picker/sw.js", { scope: "/" + city + "/picker" })
      .catch(function () { /* no service worker: the queue still works */ });
  }
  show();
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  flush();
})();

/* The street map of the route, only when asked for (its library and tiles are large). */
(function () {
  "use strict";
  var button = document.querySelector("[data-show-map]");
  var box = document.querySelector("[data-route-map]");
  if (!button || !box) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.hidden = true;
    var css = document.createElement("link");
    css.rel = "stylesheet"; css.href = "/static/vendor/leaflet/leaflet.css";
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = "/static/vendor/leaflet/leaflet.js";
    function load(src, then) {
      var s = document.createElement("script");
      s.src = src; s.onload = then; s.onerror = then;
      document.head.appendChild(s);
    }
    script.onload = function () {
      var vector = box.getAttribute("data-vector") === "1";
      load(vector ? "/static/vendor/leaflet/protomaps-leaflet.js" : "/static/places/map.js", function () {
        if (vector) { load("/static/places/map.js", draw); } else { draw(); }
      });
    };
    function draw() {
      box.hidden = false;
      var points = JSON.parse(box.getAttribute("data-points") || "[]");
      var start = box.getAttribute("data-center").split(",").map(Number);
      var map = L.map(box.id).setView(start, 15);
      if (window.civitasBaseMap) { window.civitasBaseMap(map, box); }
      var line = [start];
      var shifts = window.civitasFan(points);
      points.forEach(function (p, i) {
        L.marker([p.lat, p.long], { icon: window.civitasPin(shifts[i]), title: p.n + ". " + p.label }).addTo(map)
          .bindTooltip(String(p.n), { permanent: true, direction: "top" });
        line.push([p.lat, p.long]);
      });
      L.polyline(line, { dashArray: "5 5" }).addTo(map);
      map.fitBounds(line, { padding: [20, 20] });
    }
    document.head.appendChild(script);
  });
})();

/* Signing out forgets the route kept on the phone (it holds households' addresses). */
(function () {
  "use strict";
  var out = document.querySelector('form[action$="/logout"]');
  if (!out || !window.caches) { return; }
  out.addEventListener("submit", function (event) {
    event.preventDefault();
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("civitas-picker-") === 0; })
        .map(function (n) { return caches.delete(n); }));
    }).finally(function () { out.submit(); });
  });
})();

// Work under way in the background (a day's plan): ask for its state until it is over,
// then show the page again with the result. Without scripts, the page has a refresh link.
(function () {
  "use strict";
  var waiting = document.querySelector("[data-job]");
  if (!waiting || !window.fetch) { return; }
  function ask() {
    fetch(waiting.getAttribute("data-job"), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (job && (job.status === "done" || job.status === "failed")) {
          window.location.reload();
        } else { setTimeout(ask, 2000); }
      })
      .catch(function () { setTimeout(ask, 5000); });
  }
  setTimeout(ask, 1500);
}());

/* Saving a view of the queue keeps the filters shown now (htmx changes them in place). */
(function () {
  "use strict";
  var form = document.querySelector("[data-save-view]");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    form.querySelector("input[name=query]").value = window.location.search.replace(/^\?/, "");
  });
})();
