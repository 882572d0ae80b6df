/* The status page's small map: the reported place among the district outlines. */
(function () {
  "use strict";

  var config = Amanah.readJSON("map-config");
  var element = document.getElementById("status-map");
  if (!config || !element || !config.pin) {
    return;
  }
  var created = Amanah.createMap(element, config, { fitDistricts: false });
  var map = created.map;
  map.setView(config.pin, 14);
  L.circleMarker(config.pin, {
    radius: 9,
    color: "#ffffff",
    weight: 3,
    fillColor: "#0b5a47",
    fillOpacity: 1
  }).addTo(map);
  created.ready.catch(function () {
    element.classList.add("map--failed");
  });
})();
