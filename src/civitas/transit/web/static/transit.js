/* Buses and trams, on the rider's phone: stops near them, their favourite stops (kept
   in this browser only), a stop's departures refreshed every 30 seconds, and a line's
   map on the city's base map. Every page works without it. No inline scripts (CSP). */
(function () {
  "use strict";
  var slug = location.pathname.split("/")[1] || "";
  var lang = document.documentElement.lang || "en";
  var KEY = "civitas-transit-favourites-" + slug;

  function favourites() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function keep(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode */ }
  }

  // stops near me
  var near = document.querySelector("[data-near-me]");
  if (near && navigator.geolocation) {
    near.hidden = false;
    near.addEventListener("click", function () {
      near.disabled = true;
      near.textContent = near.getAttribute("data-waiting");
      navigator.geolocation.getCurrentPosition(function (p) {
        location.href = "/" + slug + "/transit?lat=" + p.coords.latitude.toFixed(5) +
          "&lon=" + p.coords.longitude.toFixed(5) + "&lang=" + lang;
      }, function () {
        near.disabled = false;
        near.textContent = near.getAttribute("data-denied");
      }, { timeout: 15000, maximumAge: 60000 });
    });
  }

  // favourites: the button on a stop's page, the list on the first page
  var fav = document.querySelector("[data-favourite]");
  if (fav) {
    var id = fav.getAttribute("data-favourite");
    var label = function () {
      var kept = favourites().some(function (f) { return f.id === id; });
      fav.textContent = fav.getAttribute(kept ? "data-remove" : "data-add");
      fav.setAttribute("aria-pressed", kept ? "true" : "false");
    };
    fav.hidden = false;
    label();
    fav.addEventListener("click", function () {
      var list = favourites();
      var kept = list.some(function (f) { return f.id === id; });
      keep(kept ? list.filter(function (f) { return f.id !== id; })
                : list.concat([{ id: id, name: fav.getAttribute("data-name") }]));
      label();
    });
  }
  var box = document.querySelector("[data-favourites]");
  if (box) {
    var list = favourites();
    if (list.length) {
      var ul = box.querySelector("[data-favourite-list]");
      list.forEach(function (f) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "/" + slug + "/transit/stops/" + encodeURIComponent(f.id) + "?lang=" + lang;
        a.textContent = f.name;
        li.appendChild(a);
        ul.appendChild(li);
      });
      box.hidden = false;
    }
  }

  // a stop's departures, fresh every 30 seconds while the page is shown
  var deps = document.querySelector("[data-departures]");
  if (deps && window.fetch) {
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(deps.getAttribute("data-departures"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html) { deps.innerHTML = html; } })
        .catch(function () { /* offline: keep what is shown */ });
    }, 30000);
  }

  // a line on the map
  var mapBox = document.querySelector("[data-line-map]");
  if (mapBox && typeof L !== "undefined") {
    var centre = (mapBox.getAttribute("data-center") || "0,0").split(",").map(Number);
    var map = L.map(mapBox.id, { scrollWheelZoom: false }).setView(centre, 13);
    if (window.civitasBaseMap) { window.civitasBaseMap(map, mapBox); }
    fetch(mapBox.getAttribute("data-line-map"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (line) {
        // the page may be going away (a link followed before the line came): a map
        // without a size cannot fit its bounds (Leaflet would compute NaN)
        var size = map.getSize();
        if (!mapBox.isConnected || !size.x || !size.y) { return; }
        var colour = "#" + (line.color || "4A5560");
        var bounds = [];
        (line.shape || []).forEach(function (points) {
          if (points.length) { L.polyline(points, { color: colour, weight: 5, opacity: 0.85 }).addTo(map); }
          bounds = bounds.concat(points);
        });
        var seen = {};
        (line.directions || []).forEach(function (d) {
          d.stops.forEach(function (s) {
            if (seen[s.id]) { return; }
            seen[s.id] = true;
            var m = L.circleMarker([s.lat, s.lon], { radius: 5, color: colour, fillColor: "#fff", fillOpacity: 1, weight: 3 }).addTo(map);
            m.bindTooltip(s.name);
            m.on("click", function () { location.href = mapBox.getAttribute("data-stop-base") + encodeURIComponent(s.id) + "?lang=" + lang; });
            bounds.push([s.lat, s.lon]);
          });
        });
        if (bounds.length) { map.fitBounds(bounds, { padding: [16, 16] }); }
      });
  }
})();
