/* "My bookings": the signed-in citizen's bookings from GET /api/v1/bookings/mine/, cancel buttons
 * (POST /api/v1/bookings/{id}/cancel/), each booking's .ics file and the private calendar feed. */
(() => {
  "use strict";

  const V = window.AmanahVenues;
  const setup = V.pageSetup("mine-config");
  const list = document.querySelector("[data-bookings]");
  if (!setup || !list) {
    return;
  }
  const { config, text, format, language, zone, times } = setup;
  const $ = (selector, root = document) => root.querySelector(selector);

  const statusLine = $("[data-mine-status]");
  const errorBox = $("[data-mine-error]");
  const doneBox = $("[data-mine-done]");
  const LIVE = new Set(["requested", "confirmed"]);

  function when(booking) {
    const start = new Date(booking.start).getTime();
    const end = new Date(booking.end).getTime();
    const sameDay = V.localDate(start, zone) === V.localDate(end - 1, zone);
    return sameDay
      ? format(text.sameDay, { day: times.day(start), time: `${times.time(start)}–${times.time(end)}` })
      : format(text.days, {
          start: `${times.day(start)} ${times.time(start)}`,
          end: `${times.day(end)} ${times.time(end)}`,
        });
  }

  function what(booking) {
    return [V.named(booking.space, language), V.named(booking.venue, language)].filter(Boolean).join(", ");
  }

  function card(booking, now) {
    const start = new Date(booking.start).getTime();
    const end = new Date(booking.end).getTime();
    const past = end <= now;
    const item = V.element("li", `booking card${past ? " booking--past" : ""}`);
    item.dataset.bookingId = booking.id;
    item.dataset.status = booking.status;

    const head = V.element("div", "booking__head");
    const title = V.element("h2", "booking__venue");
    if (booking.venue && booking.venue.id !== undefined) {
      const link = V.element("a", "", V.named(booking.venue, language));
      link.href = config.detailUrl.replace("{id}", encodeURIComponent(booking.venue.id));
      title.append(link);
    } else {
      title.textContent = V.named(booking.venue, language);
    }
    head.append(title);
    head.append(V.element("span", `badge badge--${booking.status}`, booking.status_label || booking.status));
    item.append(head);

    item.append(V.element("p", "booking__space", V.named(booking.space, language)));
    const time = V.element("p", "booking__when");
    const stamp = V.element("time", "", when(booking));
    stamp.dateTime = booking.start;
    time.append(stamp);
    if (past) {
      time.append(V.element("span", "badge badge--small", text.past));
    }
    item.append(time);

    const actions = V.element("div", "button-row booking__actions");
    if (booking.ics_url) {
      const ics = V.element("a", "button button--secondary", text.calendar);
      ics.href = booking.ics_url;
      ics.setAttribute("download", "");
      ics.dataset.ics = "";
      actions.append(ics);
    }
    if (LIVE.has(booking.status) && start > now) {
      const cancel = V.element("button", "button button--danger", text.cancel);
      cancel.type = "button";
      cancel.dataset.cancel = booking.id;
      cancel.addEventListener("click", () => cancelBooking(booking, cancel));
      actions.append(cancel);
    }
    if (actions.childElementCount) {
      item.append(actions);
    }
    return item;
  }

  async function load() {
    statusLine.textContent = text.loading;
    list.setAttribute("aria-busy", "true");
    try {
      const answer = await V.api(config.api.mine, { language, text });
      const bookings = Array.isArray(answer) ? answer : (answer && answer.results) || [];
      const now = Date.now();
      // Upcoming first (soonest on top), then the past (latest on top).
      const upcoming = bookings
        .filter((b) => new Date(b.end).getTime() > now)
        .sort((a, b) => new Date(a.start) - new Date(b.start));
      const past = bookings
        .filter((b) => new Date(b.end).getTime() <= now)
        .sort((a, b) => new Date(b.start) - new Date(a.start));
      list.replaceChildren(...[...upcoming, ...past].map((booking) => card(booking, now)));
      statusLine.textContent = bookings.length ? "" : text.empty;
    } catch (error) {
      statusLine.textContent = "";
      V.show(errorBox, error.message);
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  async function cancelBooking(booking, button) {
    // A plain confirmation works on every phone and needs nothing from the network.
    if (!window.confirm(format(text.cancelConfirm, { what: `${what(booking)} (${when(booking)})` }))) {
      return;
    }
    const label = button.textContent;
    button.disabled = true;
    button.textContent = text.cancelling;
    V.show(errorBox, "");
    V.show(doneBox, "");
    try {
      await V.api(config.api.cancel.replace("{id}", encodeURIComponent(booking.id)), {
        method: "POST",
        body: {},
        language,
        text,
      });
      V.show(doneBox, text.cancelled);
      await load();
    } catch (error) {
      button.disabled = false;
      button.textContent = label;
      V.show(errorBox, error.message);
    }
  }

  /* --- The private calendar feed ---------------------------------------------------------------- */
  const feed = $("[data-feed]");
  const feedInput = $("[data-feed-url]");
  const feedStatus = $("[data-feed-status]");

  async function loadFeed() {
    try {
      const answer = await V.api(config.api.feedUrl, { language, text });
      const url = new URL(answer.url, window.location.href).href;
      feedInput.value = url;
      $("[data-feed-open]").href = answer.webcal_url || url.replace(/^https?:/, "webcal:");
      feed.hidden = false;
    } catch (error) {
      feedStatus.textContent = text.feedFailed;
    }
  }

  $("[data-feed-copy]").addEventListener("click", async () => {
    feedInput.select();
    try {
      await navigator.clipboard.writeText(feedInput.value);
    } catch (error) {
      document.execCommand("copy");
    }
    feedStatus.textContent = text.copied;
  });

  load();
  loadFeed();
})();
