// Copies the pinned front-end builds (with their licenses) to where the app and the tests load
// them from. The copies are committed, so installing the Python package needs no npm.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const copies = [
  ["node_modules/maplibre-gl/dist/maplibre-gl.js", "app/web/static/vendor/maplibre-gl/maplibre-gl.js"],
  ["node_modules/maplibre-gl/dist/maplibre-gl.css", "app/web/static/vendor/maplibre-gl/maplibre-gl.css"],
  ["node_modules/maplibre-gl/LICENSE.txt", "app/web/static/vendor/maplibre-gl/LICENSE.txt"],
  ["node_modules/axe-core/axe.min.js", "tests/browser/vendor/axe-core/axe.min.js"],
  ["node_modules/axe-core/LICENSE", "tests/browser/vendor/axe-core/LICENSE"],
];
for (const [from, to] of copies) {
  const target = path.join(root, to);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(__dirname, from), target);
  console.log(`${from} -> ${to}`);
}
