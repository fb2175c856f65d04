// The office on the city's base map: one pin, no interaction needed (the address is
// written beside the map).
(function () {
  "use strict";
  var box = document.querySelector("[data-office-map]");
  if (!box || !window.L || !window.civitasBaseMap) { return; }
  var at = box.getAttribute("data-center").split(",").map(Number);
  var map = L.map(box.id, { scrollWheelZoom: false }).setView(at, 16);
  window.civitasBaseMap(map, box);
  L.circleMarker(at, { radius: 11, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 })
    .bindTooltip(box.getAttribute("data-label"), { permanent: true, direction: "top", offset: [0, -10] })
    .addTo(map);
})();
