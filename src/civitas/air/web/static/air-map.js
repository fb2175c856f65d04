// The stations on the city's base map, each a dot in its band's colour; the list below
// the map says the same in words.
(function () {
  "use strict";
  var box = document.querySelector("[data-air-map]");
  if (!box || !window.L || !window.civitasBaseMap) { return; }
  var at = box.getAttribute("data-center").split(",").map(Number);
  var map = L.map(box.id, { scrollWheelZoom: false }).setView(at, 13);
  window.civitasBaseMap(map, box);
  var bounds = [];
  box.querySelectorAll("[data-station]").forEach(function (a) {
    var where = [Number(a.getAttribute("data-lat")), Number(a.getAttribute("data-lon"))];
    bounds.push(where);
    L.circleMarker(where, { radius: 10, color: "#0b0c0c", weight: 2, fillColor: a.getAttribute("data-colour"), fillOpacity: 0.95 })
      .bindTooltip(a.getAttribute("data-label"))
      .on("click", function () { window.location.href = a.getAttribute("href"); })
      .addTo(map);
  });
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); }
})();
