// Shared by the pages' scripts: translated words, calls to the public API with their errors
// shown in words, and the "me too" and "follow" controls.
"use strict";
window.City = (function () {
  const messagesElement = document.getElementById("messages");
  const messages = messagesElement ? JSON.parse(messagesElement.textContent) : {};

  function t(key, values) {
    let text = messages[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.replace(`{${name}}`, value);
    }
    return text;
  }

  // A random id kept in this browser, so that one resident's repeated "me too" counts once;
  // the server keeps only a keyed hash of it.
  function deviceId() {
    let id = localStorage.getItem("open311-device");
    if (!id) {
      id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
      localStorage.setItem("open311-device", id);
    }
    return id;
  }

  async function describeError(response) {
    if (response.status === 429) return t("too_many");
    let reason = String(response.status);
    try {
      const body = await response.json();
      const list = Array.isArray(body) ? body : body.errors || (body.errors === undefined && body.message ? [body.message] : []);
      const texts = list.map((e) => (typeof e === "string" ? e : e.description || e.message)).filter(Boolean);
      if (body.errors && !Array.isArray(body.errors)) texts.push(JSON.stringify(body.errors));
      if (texts.length) reason = texts.join("; ");
    } catch (ignored) { /* not JSON: the status says enough */ }
    return t("failed", { reason });
  }

  async function postJSON(url, body) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      return { response, ok: response.ok, data: response.ok ? await response.json() : null };
    } catch (error) {
      return { response: null, ok: false, data: null };
    }
  }

  async function vote(publicUrl, id, jurisdiction) {
    const result = await postJSON(`${publicUrl}${id}/votes`, { device_id: deviceId(), jurisdiction_id: jurisdiction });
    if (result.ok) return { text: t(result.data.counted ? "vote_counted" : "vote_repeat"), votes: result.data.votes };
    if (!result.response) return { text: t("offline") };
    if (result.response.status === 409) return { text: t("vote_closed") };
    return { text: await describeError(result.response) };
  }

  async function follow(publicUrl, id, email) {
    const result = await postJSON(`${publicUrl}${id}/subscriptions`, { email });
    if (result.ok) return t("follow_sent");
    if (!result.response) return t("offline");
    return describeError(result.response);
  }

  // A "me too" button and a follow form for one request, reporting into `status`.
  function engageControls(publicUrl, id, jurisdiction, status, onVotes) {
    const box = document.createElement("div");
    box.className = "actions";
    const voteButton = document.createElement("button");
    voteButton.type = "button";
    voteButton.className = "vote";
    voteButton.textContent = t("me_too");
    voteButton.addEventListener("click", async () => {
      voteButton.disabled = true;
      const result = await vote(publicUrl, id, jurisdiction);
      voteButton.disabled = false;
      status.textContent = result.text;
      if (result.votes !== undefined && onVotes) onVotes(result.votes);
    });
    const followButton = document.createElement("button");
    followButton.type = "button";
    followButton.textContent = t("follow");
    followButton.setAttribute("aria-expanded", "false");
    const form = document.createElement("form");
    form.hidden = true;
    const inputId = `follow-${id}`;
    form.innerHTML = `<label for="${inputId}"></label><input type="email" id="${inputId}" required autocomplete="email"><button type="submit"></button>`;
    form.querySelector("label").textContent = t("email_label");
    form.querySelector("button").textContent = t("send");
    followButton.addEventListener("click", () => {
      form.hidden = !form.hidden;
      followButton.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      event.stopPropagation();
      status.textContent = await follow(publicUrl, id, form.querySelector("input").value);
    });
    box.append(voteButton, followButton, form);
    return box;
  }

  // Frame a map on the city: the bounds of every coordinate of its outline (boundary and
  // districts). Without the outline the map keeps its view.
  function fitToOutline(map, url) {
    fetch(url).then((r) => r.json()).then((outline) => {
      const bounds = new maplibregl.LngLatBounds();
      for (const feature of outline.features) {
        (function walk(coords) {
          if (typeof coords[0] === "number") bounds.extend(coords); else coords.forEach(walk);
        })(feature.geometry.coordinates);
      }
      if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 10, duration: 0 });
    }).catch(() => {});
  }

  return { t, vote, follow, engageControls, describeError, fitToOutline };
})();
