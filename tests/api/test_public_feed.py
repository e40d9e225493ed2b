"""GET /api/v1/public/feeds/requests.atom: a valid Atom 1.0 feed of the newest changes."""

from datetime import UTC, datetime, timedelta

import feedparser

URL = "/api/v1/public/feeds/requests.atom"


def parsed(client, query: str = ""):
    """The feed as feedparser reads it."""
    response = client.get(f"{URL}?{query}")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    return feedparser.parse(response.data)


def test_feed_is_well_formed_atom_1(client, make_request):
    make_request()
    feed = parsed(client)
    assert (feed.bozo, feed.version) == (False, "atom10")
    assert feed.feed.id and feed.feed.title and feed.feed.updated


def test_entries_carry_id_title_updated_link_and_summary(client, make_request):
    pothole = make_request(description="Hole by the library")
    (entry,) = parsed(client).entries
    assert entry.id.endswith(f":request:{pothole.id}")
    assert entry.title == f"Pothole #{pothole.id}: submitted"
    assert entry.link == f"http://localhost/api/v1/public/requests/{pothole.id}"
    assert entry.summary == "Hole by the library"
    assert entry.updated_parsed


def test_newest_change_comes_first(client, make_request):
    now = datetime.now(UTC)
    stale = make_request(updated_at=now - timedelta(days=3))
    fresh = make_request(updated_at=now - timedelta(minutes=1))
    assert [e.id.rsplit(":", 1)[1] for e in parsed(client).entries] == [
        str(fresh.id), str(stale.id)]


def test_feed_applies_the_filters(client, make_request):
    tree = make_request("TREE")
    make_request("POTHOLE")
    assert [e.id.rsplit(":", 1)[1] for e in parsed(client, "service_code=TREE").entries] == [
        str(tree.id)]


def test_feeds_with_different_filters_have_different_ids(client, jurisdiction):
    assert parsed(client).feed.id != parsed(client, "service_code=TREE").feed.id


def test_empty_feed_is_still_valid(client, jurisdiction):
    feed = parsed(client)
    assert (feed.bozo, feed.entries) == (False, [])
