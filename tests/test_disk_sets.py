"""The on-disk key set and key map that replace Python sets and dicts as large as a table: the same answers."""

from __future__ import annotations

from omniload.disk_sets import KeyMap, KeySet


def test_new_keys_are_flagged_once_even_within_one_call() -> None:
    keys = KeySet()
    assert keys.add_new(["a", "b", "a"]) == [True, True, False]
    assert keys.add_new(["b", "c", ("a",), 1, "1"]) == [False, True, True, True, True]
    assert list(keys) == ["a", "b", "c", ("a",), 1, "1"]
    keys.close()


def test_intersection_and_order() -> None:
    keys = KeySet()
    added = [f"cio_{n}" for n in range(2500)]  # more than one statement's worth of parameters
    keys.add_new(added)
    keys.add_new([("obj", 7)])
    assert keys.intersection(["cio_5", "cio_2499", "nobody", ("obj", 7)]) == {"cio_5", "cio_2499", ("obj", 7)}
    assert list(keys) == [*added, ("obj", 7)]
    assert [len(batch) for batch in keys.batches(1000)] == [1000, 1000, 501]
    keys.close()


def test_map_lookup_keeps_the_first_value() -> None:
    ids = KeyMap()
    ids.update((f"u-{n}", f"cio_{n}") for n in range(2500))  # more than one statement's worth of parameters
    ids.update([("u-7", "cio_other"), ("7", "cio_seven")])
    expected = {"u-7": "cio_7", "u-2499": "cio_2499", "7": "cio_seven"}
    assert ids.lookup(["u-7", "u-2499", "nobody", "7", "u-7"]) == expected
    found = ids.lookup(f"u-{n}" for n in range(3000))
    assert found == {f"u-{n}": f"cio_{n}" for n in range(2500)}
    assert ids.lookup([]) == {}
    ids.close()
