/* The venue finder: venues on a map coloured by whether a space is free at the chosen time, and a
 * list nearest first (from the person's location, or else from the map's centre). Everything comes
 * from GET /api/v1/venues/ — once for all venues with their distances, once with the time window. */
(() => {
  "use strict";

  const V = window.AmanahVenues;
  const setup = V.pageSetup("finder-config");
  const form = document.querySelector("[data-finder-form]");
  if (!setup || !form) {
    return;
  }
  const { config, text, format, language, zone, times } = setup;

  const list = document.querySelector("[data-venues]");
  const countLine = document.querySelector("[data-count]");
  const windowLine = document.querySelector("[data-window]");
  const errorBox = document.querySelector("[data-error]");
  const originLine = document.querySelector("[data-origin]");
  const locateButton = document.querySelector("[data-locate]");

  const COLOURS = { free: "#1e7b46", busy: "#b3261e", open: "#6b7773" };
  const state = { origin: null, fromYou: false, counter: 0, youMarker: null };

  /* --- Map ------------------------------------------------------------------------------------- */
  const mapElement = document.getElementById("venue-map");
  const created = Amanah.createMap(mapElement, config.map);
  const map = created.map;
  const markers = L.featureGroup().addTo(map);
  // The person's own dot stays above the venues' (a pane between the overlays and the popups).
  map.createPane("venues-you").style.zIndex = 450;

  /* --- The chosen window ------------------------------------------------------------------------ */
  function chosenWindow() {
    const date = form.elements.date.value;
    const start = V.instantOf(date, form.elements.start.value, zone);
    const minutes = Number(form.elements.duration.value);
    if (start === null || !(minutes > 0)) {
      return null;
    }
    const end = start + minutes * 60000;
    return { date, start, end, from: V.isoInZone(start, zone), to: V.isoInZone(end, zone) };
  }

  function distanceText(metres) {
    if (typeof metres !== "number" || !isFinite(metres)) {
      return "";
    }
    if (metres < 1000) {
      return format(text.distanceM, { distance: Math.round(metres / 10) * 10 });
    }
    return format(text.distanceKm, { distance: times.number.format(metres / 1000) });
  }

  function stateOf(venue) {
    if (!venue.bookable) {
      return "open";
    }
    return venue.free ? "free" : "busy";
  }

  const STATE_TEXT = { free: text.free, busy: text.busy, open: text.notBookable };

  function detailUrl(venue) {
    return config.detailUrl.replace("{id}", encodeURIComponent(venue.id));
  }

  /* --- Drawing -------------------------------------------------------------------------------- */
  function draw(venues) {
    markers.clearLayers();
    list.replaceChildren();
    for (const venue of venues) {
      const kind = stateOf(venue);
      const name = V.named(venue, language);

      const item = V.element("li", `venue-item venue-item--${kind}`);
      item.dataset.venueId = venue.id;
      item.dataset.venueCode = venue.code || "";
      item.dataset.state = kind;
      const link = V.element("a", "venue-item__link");
      link.href = detailUrl(venue);
      link.append(V.element("span", "venue-item__name", name));
      const meta = [venue.kind_label, V.named(venue.district, language)].filter(Boolean).join(" · ");
      link.append(V.element("span", "venue-item__meta", meta));
      item.append(link);
      const side = V.element("div", "venue-item__side");
      side.append(V.element("span", `badge badge--small badge--${kind}`, STATE_TEXT[kind]));
      const distance = distanceText(venue.distance_m);
      if (distance) {
        side.append(V.element("span", "venue-item__distance", distance));
      }
      item.append(side);
      list.append(item);

      if (venue.lat !== null && venue.lon !== null) {
        const marker = L.circleMarker([venue.lat, venue.lon], {
          radius: 9,
          color: "#ffffff",
          weight: 2,
          fillColor: COLOURS[kind],
          fillOpacity: 0.95,
          className: `venue-marker venue-marker--${kind}`,
        });
        marker.bindTooltip(name, { direction: "top" });
        const popup = V.element("div", "venue-popup");
        popup.append(V.element("strong", "", name));
        popup.append(V.element("span", "", STATE_TEXT[kind]));
        if (distance) {
          popup.append(V.element("span", "", distance));
        }
        const open = V.element("a", "", text.open);
        open.href = detailUrl(venue);
        popup.append(open);
        marker.bindPopup(popup);
        marker.addTo(markers);
      }
    }
    list.setAttribute("aria-busy", "false");
  }

  /* --- Loading --------------------------------------------------------------------------------- */
  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) {
        search.set(key, value);
      }
    }
    return `${config.api.venues}?${search.toString()}`;
  }

  function venuesOf(collection) {
    return ((collection && collection.features) || []).map((feature) => {
      const coordinates = feature.geometry && feature.geometry.coordinates;
      return {
        ...feature.properties,
        id: feature.properties.id !== undefined ? feature.properties.id : feature.id,
        lon: coordinates ? coordinates[0] : null,
        lat: coordinates ? coordinates[1] : null,
      };
    });
  }

  async function load() {
    if (state.origin === null) {
      return;
    }
    const chosen = chosenWindow();
    if (chosen === null) {
      V.show(errorBox, text.badWindow);
      return;
    }
    const mine = ++state.counter;
    V.show(errorBox, "");
    list.setAttribute("aria-busy", "true");
    countLine.textContent = text.loading;
    windowLine.textContent = format(text.window, {
      date: times.date(chosen.date),
      time: `${times.time(chosen.start)}–${times.time(chosen.end)}`,
    });
    const common = {
      near: `${state.origin.lat.toFixed(6)},${state.origin.lng.toFixed(6)}`,
      radius: config.radius,
      kind: form.elements.kind.value,
    };
    const options = { language, text };
    try {
      // All venues with their distances, and which of them are free in the window: the API either
      // marks each feature `free` or leaves out those that are not, and both answers read alike here.
      const [all, windowed] = await Promise.all([
        V.api(query(common), options),
        V.api(query({ ...common, free_from: chosen.from, free_to: chosen.to }), options),
      ]);
      if (mine !== state.counter) {
        return;
      }
      const free = new Map(venuesOf(windowed).map((venue) => [String(venue.id), venue.free !== false]));
      const venues = venuesOf(all).map((venue) => ({ ...venue, free: free.get(String(venue.id)) === true }));
      venues.sort((a, b) => (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity));
      draw(venues);
      countLine.textContent = venues.length ? format(text.count, { count: venues.length }) : text.empty;
    } catch (error) {
      if (mine !== state.counter) {
        return;
      }
      list.setAttribute("aria-busy", "false");
      countLine.textContent = "";
      V.show(errorBox, error.message);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  form.elements.kind.addEventListener("change", load);

  /* --- Where distances are measured from ------------------------------------------------------- */
  function fromCentre() {
    state.origin = map.getCenter();
    state.fromYou = false;
    originLine.textContent = text.fromCentre;
    originLine.classList.remove("pin-status--ok");
  }

  function fromYou(position) {
    const here = L.latLng(position.coords.latitude, position.coords.longitude);
    state.origin = here;
    state.fromYou = true;
    originLine.textContent = text.fromYou;
    originLine.classList.add("pin-status--ok");
    document.querySelector("[data-legend-you]").hidden = false;
    if (state.youMarker === null) {
      state.youMarker = L.circleMarker(here, {
        pane: "venues-you",
        radius: 7,
        color: "#ffffff",
        weight: 3,
        fillColor: "#1f6fb2",
        fillOpacity: 1,
        className: "you-marker",
      }).addTo(map);
    } else {
      state.youMarker.setLatLng(here);
    }
    const zoom = Math.max(map.getZoom(), 13);
    map.setView(here, zoom, { animate: false });
    // Leaflet ignores a new view while a zoom animation (the outlines framing the city) runs:
    // set it again when that animation ends.
    if (map.getCenter().distanceTo(here) > 50) {
      map.once("zoomend", () => map.setView(here, zoom, { animate: false }));
    }
    load();
  }

  function locate() {
    if (!("geolocation" in navigator)) {
      originLine.textContent = text.geoUnsupported;
      return;
    }
    originLine.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locateButton.disabled = false;
        fromYou(position);
      },
      (error) => {
        locateButton.disabled = false;
        if (!state.fromYou) {
          fromCentre();
        }
        originLine.textContent = error.code === 1 ? text.geoDenied : text.geoUnavailable;
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 120000 },
    );
  }

  if (!("geolocation" in navigator)) {
    locateButton.disabled = true;
    locateButton.title = text.geoUnsupported;
  }
  locateButton.addEventListener("click", () => {
    locateButton.disabled = true;
    locate();
  });

  // Panning the map moves the centre distances are measured from (until the person is located).
  let moveTimer = null;
  map.on("moveend", () => {
    if (state.fromYou || state.origin === null) {
      return;
    }
    if (map.getCenter().distanceTo(state.origin) < 500) {
      return;
    }
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => {
      fromCentre();
      load();
    }, 400);
  });

  async function askForLocationIfAllowed() {
    if (!("geolocation" in navigator)) {
      return;
    }
    // Ask at once unless the person already refused; a refusal leaves distances from the centre.
    try {
      if (navigator.permissions) {
        const permission = await navigator.permissions.query({ name: "geolocation" });
        if (permission.state === "denied") {
          return;
        }
      }
    } catch (error) {
      // A browser without the Permissions API for geolocation simply asks.
    }
    locate();
  }

  // The list starts at once from the map's centre (once the outlines frame the city), then follows
  // the person's location if they share it.
  created.ready
    .then(
      () => false,
      () => true,
    )
    .then((outlinesFailed) => {
      if (!state.fromYou) {
        fromCentre();
        if (outlinesFailed) {
          originLine.textContent = `${text.outlinesFailed} ${text.fromCentre}`;
        }
        load();
      }
      askForLocationIfAllowed();
    });
})();
