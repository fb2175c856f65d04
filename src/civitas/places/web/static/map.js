/* The city's base map on a Leaflet map (civitas.places.basemap): tiles Civitas serves from
   the city's PMTiles file (raster, or vector drawn by protomaps-leaflet), a tile server the
   city set, or, with neither, the map drawn from the city's own data: the streets of the
   address register with their names, the register's addresses close up, and what the
   domains add (zones, offices, stops). Nothing is loaded from another host unless the
   city set a tile server. No inline scripts (CSP). */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function num(box, name, fallback) {
    var v = Number(box.getAttribute(name));
    return isNaN(v) ? fallback : v;
  }

  function drawn(map, box) {
    map.getContainer().classList.add("map--drawn");
    map.attributionControl.addAttribution(box.getAttribute("data-attribution") || "");
    var labels = [];
    fetch(box.getAttribute("data-layers"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        var streets = fc.features.filter(function (f) { return f.properties.layer === "places.streets"; });
        var other = fc.features.filter(function (f) { return f.properties.layer !== "places.streets"; });
        var colours = {};
        (fc.legend || []).forEach(function (l) { colours[l.layer] = l.colour; });
        L.geoJSON(other, {
          style: function (f) { var c = colours[f.properties.layer] || "#555"; return { color: c, weight: 2, fillOpacity: 0.08 }; },
          pointToLayer: function (f, at) {
            return L.circleMarker(at, { radius: 6, color: colours[f.properties.layer] || "#555", fillOpacity: 0.8 });
          },
          onEachFeature: function (f, layer) { if (f.properties.name) { layer.bindTooltip(f.properties.name); } }
        }).addTo(map);
        casing = L.geoJSON(streets, { style: { color: "#bdb6aa", lineCap: "round" }, interactive: false }).addTo(map);
        fill = L.geoJSON(streets, {
          style: { color: "#ffffff", lineCap: "round" },
          onEachFeature: function (f, layer) {
            labels.push({ layer: layer, name: f.properties.name });
            layer.bindTooltip(f.properties.name, { sticky: true });
          }
        }).addTo(map);
        widths();
        names();
      });

    // streets as wide as they look at this zoom
    var casing = null, fill = null;
    function widths() {
      if (!casing) { return; }
      var w = Math.max(1, Math.min(12, Math.pow(2, map.getZoom() - 14)));
      casing.setStyle({ weight: w + 3 });
      fill.setStyle({ weight: w });
    }
    map.on("zoomend", widths);

    // street names written on the map close up: each at the point of its street nearest
    // the middle of the view, a few at a time
    var written = L.layerGroup().addTo(map);
    function nearestOn(layer, middle) {
      var best = null, bestD = Infinity;
      var lines = layer.getLatLngs();
      if (lines.length && !Array.isArray(lines[0])) { lines = [lines]; }
      var p = map.latLngToLayerPoint(middle);
      lines.forEach(function (line) {
        for (var i = 1; i < line.length; i++) {
          var a = map.latLngToLayerPoint(line[i - 1]), b = map.latLngToLayerPoint(line[i]);
          var q = L.LineUtil.closestPointOnSegment(p, a, b);
          var d = q.distanceTo(p);
          if (d < bestD) { bestD = d; best = q; }
        }
      });
      return best ? map.layerPointToLatLng(best) : null;
    }
    function names() {
      written.clearLayers();
      if (map.getZoom() < 16) { return; }
      var view = map.getBounds(), middle = view.getCenter();
      var shown = 0;
      labels.forEach(function (l) {
        if (shown >= 40 || !view.intersects(l.layer.getBounds())) { return; }
        var at = nearestOn(l.layer, middle);
        if (!at || !view.contains(at)) { return; }
        shown++;
        written.addLayer(L.tooltip({ permanent: true, direction: "center", className: "street-name", interactive: false })
          .setLatLng(at).setContent(l.name));
      });
    }

    // the register's addresses, as house numbers, close up
    var numbers = L.layerGroup().addTo(map);
    var asked = 0;
    function addresses() {
      numbers.clearLayers();
      if (map.getZoom() < 18) { return; }
      var b = map.getBounds();
      var url = box.getAttribute("data-addresses") + "?bbox=" + [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (v) { return v.toFixed(6); }).join(",");
      var mine = ++asked;
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { features: [] }; })
        .then(function (fc) {
          if (mine !== asked) { return; }
          fc.features.forEach(function (f) {
            var c = f.geometry.coordinates;
            numbers.addLayer(L.circleMarker([c[1], c[0]], { radius: 3, color: "#8a8070", weight: 1, fillOpacity: 0.6 })
              .bindTooltip(f.properties.label));
          });
        });
    }
    map.on("moveend", function () { names(); addresses(); });
  }

  /* Adds the city's base map to ``map``; ``box`` carries the data- attributes of
     places/_map.html. */
  window.civitasBaseMap = function (map, box) {
    var kind = box.getAttribute("data-basemap");
    var tiles = box.getAttribute("data-tiles");
    var credit = box.getAttribute("data-attribution") || "";
    var native = num(box, "data-max-native-zoom", 19);
    if (kind === "pmtiles" && box.getAttribute("data-vector") === "1" && window.protomapsL) {
      window.protomapsL.leafletLayer({
        url: tiles, flavor: "light", lang: box.getAttribute("data-lang") || "en",
        maxDataZoom: native, attribution: credit
      }).addTo(map);
    } else if (kind === "pmtiles" || kind === "url") {
      L.tileLayer(tiles, { maxZoom: 19, maxNativeZoom: native, attribution: credit }).addTo(map);
    } else {
      drawn(map, box);
    }
    return map;
  };

  // the administrator's preview
  var preview = document.querySelector("[data-preview-map]");
  if (preview) {
    var c = preview.getAttribute("data-center").split(",").map(Number);
    window.civitasBaseMap(L.map(preview.id).setView(c, 15), preview);
  }
})();

