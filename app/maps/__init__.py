"""Map layers for GIS staff: OGC API - Features at /ogc and vector tiles at /tiles."""
