/* The REST API as the staff pages use it: the session cookie, the CSRF token on every write, the
 * API's own error messages (one shape: {"error": {"code", "message", "details"}}), and an error the
 * page can tell apart from a refusal when the network is down.
 *
 * One helper for the dispatcher's queue, the supervisor's overview and the inspector's tablet app. */
(() => {
  "use strict";

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
   * `body` is sent as JSON unless it is a Blob or bytes, which go as they are with `contentType`.
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
      if (isBinary(body)) {
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
        ? Amanah.format(text.requestFailed, { status: response.status })
        : `HTTP ${response.status}`;
      throw new ApiError(message, response.status, "");
    }
    if (withResponse) {
      return { data, status: response.status, fromCache: response.headers.get("X-Amanah-Cache") === "hit" };
    }
    return data;
  }

  window.AmanahApi = { ApiError, request, csrfToken };
})();
