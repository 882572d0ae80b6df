/* The planner's layer query page: builds one selection from the form and the map (attributes,
 * time, district, drawn polygon, distance from a point) and sends exactly those parameters to the
 * features, aggregate and export endpoints, so the table, the totals and the downloads agree.
 *
 * Every sentence shown comes from the page's configuration (translated on the server).
 */
(function () {
  "use strict";

  var config = Amanah.readJSON("planning-config");
  var text = config.text;
  var layersById = {};
  config.layers.forEach(function (layer) {
    layersById[layer.id] = layer;
  });
  var arabic = Amanah.isArabic();
  // Western digits, as the municipality's other pages show numbers.
  var numbers = new Intl.NumberFormat(arabic ? "ar-u-nu-latn" : "en", { maximumFractionDigits: 1 });

  var form = document.querySelector("[data-query-form]");
  var layerSelect = form.querySelector("[data-layer]");
  var attributesBox = form.querySelector("[data-attributes]");
  var timeBox = form.querySelector("[data-time]");
  var timeFrom = form.querySelector("[data-time-from]");
  var timeTo = form.querySelector("[data-time-to]");
  var districtSelect = form.querySelector("[data-district]");
  var distanceInput = form.querySelector("[data-distance]");
  var sumSelect = form.querySelector("[data-sum]");
  var shapeStatus = form.querySelector("[data-shape-status]");
  var errorBox = document.querySelector("[data-error]");
  var resultStatus = document.querySelector("[data-result-status]");
  var resultsHead = document.querySelector("[data-results-head]");
  var resultsRows = document.querySelector("[data-results-rows]");
  var previousButton = document.querySelector("[data-previous]");
  var nextButton = document.querySelector("[data-next]");
  var pageLabel = document.querySelector("[data-page-label]");
  var aggregateHead = document.querySelector("[data-aggregate-head]");
  var aggregateRows = document.querySelector("[data-aggregate-rows]");
  var aggregateTotal = document.querySelector("[data-aggregate-total]");
  var downloads = document.querySelectorAll("[data-download]");

  var parts = Amanah.createMap(document.getElementById("planning-map"), config.map);
  var map = parts.map;
  var shapes = L.featureGroup().addTo(map);
  var results = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {
        className: "planning-result",
        radius: 6,
        color: "#7c2d12",
        weight: 2,
        fillColor: "#f97316",
        fillOpacity: 0.8
      });
    },
    style: function () {
      return { className: "planning-result", color: "#c2410c", weight: 2, fillColor: "#f97316", fillOpacity: 0.25 };
    }
  }).addTo(map);

  var state = { polygon: null, point: null, pointMarker: null, circle: null, query: null, offset: 0 };

  function url(template, layerId, params) {
    return template.replace("{layer}", encodeURIComponent(layerId)) + "?" + params.toString();
  }

  function cell(tag, content, className) {
    return Amanah.element(tag, className || "", content === null || content === undefined ? "" : String(content));
  }

  function formatNumber(value) {
    return typeof value === "number" ? numbers.format(value) : value;
  }

  /* --- The form follows the layer ----------------------------------------------------------- */

  function currentLayer() {
    return layersById[layerSelect.value];
  }

  function attributeInput(attribute) {
    var id = "planning-attribute-" + attribute.name;
    var wrapper = Amanah.element("div", "field");
    var label = Amanah.element("label", "", attribute.title);
    label.htmlFor = id;
    var input;
    if (attribute.type === "boolean") {
      input = document.createElement("select");
      [["", text.any], ["true", text.yes], ["false", text.no]].forEach(function (choice) {
        var option = Amanah.element("option", "", choice[1]);
        option.value = choice[0];
        input.appendChild(option);
      });
    } else {
      input = document.createElement("input");
      input.type = attribute.type === "string" ? "text" : "number";
      if (attribute.type === "integer") {
        input.step = "1";
      } else if (attribute.type === "number") {
        input.step = "any";
      }
      input.dir = "auto";
    }
    input.id = id;
    input.dataset.attribute = attribute.name;
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    return wrapper;
  }

  function showLayerForm() {
    var layer = currentLayer();
    attributesBox.replaceChildren();
    sumSelect.replaceChildren();
    var none = Amanah.element("option", "", text.noSum);
    none.value = "";
    sumSelect.appendChild(none);
    if (!layer) {
      return;
    }
    layer.attributes.forEach(function (attribute) {
      attributesBox.appendChild(attributeInput(attribute));
      if (attribute.type === "integer" || attribute.type === "number") {
        var option = Amanah.element("option", "", attribute.title);
        option.value = attribute.name;
        sumSelect.appendChild(option);
      }
    });
    timeBox.hidden = !layer.temporal;
  }

  /* --- Districts: outlines on the map and the menu ------------------------------------------ */

  parts.ready
    .then(function (collection) {
      var districts = (collection.features || []).map(function (feature) {
        var properties = feature.properties || {};
        var name = (arabic ? properties.name_ar : properties.name_en) || properties.code;
        return { id: feature.id, label: name + " (" + properties.code + ")" };
      });
      districts.sort(function (a, b) {
        return a.label.localeCompare(b.label, config.language);
      });
      districts.forEach(function (district) {
        var option = Amanah.element("option", "", district.label);
        option.value = String(district.id);
        districtSelect.appendChild(option);
      });
      districtSelect.dataset.ready = "true";
    })
    .catch(function () {
      districtSelect.dataset.ready = "true";
    });

  /* --- Shapes: a drawn polygon, a point and its distance ------------------------------------ */

  L.drawLocal.draw.handlers.polygon.tooltip = {
    start: text.drawStart,
    cont: text.drawContinue,
    end: text.drawEnd
  };
  L.drawLocal.draw.handlers.polyline.error = text.drawError;

  var polygonDrawer = new L.Draw.Polygon(map, {
    allowIntersection: false,
    showArea: false,
    shapeOptions: { color: "#1d4ed8", weight: 2, fillOpacity: 0.1 }
  });

  map.on(L.Draw.Event.CREATED, function (event) {
    if (state.polygon) {
      shapes.removeLayer(state.polygon);
    }
    state.polygon = event.layer;
    shapes.addLayer(event.layer);
    Amanah.show(shapeStatus, text.polygonSet);
  });

  form.querySelector("[data-draw]").addEventListener("click", function () {
    Amanah.show(shapeStatus, text.drawHint);
    polygonDrawer.enable();
  });

  function showCircle() {
    if (state.circle) {
      shapes.removeLayer(state.circle);
      state.circle = null;
    }
    var metres = parseFloat(distanceInput.value);
    if (state.point && isFinite(metres) && metres > 0) {
      state.circle = L.circle(state.point, { radius: metres, color: "#1d4ed8", weight: 1, fillOpacity: 0.05 });
      shapes.addLayer(state.circle);
    }
  }

  form.querySelector("[data-pick-point]").addEventListener("click", function () {
    Amanah.show(shapeStatus, text.pointHint);
    map.getContainer().classList.add("planning-map--picking");
    map.once("click", function (event) {
      map.getContainer().classList.remove("planning-map--picking");
      state.point = event.latlng;
      if (state.pointMarker) {
        shapes.removeLayer(state.pointMarker);
      }
      state.pointMarker = L.circleMarker(event.latlng, { radius: 5, color: "#1d4ed8", fillOpacity: 1 });
      shapes.addLayer(state.pointMarker);
      showCircle();
      Amanah.show(
        shapeStatus,
        Amanah.format(text.pointSet, { lat: event.latlng.lat.toFixed(5), lon: event.latlng.lng.toFixed(5) })
      );
    });
  });

  distanceInput.addEventListener("input", showCircle);

  form.querySelector("[data-clear-shape]").addEventListener("click", function () {
    shapes.clearLayers();
    state.polygon = null;
    state.point = null;
    state.pointMarker = null;
    state.circle = null;
    polygonDrawer.disable();
    Amanah.show(shapeStatus, "");
  });

  function polygonWkt(layer) {
    var ring = layer.getLatLngs()[0].map(function (latlng) {
      return latlng.lng.toFixed(7) + " " + latlng.lat.toFixed(7);
    });
    ring.push(ring[0]);
    return "POLYGON((" + ring.join(", ") + "))";
  }

  /* --- The selection: the same parameters for every endpoint -------------------------------- */

  function isoInstant(localValue) {
    // A datetime-local field holds the planner's wall-clock time; the API wants RFC 3339.
    return new Date(localValue).toISOString().replace(/\.000Z$/, "Z");
  }

  function selectionParams(layer) {
    var params = new URLSearchParams();
    attributesBox.querySelectorAll("[data-attribute]").forEach(function (input) {
      var value = input.value.trim();
      if (value !== "") {
        params.set(input.dataset.attribute, value);
      }
    });
    if (layer.temporal && (timeFrom.value || timeTo.value)) {
      var start = timeFrom.value ? isoInstant(timeFrom.value) : "..";
      var end = timeTo.value ? isoInstant(timeTo.value) : "..";
      params.set("datetime", start + "/" + end);
    }
    if (districtSelect.value) {
      params.set("district", districtSelect.value);
    }
    if (state.polygon) {
      params.set("intersects", polygonWkt(state.polygon));
    }
    var distance = distanceInput.value.trim();
    if (distance !== "") {
      if (!state.point) {
        throw new Error(text.pointMissing);
      }
      params.set("within", "POINT(" + state.point.lng.toFixed(7) + " " + state.point.lat.toFixed(7) + ")");
      params.set("distance", distance);
    }
    return params;
  }

  /* --- Answers --------------------------------------------------------------------------------- */

  function fetchJSON(address) {
    return Amanah.api(address, { text: text });
  }

  function showError(error) {
    Amanah.show(errorBox, error ? error.message : "");
  }

  function showFeatures(layer, collection) {
    resultsHead.replaceChildren();
    resultsRows.replaceChildren();
    var header = document.createElement("tr");
    header.appendChild(cell("th", text.id));
    layer.attributes.forEach(function (attribute) {
      header.appendChild(cell("th", attribute.title));
    });
    resultsHead.appendChild(header);
    collection.features.forEach(function (feature) {
      var row = document.createElement("tr");
      row.dataset.featureId = String(feature.id);
      row.appendChild(cell("td", feature.id));
      layer.attributes.forEach(function (attribute) {
        var td = cell("td", formatNumber(feature.properties[attribute.name]));
        td.dir = "auto";
        row.appendChild(td);
      });
      resultsRows.appendChild(row);
    });
    results.clearLayers();
    results.addData(collection);
    var offset = state.offset;
    var returned = collection.numberReturned;
    var matched = collection.numberMatched;
    var status;
    if (returned === 0) {
      status = text.noFeatures;
    } else {
      status =
        (matched === undefined ? "" : Amanah.format(text.matched, { count: formatNumber(matched) }) + " ") +
        Amanah.format(text.shown, { first: formatNumber(offset + 1), last: formatNumber(offset + returned) });
    }
    Amanah.show(resultStatus, status);
    resultStatus.hidden = false;
    previousButton.disabled = offset === 0;
    var more = matched === undefined ? returned === config.pageSize : offset + returned < matched;
    nextButton.disabled = !more;
    pageLabel.textContent = Amanah.format(text.page, { page: formatNumber(Math.floor(offset / config.pageSize) + 1) });
    if (returned > 0 && state.offset === 0 && results.getBounds().isValid()) {
      map.fitBounds(results.getBounds(), { padding: [16, 16], maxZoom: 16 });
    }
  }

  function loadFeatures() {
    var query = state.query;
    var params = new URLSearchParams(query.params);
    params.set("limit", String(config.pageSize));
    params.set("offset", String(state.offset));
    Amanah.show(resultStatus, text.loading);
    return fetchJSON(url(config.api.features, query.layer.id, params)).then(function (collection) {
      if (state.query === query) {
        showFeatures(query.layer, collection);
      }
    });
  }

  function showAggregate(layer, document_, sumName) {
    aggregateHead.replaceChildren();
    aggregateRows.replaceChildren();
    aggregateTotal.replaceChildren();
    var hasArea = layer.geometryType.indexOf("Polygon") !== -1 || layer.geometryType === "Geometry";
    var hasLength = layer.geometryType.indexOf("LineString") !== -1 || layer.geometryType === "Geometry";
    var sumTitle = sumName
      ? layer.attributes.filter(function (a) {
          return a.name === sumName;
        })[0].title
      : null;
    var header = document.createElement("tr");
    header.appendChild(cell("th", text.district));
    header.appendChild(cell("th", text.count));
    if (sumTitle) {
      header.appendChild(cell("th", Amanah.format(text.sum, { name: sumTitle })));
    }
    if (hasArea) {
      header.appendChild(cell("th", text.area));
    }
    if (hasLength) {
      header.appendChild(cell("th", text.length));
    }
    aggregateHead.appendChild(header);

    function row(label, values, tag) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("th", label));
      tr.lastChild.scope = "row";
      tr.appendChild(cell(tag, formatNumber(values.count)));
      if (sumTitle) {
        tr.appendChild(cell(tag, formatNumber(values.sum)));
      }
      if (hasArea) {
        tr.appendChild(cell(tag, formatNumber(values.area_m2)));
      }
      if (hasLength) {
        tr.appendChild(cell(tag, formatNumber(values.length_m)));
      }
      return tr;
    }

    document_.districts.forEach(function (district) {
      var name = (arabic ? district.name_ar : district.name_en) || district.code;
      var tr = row(name + " (" + district.code + ")", district, "td");
      tr.dataset.district = district.code;
      aggregateRows.appendChild(tr);
    });
    if (!document_.districts.length) {
      var empty = document.createElement("tr");
      var td = cell("td", text.noDistricts);
      td.colSpan = header.children.length;
      empty.appendChild(td);
      aggregateRows.appendChild(empty);
    }
    aggregateTotal.appendChild(row(text.total, document_.total, "td"));
  }

  function loadAggregate() {
    var query = state.query;
    var params = new URLSearchParams(query.params);
    params.set("by", "district");
    if (query.sum) {
      params.set("sum", query.sum);
    }
    return fetchJSON(url(config.api.aggregate, query.layer.id, params)).then(function (document_) {
      if (state.query === query) {
        showAggregate(query.layer, document_, query.sum);
      }
    });
  }

  function showDownloads(query) {
    downloads.forEach(function (link) {
      var params = new URLSearchParams(query.params);
      params.set("format", link.dataset.download);
      link.href = url(config.api.export, query.layer.id, params);
      link.removeAttribute("aria-disabled");
    });
  }

  /* --- Events ---------------------------------------------------------------------------------- */

  layerSelect.addEventListener("change", showLayerForm);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    showError(null);
    var layer = currentLayer();
    if (!layer) {
      return;
    }
    var params;
    try {
      params = selectionParams(layer);
    } catch (error) {
      showError(error);
      return;
    }
    state.query = { layer: layer, params: params.toString(), sum: sumSelect.value };
    state.offset = 0;
    showDownloads(state.query);
    Promise.all([loadFeatures(), loadAggregate()]).catch(showError);
  });

  previousButton.addEventListener("click", function () {
    state.offset = Math.max(0, state.offset - config.pageSize);
    loadFeatures().catch(showError);
  });

  nextButton.addEventListener("click", function () {
    state.offset += config.pageSize;
    loadFeatures().catch(showError);
  });

  showLayerForm();
})();
