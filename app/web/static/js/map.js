// The city map: the requests' vector tiles (/tiles: counts per grid cell at city scale,
// each public request above), filtered in the browser; a click gives a summary and a link.
"use strict";
(function () {
  const element = document.getElementById("city-map");
  if (!element || !window.maplibregl) return;
  const t = City.t;
  const summary = document.getElementById("map-summary");
  const map = new maplibregl.Map({ container: element, style: element.dataset.style, center: [0, 0], zoom: 1, attributionControl: false });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  element.maplibreMap = map;  // for the browser tests (and a city's own scripts)
  map.getCanvas().setAttribute("aria-label", t("map_label"));

  map.on("load", () => {
    map.addSource("requests", { type: "vector", url: element.dataset.tilejson });
    map.addLayer({
      id: "cells", type: "circle", source: "requests", "source-layer": "requests",
      filter: ["has", "count"],
      paint: {
        "circle-color": "#1d5fa8", "circle-opacity": 0.55, "circle-stroke-color": "#0a3a6b", "circle-stroke-width": 1,
        "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 4, 10, 14, 40, 30],
      },
    });
    map.addLayer({
      id: "points", type: "circle", source: "requests", "source-layer": "requests",
      filter: ["has", "id"],
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 4, 17, 8],
        "circle-color": ["match", ["get", "status"], "open", "#c45000", "#1b6e3a"],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
      },
    });
    City.fitToOutline(map, element.dataset.outline);
    applyFilters();
  });

  const filters = document.getElementById("map-filters");
  function applyFilters() {
    const data = new FormData(filters);
    const common = ["all"];
    if (data.get("service_code")) common.push(["==", ["get", "service_code"], data.get("service_code")]);
    if (data.get("status")) common.push(["==", ["get", "status"], data.get("status")]);
    const points = ["all", ["has", "id"], common];
    if (data.get("from")) points.push([">=", ["get", "requested"], data.get("from")]);
    if (data.get("to")) points.push(["<=", ["get", "requested"], data.get("to")]);
    map.setFilter("cells", ["all", ["has", "count"], common]);
    map.setFilter("points", points);
  }
  filters.addEventListener("change", () => { if (map.getLayer("points")) applyFilters(); });
  filters.addEventListener("submit", (event) => event.preventDefault());

  function popup(lngLat, node) {
    new maplibregl.Popup({ closeButton: true, maxWidth: "18rem" }).setLngLat(lngLat).setDOMContent(node).addTo(map);
    summary.textContent = "";
    summary.append(node.cloneNode(true));
  }

  map.on("click", "cells", (event) => {
    const feature = event.features[0];
    const node = document.createElement("p");
    node.textContent = t("requests_in_cell", { count: feature.properties.count });
    popup(event.lngLat, node);
  });

  map.on("click", "points", async (event) => {
    const feature = event.features[0];
    const id = feature.properties.id;
    const node = document.createElement("div");
    const heading = document.createElement("p");
    heading.innerHTML = "<strong></strong>";
    heading.firstChild.textContent = `#${id} · ${feature.properties.service_code}`;
    const facts = document.createElement("p");
    facts.textContent = `${t(feature.properties.status === "open" ? "status_open" : "status_closed")} · ${feature.properties.requested}`;
    const link = document.createElement("a");
    link.href = `/requests/${id}`;
    link.textContent = t("open_page");
    node.append(heading, facts, link);
    popup(event.lngLat, node);
    try {
      const response = await fetch(`/api/v1/public/requests/${id}`);
      if (!response.ok) return;
      const request = await response.json();
      heading.firstChild.textContent = `#${id} · ${request.service_name}`;
      if (request.description) {
        const description = document.createElement("p");
        description.textContent = request.description.slice(0, 160);
        node.insertBefore(description, link);
      }
      summary.textContent = "";
      summary.append(node.cloneNode(true));
    } catch (error) { /* the tile's own summary stays */ }
  });
  for (const layer of ["cells", "points"]) {
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
  }
})();
