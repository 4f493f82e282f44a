"""The change feed's reading of activity records (omniload/sources/customerio/changes.py), type by type, as
docs/contract/customerio/changes.md section 1 lists them."""

from __future__ import annotations

from omniload.sources.customerio.catalog import Feed
from omniload.sources.customerio.changes import Changes


def noted(*records: tuple[str, str | None, dict[str, object]]) -> Changes:
    changes = Changes()
    for kind, person, data in records:
        changes.note({"type": kind, "data": data}, person)
    return changes


def test_attribute_and_device_changes_re_read_the_persons_attributes_only() -> None:
    changes = noted(("attribute_change", "a", {"plan": {"from": "free", "to": "pro"}}), ("device_change", "b", {}))
    assert changes.people(Feed.ATTRIBUTES) == {"a", "b"}
    assert changes.people(Feed.RELATIONSHIPS) == set()


def test_a_new_person_is_read_whole_and_a_deleted_one_is_gone() -> None:
    changes = noted(("profile_create", "new", {}), ("profile_delete", "old", {}), ("attribute_change", "old", {}))
    assert changes.people(Feed.ATTRIBUTES) == {"new"}  # a person gone is not read again
    assert changes.people(Feed.RELATIONSHIPS) == {"new"}
    assert changes.gone == {"old"}


def test_a_merge_re_reads_the_survivor_and_the_merged_away_person_is_gone() -> None:
    changes = noted(("profile_merge", "survivor", {"merged_cio_id": "merged"}))
    assert changes.people(Feed.ATTRIBUTES) == changes.people(Feed.RELATIONSHIPS) == {"survivor"}
    assert changes.gone == {"merged"}


def test_relationship_changes_from_either_side_re_read_the_persons_relationships() -> None:
    kinds = ["add_relationship", "delete_relationship", "relationship_attribute_change",
             "_o:1:add_relationship", "_o:1:delete_relationship", "_r:1:attribute_change",
             "_r:1:relationship_attribute_change"]
    changes = noted(*((kind, f"p{i}", {"object_type_id": "1", "object_id": "x"}) for i, kind in enumerate(kinds)))
    assert changes.people(Feed.RELATIONSHIPS) == {f"p{i}" for i in range(len(kinds))}
    assert changes.people(Feed.ATTRIBUTES) == set()


def test_a_deleted_object_is_named_by_its_type_and_id() -> None:
    changes = noted(("_o:2:delete", None, {"object_id": "acme"}), ("_o:2:create", None, {"object_id": "new"}))
    assert changes.objects_gone == {("2", "acme")}


def test_deliveries_and_records_of_nobody_change_nothing() -> None:
    changes = noted(("sent_email", "a", {}), ("attribute_change", None, {}), ("profile_delete", None, {}))
    assert changes == Changes()
