/* Amanah's map helper: Leaflet with the optional basemap and the jurisdiction's district outlines.
 *
 * The outlines come from the app's own API, so a map is useful on a closed network where the
 * basemap (a setting, possibly empty) cannot be reached.
 */
(function () {
  "use strict";

  function readJSON(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  /* "%(name)s" placeholders, as in the server's gettext strings. */
  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function isArabic() {
    return (document.documentElement.lang || "ar").indexOf("ar") === 0;
  }

  function createMap(element, config, options) {
    options = options || {};
    var map = L.map(element, {
      center: config.center,
      zoom: config.zoom,
      zoomControl: false,
      // Fractional zoom lets the city fill a phone-sized map.
      zoomSnap: 0.25
    });
    // In a right-to-left page the zoom buttons sit on the reading side.
    L.control.zoom({ position: document.documentElement.dir === "rtl" ? "topright" : "topleft" }).addTo(map);
    map.attributionControl.setPrefix(false);
    if (config.basemapUrl) {
      L.tileLayer(config.basemapUrl, {
        attribution: config.basemapAttribution || "",
        maxZoom: 19,
        crossOrigin: false
      }).addTo(map);
    } else {
      element.classList.add("map--no-basemap");
    }
    var outlines = L.geoJSON(null, {
      interactive: false,
      style: function () {
        return { color: "#0b5a47", weight: 1.5, opacity: 0.9, fillColor: "#0b5a47", fillOpacity: 0.06 };
      }
    }).addTo(map);

    var ready = fetch(config.districtsUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (collection) {
        outlines.addData(collection);
        if (options.fitDistricts !== false && outlines.getLayers().length) {
          map.fitBounds(outlines.getBounds(), { padding: [8, 8] });
        }
        return collection;
      });
    return { map: map, outlines: outlines, ready: ready };
  }

  /* Small DOM helpers every page script uses. */
  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null) {
      node.textContent = content;
    }
    return node;
  }

  function show(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  window.Amanah = {
    readJSON: readJSON,
    format: format,
    isArabic: isArabic,
    createMap: createMap,
    element: element,
    show: show,
  };
})();
