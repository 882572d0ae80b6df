/* A venue's page: its small map, the free times of its spaces on a chosen day
 * (GET /api/v1/venues/{id}/availability/) and, for a signed-in citizen, booking one
 * (POST /api/v1/bookings/ with the session and the CSRF token). Times are shown and sent in the
 * jurisdiction's time zone, whatever zone the phone is set to. */
(() => {
  "use strict";

  const V = window.AmanahVenues;
  const setup = V.pageSetup("venue-config");
  if (!setup) {
    return;
  }
  const { config, text, format, language, zone, times } = setup;
  const $ = (selector, root = document) => root.querySelector(selector);

  /* --- The small map ---------------------------------------------------------------------------- */
  const mapElement = document.getElementById("venue-map");
  if (mapElement && config.map && config.map.pin) {
    const created = Amanah.createMap(mapElement, config.map, { fitDistricts: false });
    created.map.setView(config.map.pin, 14);
    L.circleMarker(config.map.pin, {
      radius: 10,
      color: "#ffffff",
      weight: 3,
      fillColor: "#0b5a47",
      fillOpacity: 1,
    })
      .bindTooltip(config.venue.name, { direction: "top" })
      .addTo(created.map);
    created.ready.catch(() => mapElement.classList.add("map--failed"));
  }

  const dayForm = $("[data-day-form]");
  if (!dayForm) {
    return; // A park or playground: nothing to book.
  }
  const dayInput = dayForm.elements.date;
  const slotsBox = $("[data-slots]");
  const slotsStatus = $("[data-slots-status]");
  const slotsError = $("[data-slots-error]");
  const spacesById = new Map(config.spaces.map((space) => [String(space.id), space]));

  const bookingForm = $("[data-booking-form]");
  const choiceLine = $("[data-choice]");
  const bookingError = $("[data-booking-error]");
  const doneBox = $("[data-booking-done]");
  const state = { counter: 0, busy: false };

  /* --- Free times ------------------------------------------------------------------------------- */

  /* A free stretch longer than the space's slot is offered slot by slot (the person can still type
   * a longer booking). */
  function pieces(slot, space) {
    const start = new Date(slot.start).getTime();
    const end = new Date(slot.end).getTime();
    if (!isFinite(start) || !isFinite(end) || end <= start) {
      return [];
    }
    const minutes = space ? Math.max(space.slotMinutes || 0, space.minMinutes || 0) : 0;
    const step = minutes * 60000;
    if (!(step > 0) || end - start <= step) {
      return [{ start, end }];
    }
    const found = [];
    for (let at = start; at + step <= end; at += step) {
      found.push({ start: at, end: at + step });
    }
    return found;
  }

  function slotLabel(slot) {
    return `${times.time(slot.start)}–${times.time(slot.end)}`;
  }

  function drawSlots(answer) {
    slotsBox.replaceChildren();
    let count = 0;
    for (const space of (answer && answer.spaces) || []) {
      const known = spacesById.get(String(space.id));
      const block = V.element("div", "slot-space");
      block.dataset.slotSpace = space.id;
      block.append(V.element("h3", "slot-space__name", known ? known.name : V.named(space, language)));
      const found = (space.slots || []).flatMap((slot) => pieces(slot, known));
      if (!found.length) {
        block.append(V.element("p", "hint", text.closedOrFull));
      } else {
        const list = V.element("ul", "slot-list");
        for (const slot of found) {
          const item = V.element("li");
          let node;
          if (bookingForm && known) {
            node = V.element("button", "slot", slotLabel(slot));
            node.type = "button";
            node.setAttribute("aria-pressed", "false");
            node.addEventListener("click", () => choose(node, known, slot));
          } else {
            node = V.element("span", "slot slot--static", slotLabel(slot));
          }
          node.dataset.space = space.id;
          node.dataset.start = V.isoInZone(slot.start, zone);
          node.dataset.end = V.isoInZone(slot.end, zone);
          item.append(node);
          list.append(item);
          count += 1;
        }
        block.append(list);
      }
      slotsBox.append(block);
    }
    slotsStatus.textContent = format(count ? text.dayFree : text.noSlots, { date: times.date(dayInput.value) });
  }

  async function loadSlots() {
    const date = dayInput.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      return;
    }
    const mine = ++state.counter;
    V.show(slotsError, "");
    slotsStatus.textContent = text.loading;
    slotsBox.setAttribute("aria-busy", "true");
    const url = `${config.api.availability}?${new URLSearchParams({ date, days: "1" }).toString()}`;
    try {
      const answer = await V.api(url, { language, text });
      if (mine === state.counter) {
        drawSlots(answer);
      }
    } catch (error) {
      if (mine === state.counter) {
        slotsBox.replaceChildren();
        slotsStatus.textContent = "";
        V.show(slotsError, error.message);
      }
    } finally {
      if (mine === state.counter) {
        slotsBox.setAttribute("aria-busy", "false");
      }
    }
  }

  dayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadSlots();
  });
  dayInput.addEventListener("change", () => {
    clearChoice();
    loadSlots();
  });
  for (const button of dayForm.querySelectorAll("[data-day-step]")) {
    button.addEventListener("click", () => {
      const next = V.addDays(dayInput.value, Number(button.dataset.dayStep));
      if ((dayInput.min && next < dayInput.min) || (dayInput.max && next > dayInput.max)) {
        return;
      }
      dayInput.value = next;
      clearChoice();
      loadSlots();
    });
  }

  /* --- Booking ---------------------------------------------------------------------------------- */
  function clearChoice() {
    if (!bookingForm) {
      return;
    }
    for (const pressed of slotsBox.querySelectorAll(".slot[aria-pressed=true]")) {
      pressed.setAttribute("aria-pressed", "false");
    }
    bookingForm.elements.start.value = "";
    bookingForm.elements.end.value = "";
    choiceLine.textContent = text.chooseSlot;
  }

  function describe(spaceName, start, end) {
    return format(text.chosen, {
      space: spaceName,
      date: times.day(start),
      time: `${times.time(start)}–${times.time(end)}`,
    });
  }

  function choose(button, space, slot) {
    for (const pressed of slotsBox.querySelectorAll(".slot[aria-pressed=true]")) {
      pressed.setAttribute("aria-pressed", "false");
    }
    button.setAttribute("aria-pressed", "true");
    // A slot shorter than the space's shortest booking is the start of one that long.
    const end = Math.max(slot.end, slot.start + (space.minMinutes || 0) * 60000);
    bookingForm.elements.space.value = String(space.id);
    bookingForm.elements.start.value = V.localTime(slot.start, zone);
    bookingForm.elements.end.value = V.localTime(end, zone);
    choiceLine.textContent = describe(space.name, slot.start, end);
    V.show(bookingError, "");
    // On a phone the form is below a long list of times: bring the choice and the button into view.
    $("[data-book]", bookingForm).scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  /* The booking the form holds: the chosen day with the start and end times typed or filled in. */
  function chosenBooking() {
    const elements = bookingForm.elements;
    const space = spacesById.get(elements.space.value);
    const start = V.instantOf(dayInput.value, elements.start.value, zone);
    let end = V.instantOf(dayInput.value, elements.end.value, zone);
    // A booking that ends at midnight ends on the next day.
    if (start !== null && end !== null && end <= start && elements.end.value.startsWith("00:00")) {
      end = V.instantOf(V.addDays(dayInput.value, 1), elements.end.value, zone);
    }
    if (!space || start === null || end === null || end <= start) {
      return null;
    }
    return { space, start, end };
  }

  if (bookingForm) {
    const onTyped = () => {
      for (const pressed of slotsBox.querySelectorAll(".slot[aria-pressed=true]")) {
        pressed.setAttribute("aria-pressed", "false");
      }
      const chosen = chosenBooking();
      choiceLine.textContent = chosen ? describe(chosen.space.name, chosen.start, chosen.end) : text.chooseSlot;
    };
    $("[data-book-another]").addEventListener("click", () => {
      doneBox.hidden = true;
      bookingForm.hidden = false;
      bookingForm.elements.start.focus();
    });
    bookingForm.elements.start.addEventListener("change", onTyped);
    bookingForm.elements.end.addEventListener("change", onTyped);
    bookingForm.elements.space.addEventListener("change", onTyped);

    bookingForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (state.busy) {
        return;
      }
      const chosen = chosenBooking();
      if (chosen === null) {
        V.show(bookingError, text.badTimes);
        return;
      }
      const submit = $("[data-book]", bookingForm);
      const label = submit.textContent;
      state.busy = true;
      submit.disabled = true;
      submit.textContent = text.booking;
      V.show(bookingError, "");
      try {
        const booking = await V.api(config.api.bookings, {
          method: "POST",
          language,
          text,
          body: {
            space: chosen.space.id,
            start: V.isoInZone(chosen.start, zone),
            end: V.isoInZone(chosen.end, zone),
            note: bookingForm.elements.note.value.trim(),
          },
        });
        const what = describe(chosen.space.name, chosen.start, chosen.end);
        const requested = booking && booking.status === "requested";
        $("[data-booking-summary]").textContent = format(requested ? text.requested : text.booked, { what });
        const statusLine = $("[data-booking-status]");
        V.show(statusLine, booking && booking.status_label ? format(text.status, { status: booking.status_label }) : "");
        const ics = $("[data-booking-ics]");
        if (booking && booking.ics_url) {
          ics.href = booking.ics_url;
          ics.hidden = false;
        } else {
          ics.hidden = true;
        }
        doneBox.dataset.bookingId = booking && booking.id !== undefined ? booking.id : "";
        doneBox.dataset.status = (booking && booking.status) || "";
        // The confirmation takes the form's place until the person books another time.
        bookingForm.hidden = true;
        doneBox.hidden = false;
        bookingForm.elements.note.value = "";
        clearChoice();
        loadSlots();
        doneBox.scrollIntoView({ block: "nearest" });
      } catch (error) {
        let message = error.message;
        if (error.status === 409) {
          // Taken in the meantime: the API says why; show what is still free.
          message = error.code ? `${message} ${text.chooseAnother}` : text.taken;
          clearChoice();
          loadSlots();
        }
        V.show(bookingError, message);
      } finally {
        state.busy = false;
        submit.disabled = false;
        submit.textContent = label;
      }
    });
  }

  loadSlots();
})();
