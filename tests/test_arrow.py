"""Pages → Arrow (`omniload/arrow.py`): nested values become JSON columns, declared ids keep one type."""

from __future__ import annotations

import pyarrow as pa

from omniload.arrow import PageConverter, coerce


def test_nested_values_become_json_text_reported_once() -> None:
    converter = PageConverter(("id",))
    table, new_json = converter.convert([{"id": 1, "tags": ["a"]}, {"id": 2, "tags": None}])
    assert new_json == ["tags"] and table.column("tags").to_pylist() == ['["a"]', None]
    assert not table.schema.field("id").nullable
    _, again = converter.convert([{"id": 3, "tags": {"b": 1}}])
    assert again == []


def test_declared_ids_are_converted_and_a_column_keeps_its_first_type() -> None:
    converter = PageConverter(declared={"id": int})
    table, _ = converter.convert([{"id": "12", "n": 1}, {"id": 13, "n": 2}])
    assert table.column("id").to_pylist() == [12, 13] and table.schema.field("id").type == pa.int64()
    drifted, _ = converter.convert([{"id": 14, "n": "three"}])
    assert drifted.column("n").to_pylist() == ["three"]
    missing, _ = converter.convert([{"id": 15}])  # a page without the column still carries it, typed
    assert missing.column("n").to_pylist() == [None] and missing.schema.field("n").type == pa.int64()


def test_coerce_only_touches_values_of_the_other_type() -> None:
    assert coerce("42", int) == 42 and coerce("x42", int) == "x42"
    assert coerce(42, str) == "42" and coerce(4.5, str) == "4.5" and coerce(True, str) is True
