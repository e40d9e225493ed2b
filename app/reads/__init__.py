"""The one read path of public surfaces: the stored public form of requests (app.redaction,
written by operations/public_form.py), the declared public projection, the declarative filter
set over published values, ordering and the pagination styles. Open311, the public API and its
exports, the feed, stats, the nearby check, OGC and tiles all read requests through here."""
