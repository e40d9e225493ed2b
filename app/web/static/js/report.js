// Report a problem: find the service, place the pin, see open reports nearby, answer the
// service's questions, send. Every call goes to the public API (nearby, addresses, votes,
// follow, the Open311 service definition) or to this page's own form handler.
"use strict";
(function () {
  const form = document.getElementById("report-form");
  if (!form) return;
  const t = City.t;
  const jurisdiction = form.dataset.jurisdiction;
  const latInput = document.getElementById("lat");
  const longInput = document.getElementById("long");
  const addressInput = document.getElementById("address-search");
  const addressId = document.getElementById("address-id");
  const results = document.getElementById("address-results");
  const pinStatus = document.getElementById("pin-status");
  const errorsBox = document.getElementById("form-errors");
  document.querySelectorAll(".js-only").forEach((element) => { element.hidden = false; });

  // --- 1. the service: search, then its questions -------------------------------------
  const search = document.getElementById("service-search");
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    document.querySelectorAll(".service-group").forEach((group) => {
      let inGroup = 0;
      group.querySelectorAll(".service-choice").forEach((choice) => {
        const match = words.every((word) => choice.dataset.search.includes(word));
        choice.hidden = !match;
        if (match) inGroup += 1;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    document.getElementById("no-service-match").hidden = shown > 0;
  });

  function chosenService() {
    const checked = form.querySelector("input[name=service_code]:checked");
    return checked ? checked.value : null;
  }

  form.querySelectorAll("input[name=service_code]").forEach((radio) => {
    radio.addEventListener("change", () => { loadQuestions(); refreshNearby(); });
  });

  const attributesBox = document.getElementById("attributes");

  async function loadQuestions() {
    const code = chosenService();
    attributesBox.textContent = t("loading_questions");
    const url = form.dataset.servicesUrl.replace("CODE", encodeURIComponent(code));
    let definition;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) { attributesBox.textContent = await City.describeError(response); return; }
      definition = await response.json();
    } catch (error) { attributesBox.textContent = t("offline"); return; }
    if (code !== chosenService()) return;
    // The catalog's wording in the page's language, where it has one (data-questions).
    const checked = form.querySelector("input[name=service_code]:checked");
    const local = JSON.parse(checked.dataset.questions || "{}");
    attributesBox.textContent = "";
    for (const attribute of definition.attributes || []) {
      attributesBox.append(questionFor(localized(attribute, local[attribute.code] || {})));
    }
  }

  function localized(attribute, wording) {
    const names = wording.values || {};
    return {
      ...attribute,
      description: wording.description || attribute.description,
      datatype_description: wording.datatype_description || attribute.datatype_description,
      values: (attribute.values || []).map((value) => ({ ...value, name: names[value.key] || value.name })),
    };
  }

  function labelText(attribute) {
    return attribute.description + (attribute.required && attribute.variable ? ` (${t("required")})` : "");
  }

  // One control per GeoReport v2 datatype; names follow the Open311 POST (attribute[CODE]).
  function questionFor(attribute) {
    const wrapper = document.createElement("div");
    wrapper.className = "question";
    const id = `attribute-${attribute.code}`;
    const name = `attribute[${attribute.code}]`;
    if (!attribute.variable) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = attribute.description;
      wrapper.append(p);
      return wrapper;
    }
    let hint = null;
    if (attribute.datatype_description) {
      hint = document.createElement("p");
      hint.className = "hint";
      hint.id = `${id}-hint`;
      hint.textContent = attribute.datatype_description;
    }
    if (attribute.datatype === "multivaluelist") {
      const fieldset = document.createElement("fieldset");
      fieldset.className = "choices";
      fieldset.id = id;
      fieldset.dataset.required = attribute.required ? "true" : "false";
      const legend = document.createElement("legend");
      legend.textContent = labelText(attribute);
      fieldset.append(legend);
      attribute.values.forEach((value, index) => {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.name = `${name}[]`;
        box.value = value.key;
        box.id = `${id}-${index}`;
        label.htmlFor = box.id;
        label.append(box, document.createTextNode(value.name));
        fieldset.append(label);
      });
      if (hint) fieldset.append(hint);
      wrapper.append(fieldset);
      return wrapper;
    }
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText(attribute);
    let control;
    if (attribute.datatype === "singlevaluelist") {
      control = document.createElement("select");
      const empty = document.createElement("option");
      empty.value = "";
      empty.textContent = t("choose");
      control.append(empty);
      for (const value of attribute.values) {
        const option = document.createElement("option");
        option.value = value.key;
        option.textContent = value.name;
        control.append(option);
      }
    } else if (attribute.datatype === "text") {
      control = document.createElement("textarea");
      control.rows = 3;
      control.maxLength = 4000;
    } else {
      control = document.createElement("input");
      control.type = { number: "number", datetime: "datetime-local" }[attribute.datatype] || "text";
      if (attribute.datatype === "number") control.step = "any";
      if (attribute.datatype === "string") control.maxLength = 1000;
    }
    control.id = id;
    control.name = name;
    control.dataset.datatype = attribute.datatype;
    control.required = Boolean(attribute.required);
    if (hint) control.setAttribute("aria-describedby", hint.id);
    wrapper.append(label, control);
    if (hint) wrapper.append(hint);
    return wrapper;
  }

  // --- 2. the pin ------------------------------------------------------------------
  let map = null;
  let marker = null;
  if (window.maplibregl) {
    map = new maplibregl.Map({ container: "pin-map", style: form.dataset.style, center: [0, 0], zoom: 1, attributionControl: false });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    // Reachable from the element, for the browser tests (and a city's own scripts).
    document.getElementById("pin-map").maplibreMap = map;
    City.fitToOutline(map, form.dataset.outline);
    map.on("click", (event) => placePin(event.lngLat.lat, event.lngLat.lng));
  }

  function placePin(lat, long, fromAddress) {
    latInput.value = lat.toFixed(6);
    longInput.value = long.toFixed(6);
    if (!fromAddress) addressId.value = "";
    if (map) {
      if (!marker) {
        marker = new maplibregl.Marker({ draggable: true, color: "#b00020" }).setLngLat([long, lat]).addTo(map);
        // An image, named: a bare aria-label on a generic element is not allowed.
        marker.getElement().setAttribute("role", "img");
        marker.getElement().setAttribute("aria-label", t("pin_label"));
        marker.on("dragend", () => { const p = marker.getLngLat(); placePin(p.lat, p.lng); });
      } else {
        marker.setLngLat([long, lat]);
      }
    }
    pinStatus.textContent = t("pin_at", { place: `${lat.toFixed(5)}, ${long.toFixed(5)}` });
    refreshNearby();
  }

  document.getElementById("locate-me").addEventListener("click", () => {
    if (!navigator.geolocation) { pinStatus.textContent = t("locate_failed"); return; }
    pinStatus.textContent = t("locating");
    navigator.geolocation.getCurrentPosition((position) => {
      placePin(position.coords.latitude, position.coords.longitude);
      if (map) map.flyTo({ center: [position.coords.longitude, position.coords.latitude], zoom: 16 });
    }, () => { pinStatus.textContent = t("locate_failed"); }, { timeout: 10000 });
  });

  // The address box: the public address search, as a listbox of buttons.
  let searchTimer = null;
  addressInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    addressId.value = "";
    const text = addressInput.value.trim();
    if (text.length < 3) { results.hidden = true; addressInput.setAttribute("aria-expanded", "false"); return; }
    searchTimer = setTimeout(async () => {
      const params = new URLSearchParams({ q: text, limit: "6", jurisdiction_id: jurisdiction });
      let found = [];
      try {
        const response = await fetch(`${form.dataset.addressesUrl}?${params}`);
        if (response.ok) found = await response.json();
      } catch (error) { /* leave the list empty */ }
      results.textContent = "";
      if (!found.length) {
        const li = document.createElement("li");
        li.textContent = t("no_address");
        results.append(li);
      }
      for (const address of found) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = address.address;
        button.addEventListener("click", () => {
          addressInput.value = address.address;
          results.hidden = true;
          addressInput.setAttribute("aria-expanded", "false");
          placePin(address.lat, address.long, true);
          addressId.value = address.address_id;
          if (map) map.flyTo({ center: [address.long, address.lat], zoom: 17 });
        });
        li.append(button);
        results.append(li);
      }
      results.hidden = false;
      addressInput.setAttribute("aria-expanded", "true");
    }, 250);
  });

  // --- open reports nearby ---------------------------------------------------------
  const nearbySection = document.getElementById("nearby");
  const nearbyList = document.getElementById("nearby-list");
  let nearbyRound = 0;

  async function refreshNearby() {
    const code = chosenService();
    if (!code || !latInput.value) return;
    const round = ++nearbyRound;
    const params = new URLSearchParams({ service_code: code, lat: latInput.value, long: longInput.value, jurisdiction_id: jurisdiction });
    let found = [];
    try {
      const response = await fetch(`${form.dataset.nearbyUrl}?${params}`);
      if (response.ok) found = await response.json();
    } catch (error) { /* nothing nearby is shown */ }
    if (round !== nearbyRound) return;
    nearbyList.textContent = "";
    nearbySection.hidden = false;
    if (!found.length) {
      const li = document.createElement("li");
      li.textContent = t("nearby_none");
      nearbyList.append(li);
      return;
    }
    for (const item of found) {
      const li = document.createElement("li");
      li.className = "case";
      const title = document.createElement("a");
      title.href = `/requests/${item.service_request_id}`;
      title.textContent = t("view", { id: item.service_request_id });
      const facts = document.createElement("p");
      const parts = [t("reported", { date: item.requested_datetime.slice(0, 10) }), t("votes", { count: item.votes })];
      if (item.distance_m !== null) parts.unshift(t("distance", { metres: Math.round(item.distance_m) }));
      facts.textContent = parts.join(" · ");
      const description = document.createElement("p");
      description.textContent = item.description || "";
      const status = document.createElement("p");
      status.className = "status";
      status.setAttribute("aria-live", "polite");
      li.append(title, facts, description,
        City.engageControls(form.dataset.publicUrl, item.service_request_id, jurisdiction, status,
          (votes) => { facts.textContent = facts.textContent.replace(/\d+ “/, `${votes} “`); }),
        status);
      nearbyList.append(li);
    }
  }

  // --- send ------------------------------------------------------------------------
  function showErrors(list) {
    errorsBox.textContent = "";
    const ul = document.createElement("ul");
    for (const text of list) {
      const li = document.createElement("li");
      li.textContent = text;
      ul.append(li);
    }
    errorsBox.append(ul);
    errorsBox.hidden = false;
    errorsBox.tabIndex = -1;
    errorsBox.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = [];
    if (!form.checkValidity()) { form.reportValidity(); return; }
    if (!latInput.value && !addressInput.value.trim()) problems.push(t("pin_needed"));
    attributesBox.querySelectorAll("fieldset.choices[data-required=true]").forEach((set) => {
      if (!set.querySelector("input:checked")) problems.push(`${set.querySelector("legend").textContent}`);
    });
    if (problems.length) { showErrors(problems); return; }
    errorsBox.hidden = true;
    const data = new FormData(form);
    // datetime-local has no offset: send the moment the resident meant, in UTC.
    attributesBox.querySelectorAll("input[data-datatype=datetime]").forEach((input) => {
      if (input.value) data.set(input.name, new Date(input.value).toISOString());
    });
    const button = document.getElementById("submit-report");
    const status = document.getElementById("submit-status");
    button.disabled = true;
    status.textContent = t("sending");
    try {
      const response = await fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } });
      if (response.ok) {
        const filed = await response.json();
        status.textContent = t("filed");
        window.location.assign(filed.url);
        return;
      }
      const copy = response.clone();
      const text = await City.describeError(response);
      status.textContent = "";
      let list = [text];
      try { list = (await copy.json()).errors || list; } catch (error) { /* keep the text */ }
      showErrors(response.status === 429 ? [text] : list);
    } catch (error) {
      status.textContent = "";
      showErrors([t("offline")]);
    } finally {
      button.disabled = false;
    }
  });

  if (chosenService()) loadQuestions();
})();
