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
        L.geoJSON(streets, { style: { color: "#bdb6aa", weight: 9, lineCap: "round" }, interactive: false }).addTo(map);
        L.geoJSON(streets, {
          style: { color: "#ffffff", weight: 6, lineCap: "round" },
          onEachFeature: function (f, layer) {
            labels.push({ layer: layer, name: f.properties.name });
            layer.bindTooltip(f.properties.name, { sticky: true });
          }
        }).addTo(map);
        names();
      });

    // street names written on the map close up (the longest in view, a few at a time)
    var written = L.layerGroup().addTo(map);
    function names() {
      written.clearLayers();
      if (map.getZoom() < 16) { return; }
      var view = map.getBounds();
      labels.filter(function (l) { return view.intersects(l.layer.getBounds()); })
        .slice(0, 40)
        .forEach(function (l) {
          var at = l.layer.getBounds().getCenter();
          var near = view.contains(at) ? at : view.getCenter();
          written.addLayer(L.tooltip({ permanent: true, direction: "center", className: "street-name", interactive: false })
            .setLatLng(near).setContent(l.name));
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
