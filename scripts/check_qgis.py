"""Open the map layers with QGIS's own providers, headless: the OGC API - Features layer (the
"OAPIF" provider behind Layer > Add WFS / OGC API - Features Layer) and the vector tiles (a
Vector Tiles connection). Needs Debian's python3-qgis; run it with the system interpreter:

    /usr/bin/python3 scripts/check_qgis.py http://127.0.0.1:5000

It prints what QGIS saw and exits 1 when a layer does not load or carries no features."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)


def main(base: str) -> int:
    """Load both layers through QGIS and report; 0 when both work."""
    QgsApplication.setPrefixPath("/usr", True)
    application = QgsApplication([], False)
    application.initQgis()
    failures = 0

    requests = QgsVectorLayer(f"url='{base}/ogc' typename='requests'", "requests", "OAPIF")
    print("OGC requests layer valid:", requests.isValid())
    if requests.isValid():
        fields = [f.name() for f in requests.fields()]
        print("  fields:", ", ".join(fields))
        features = list(requests.getFeatures(QgsFeatureRequest().setLimit(50)))
        print("  features read:", len(features))
        # QGIS 3.22 (Debian 12) applies this filter itself; later releases send it as CQL2.
        requests.setSubsetString("service_code = 'POTHOLE'")
        filtered = list(requests.getFeatures(QgsFeatureRequest().setLimit(20)))
        codes = {f["service_code"] for f in filtered}
        print("  filtered features:", len(filtered), "service codes:", codes)
        failures += not features or codes - {"POTHOLE"} != set()
    else:
        failures += 1

    districts = QgsVectorLayer(f"url='{base}/ogc' typename='districts'", "districts", "OAPIF")
    print("OGC districts layer valid:", districts.isValid(),
          "features:", districts.featureCount() if districts.isValid() else None)
    failures += not districts.isValid()

    tiles = QgsVectorTileLayer(
        f"type=xyz&url={base}/tiles/requests/{{z}}/{{x}}/{{y}}.mvt&zmin=0&zmax=16", "tiles")
    print("Vector tile layer valid:", tiles.isValid())
    failures += not tiles.isValid()
    if requests.isValid():
        extent: QgsRectangle = requests.extent()
        print("  requests extent:", extent.toString(4))

    return 1 if failures else 0


if __name__ == "__main__":
    code = main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
    sys.stdout.flush()
    # exitQgis() crashes on teardown in headless PyQGIS 3.22; leave without it.
    os._exit(code)
