"""Measure map-layer latency on 200,000 synthetic requests in a scratch database
(open311_bench_maps, dropped and recreated): tiles per zoom band and OGC items pages."""
import time, statistics, sqlalchemy as sa
from app import create_app
from app.extensions import db
from flask_migrate import upgrade
URL="postgresql+psycopg://postgres@127.0.0.1:5432/open311_bench_maps"
admin=sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
with admin.connect() as c:
    c.execute(sa.text("DROP DATABASE IF EXISTS open311_bench_maps WITH (FORCE)")); c.execute(sa.text("CREATE DATABASE open311_bench_maps"))
app=create_app({"SQLALCHEMY_DATABASE_URI":URL,"PUBLIC_BASE_URL":"http://localhost"})
with app.app_context():
    upgrade()
    from app.operations.catalog import load_catalog
    from pathlib import Path; load_catalog(db.session, Path("tests/fixtures/catalog.yaml")); db.session.commit()
    db.session.execute(sa.text("""
      INSERT INTO service_requests (jurisdiction_id, service_id, department_id, status, detailed_status, location, media_urls, attributes, channel, requested_at, updated_at, vote_count)
      SELECT s.jurisdiction_id, s.id, s.department_id, CASE WHEN random()<0.5 THEN 'open' ELSE 'closed' END, 'submitted',
        ST_SetSRID(ST_MakePoint(-87.74+random()*0.08, 42.01+random()*0.07),4326)::geography, '{}', '{}', 'api',
        now() - random()*interval '365 days', now(), 0
      FROM generate_series(1, 200000) g JOIN LATERAL (SELECT * FROM services ORDER BY random()+g*0 LIMIT 1) s ON true"""))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE service_requests")); db.session.commit()
    t=time.perf_counter(); from geo.tiles import refresh_grid; refresh_grid(db.session); db.session.commit(); print("refresh s", round(time.perf_counter()-t,2))
c=app.test_client()
def bench(label, urls):
    times=[]
    for u in urls:
        t=time.perf_counter(); r=c.get(u); times.append((time.perf_counter()-t)*1000); assert r.status_code==200, (u, r.data[:200])
    times.sort(); print(label, "n", len(times), "median ms", round(statistics.median(times),1), "p95 ms", round(times[int(len(times)*0.95)-1],1), "bytes", len(r.data))
import math
def tile(lat,lon,z):
    n=2**z; return int((lon+180)/360*n), int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n)
urls=[]
for z in (13,14,15,16):
    x,y=tile(42.045,-87.70,z); urls += [f"/tiles/requests/{z}/{x}/{y}.mvt"]*10
bench("tiles z13-16 (points)", urls)
urls=[]
for z in range(0,12):
    x,y=tile(42.045,-87.70,z); urls += [f"/tiles/requests/{z}/{x}/{y}.mvt"]*4
bench("tiles z0-11 (grid)", urls)
bench("ogc items limit=1000", ["/ogc/collections/requests/items?limit=1000"]*20)
bench("ogc items limit=100 cql", ["/ogc/collections/requests/items?filter=status%3D'open'%20AND%20service_code%3D'POTHOLE'"]*20)
