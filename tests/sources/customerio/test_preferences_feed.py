"""Issue 20: `customer_subscription_preferences` is read per person on a full run, and on a nightly run only for
the people the activity log names as having changed their preferences (docs/contract/customerio/changes.md,
docs/contract/customerio/extra-tables.md, customer_subscription_preferences)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniload.sources.customerio.catalog import Feed
from omniload.sources.customerio.changes import Changes
from omniload.testing.customerio import FakeCustomerIO, Workspace, WorkspaceSpec
from tests.conftest import API_KEY, Ran, omniload
from tests.state.support import Dest, contents, dest_for, ingest_args, loaded, make_dest

TABLE = "customer_subscription_preferences"
#: Two pages of activities in the log's 30 days, so the change pass proves its overlap (as test_nightly.py's).
SPEC = WorkspaceSpec(people=40, deliveries=300, activities=400, objects_per_type=5)


def noted(*records: tuple[str, str, dict[str, object]]) -> Changes:
    changes = Changes()
    for kind, person, data in records:
        changes.note({"type": kind, "data": data}, person)
    return changes


def test_unsubscribes_and_preference_attribute_changes_name_the_people_to_re_read() -> None:
    changes = noted(
        ("unsubscribed_email", "a", {}),
        ("topic_unsubscribed_email", "b", {"topic_id": 2}),
        ("attribute_change", "c", {"cio_subscription_preferences": {"from": "{}", "to": '{"topics": {}}'}}),
        ("attribute_change", "d", {"plan": {"from": "free", "to": "pro"}}),
        ("profile_create", "e", {}),
        ("unsubscribed_sms", "gone", {}),
        ("profile_delete", "gone", {}),
        ("sent_email", "f", {}),
    )
    assert changes.people(Feed.PREFERENCES) == {"a", "b", "c", "e"}
    assert changes.people(Feed.ATTRIBUTES) == {"c", "d", "e"}  # an attribute change is still an attribute change


@pytest.fixture(name="fake")
def preferences_fake() -> Iterator[FakeCustomerIO]:
    with FakeCustomerIO(Workspace(SPEC), api_key=API_KEY, rate_limit=None) as server:
        yield server


@pytest.fixture
def dest(tmp_path: Path) -> Iterator[Dest]:
    yield from dest_for("duckdb", tmp_path)


def run(fake: FakeCustomerIO, dest: Dest) -> Ran:
    return loaded(omniload(*ingest_args(fake, dest, TABLE, "--progress", "log")))


def test_a_nightly_run_re_reads_only_the_people_whose_preferences_changed(
    fake: FakeCustomerIO, dest: Dest, tmp_path: Path
) -> None:
    """The fake's log holds attribute changes of other attributes and no unsubscribes: the second run reads no
    person's preferences again, and the table still equals a full read."""
    first = run(fake, dest)
    assert f"{TABLE}: full read: no watermark yet (first run)" in first.stderr
    assert sum(1 for r in fake.log if r.path.endswith("/subscription_preferences")) == SPEC.people

    mark = len(fake.log)
    second = run(fake, dest)
    assert f"{TABLE}: nightly: 0 people changed, re-read" in second.stderr
    assert not any(r.path.endswith("/subscription_preferences") for r in fake.log[mark:])
    assert all("id_type=cio_id" in r.path or r.query.get("id_type") == ["cio_id"]
               for r in fake.log if r.path.endswith("/subscription_preferences"))  # fmt: skip

    (tmp_path / "clean").mkdir()
    clean = make_dest("duckdb", tmp_path / "clean")  # a new file, read whole
    run(fake, clean)
    assert contents(dest, (TABLE,)) == contents(clean, (TABLE,)) and contents(dest, (TABLE,))[TABLE]
