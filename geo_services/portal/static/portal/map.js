/* Amanah's page helpers: Leaflet with the optional basemap and the jurisdiction's district outlines,
 * the DOM helpers and the REST API helper every page script uses.
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

  /* --- The REST API as every page uses it ----------------------------------------------------
   * The session cookie, the CSRF token on every write, the API's own error messages (one shape:
   * {"error": {"code", "message", "details"}}), and an error the page can tell apart from a refusal
   * when the network is down. */
  class ApiError extends Error {
    /* status 0 means the server was not reached (offline, cut connection). */
    constructor(message, status, code, details) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code || "";
      this.details = details === undefined ? null : details;
    }

    get offline() {
      return this.status === 0;
    }
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) {
        return decodeURIComponent(rest.join("="));
      }
    }
    return "";
  }

  /* Read when each request is made, not when the page loaded: a page served from the tablet's cache
   * may be older than the session, and signing in again rotates the token. */
  function csrfToken() {
    const fromCookie = cookie("csrftoken");
    if (fromCookie) {
      return fromCookie;
    }
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function isBinary(body) {
    return body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body);
  }

  /**
   * request(url, {method, body, contentType, headers, language, text}) -> the answer's JSON (or null).
   *
   * `body` is sent as JSON unless it is FormData (sent as multipart) or a Blob or bytes, which go as
   * they are with `contentType`.
   * `text` holds the page's own sentences: offline, signedOut, requestFailed ("%(status)s").
   * With `withResponse`, resolves to {data, status, fromCache} instead: `fromCache` is true when the
   * field app's service worker answered from its copy because the network failed.
   */
  async function request(url, options = {}) {
    const { method = "GET", body, contentType, language, text = {}, withResponse = false } = options;
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (language) {
      headers["Accept-Language"] = language;
    }
    let payload;
    if (body !== undefined) {
      if (body instanceof FormData) {
        // The browser writes the multipart boundary into the Content-Type itself.
        payload = body;
      } else if (isBinary(body)) {
        payload = body;
        headers["Content-Type"] = contentType || body.type || "application/octet-stream";
      } else {
        payload = JSON.stringify(body);
        headers["Content-Type"] = "application/json";
      }
    }
    if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
      headers["X-CSRFToken"] = csrfToken();
    }
    let response;
    try {
      response = await fetch(url, { method, headers, credentials: "same-origin", body: payload });
    } catch (error) {
      throw new ApiError(text.offline || String(error), 0, "offline");
    }
    let data = null;
    let unreadable = false;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
      unreadable = true;
    }
    if (response.ok && unreadable && response.status !== 204) {
      // A success whose body was cut off on the way: the server may have stored the write, but the
      // answer is unknown, so it counts as not reached and the (idempotent) send is simply repeated.
      throw new ApiError(text.offline || "offline", 0, "offline");
    }
    if (!response.ok) {
      const problem = data && data.error ? data.error : null;
      if (problem && problem.message) {
        throw new ApiError(problem.message, response.status, problem.code, problem.details);
      }
      if ((response.status === 401 || response.status === 403) && text.signedOut) {
        throw new ApiError(text.signedOut, response.status, "signed_out");
      }
      const message = text.requestFailed
        ? format(text.requestFailed, { status: response.status })
        : `HTTP ${response.status}`;
      throw new ApiError(message, response.status, "");
    }
    if (withResponse) {
      return { data, status: response.status, fromCache: response.headers.get("X-Amanah-Cache") === "hit" };
    }
    return data;
  }

  window.Amanah = {
    readJSON: readJSON,
    format: format,
    isArabic: isArabic,
    createMap: createMap,
    element: element,
    show: show,
    api: request,
    ApiError: ApiError,
    csrfToken: csrfToken,
  };
})();
