// The features of an OGC API page on a Leaflet map; the data sits in the page (json_script), so the
// map needs no second request and works without a basemap on a closed network.
(function () {
  "use strict";
  const holder = document.getElementById("ogc-map");
  const source = document.getElementById("ogc-map-data");
  if (!holder || !source || typeof L === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const map = L.map(holder);
  if (data.basemap.url) {
    L.tileLayer(data.basemap.url, { attribution: data.basemap.attribution, maxZoom: 19 }).addTo(map);
  }
  const layer = L.geoJSON(data.features).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { maxZoom: 16 });
  } else {
    map.setView([31.95, 35.93], 11);
  }
})();