/* The address search on a form: suggestions from the city's register as one types; a
   choice fills the address (and its register id) and places the pin. Moving the pin shows
   the nearest address: it replaces an address chosen from the register, is offered beside
   one typed by hand, and when none is near the page says the point is what counts. The
   pin and the address never disagree without the page saying so. */
(function () {
  "use strict";
  var input = document.querySelector("[data-address-search]");
  if (!input) { return; }
  var idField = document.getElementById(input.getAttribute("data-address-id") || "address_id");
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var status = document.querySelector("[data-address-status]");
  var url = input.getAttribute("data-address-search");
  var timer = null;
  var asked = 0;
  var picked = null;  // what a choice or the nearest address filled in

  function say(text) { if (status) { status.textContent = text; } }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] !== undefined ? values[k] : ""; });
  }

  function choose(a) {
    input.value = a.label;
    idField.value = a.address_id || "";
    picked = a.label;
    list.hidden = true;
    list.textContent = "";
    say("");
    if (window.civitasPlacePin) { window.civitasPlacePin(a.lat, a.long); }
  }

  function show(found) {
    list.textContent = "";
    found.forEach(function (a) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button"; b.className = "link-button"; b.textContent = a.label;
      b.addEventListener("click", function () { choose(a); input.focus(); });
      li.appendChild(b); list.appendChild(li);
    });
    list.hidden = found.length === 0;
    var n = found.length;
    say(n ? fill(status.getAttribute(n === 1 ? "data-found-one" : "data-found"), { count: n }) : status.getAttribute("data-nothing"));
  }

  input.addEventListener("input", function () {
    if (input.value !== picked) { idField.value = ""; picked = null; }
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 3) { list.hidden = true; return; }
    timer = setTimeout(function () {
      var mine = ++asked;
      fetch(url + "?limit=6&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { addresses: [] }; })
        .then(function (body) { if (mine === asked) { show(body.addresses); } });
    }, 250);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { list.hidden = true; }
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); var b = list.querySelector("button"); if (b) { b.focus(); } }
  });

  /* Called by the map when the pin moves (a tap, a drag, the device's location). The
     pin is the newer word: a search still under way is dropped (its "nothing found" must
     not replace what the pin says), and so is the answer for an earlier position. */
  var moved = 0;
  window.civitasPinMoved = function (lat, lon) {
    clearTimeout(timer);
    asked++;
    list.hidden = true;
    var mine = ++moved;
    fetch(url + "/nearest?lat=" + lat + "&long=" + lon, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { address: null }; })
      .then(function (body) {
        if (mine !== moved) { return; }
        var a = body.address;
        if (!a) {
          if (idField.value) { idField.value = ""; }
          say(status.getAttribute("data-none"));
          return;
        }
        var text = fill(status.getAttribute("data-nearest"), { address: a.label, distance: Math.round(body.distance_m) });
        if (!input.value.trim() || idField.value) {  // empty, or an address of the register
          input.value = a.label; idField.value = a.address_id; picked = a.label;
          say(text);
          return;
        }
        // typed by hand: offered, not overwritten
        say(text + " ");
        var use = document.createElement("button");
        use.type = "button"; use.className = "link-button"; use.textContent = status.getAttribute("data-use");
        use.addEventListener("click", function () { input.value = a.label; idField.value = a.address_id; picked = a.label; say(text); });
        status.appendChild(use);
      });
  };
})();
