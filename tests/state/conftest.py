"""The state tests' fixtures, shared with tests/test_shaping.py (tests/state/support.py): a small fake workspace
per test (these tests change its records between runs), and each destination the state tests run against: a
DuckDB file and a PostgreSQL schema."""

from tests.state.support import each_dest, small_fake  # noqa: F401  (the fixtures `dest` and `fake`)
