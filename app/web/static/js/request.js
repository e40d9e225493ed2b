// A request's page: the small map, "me too" and "follow".
"use strict";
(function () {
  const mapElement = document.getElementById("request-map");
  if (mapElement && window.maplibregl) {
    const center = [Number(mapElement.dataset.long), Number(mapElement.dataset.lat)];
    const map = new maplibregl.Map({
      container: mapElement, style: mapElement.dataset.style, center, zoom: 14,
      attributionControl: false, interactive: true, keyboard: true,
    });
    const marker = new maplibregl.Marker({ color: "#b00020" }).setLngLat(center).addTo(map);
    // The map as a whole is the image described to screen readers; the pin is part of it.
    marker.getElement().removeAttribute("aria-label");
  }
  const section = document.querySelector(".engage");
  if (!section) return;
  const status = document.getElementById("engage-status");
  section.querySelectorAll(".js-only").forEach((element) => { element.hidden = false; });
  const publicUrl = section.dataset.publicUrl;
  const voteButton = section.querySelector("button.vote");
  if (voteButton) {
    voteButton.addEventListener("click", async () => {
      voteButton.disabled = true;
      const result = await City.vote(publicUrl, section.dataset.id, section.dataset.jurisdiction);
      voteButton.disabled = false;
      status.textContent = result.text;
      if (result.votes !== undefined) document.getElementById("vote-count").textContent = result.votes;
    });
  }
  const form = section.querySelector(".follow-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = await City.follow(publicUrl, section.dataset.id, form.querySelector("input").value);
  });
})();
