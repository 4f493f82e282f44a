"""The Customer.io engine's pieces against the fake over real HTTP: parents resolved from their declarations,
shared lists read once, the people kept on disk, and delivery windows that neither overlap nor leave gaps."""

from __future__ import annotations

from omniload.source import TableRequest
from omniload.sources.customerio.catalog import CATALOG, PARENTS
from omniload.sources.customerio.engine import Reader
from omniload.sources.customerio.passes import WINDOW_SECONDS, windows
from omniload.sources.customerio.source import SOURCE
from omniload.testing.customerio import FakeCustomerIO, Workspace
from tests.conftest import source_uri


def reader(fake: FakeCustomerIO) -> Reader:
    return SOURCE.connect(source_uri(fake)).reader()


def reads_of(fake: FakeCustomerIO, path: str) -> int:
    return sum(1 for logged in fake.log if logged.path == path)


def test_nested_parents_come_from_the_outer_lists_records(fake: FakeCustomerIO, workspace: Workspace) -> None:
    parents = reader(fake).parents
    for owner in ("campaign", "broadcast"):
        resolved = {(p.fields[f"{owner}_id"], p.fields["action_id"]) for p in parents.parents(f"{owner}_actions")}
        assert resolved == {(r[f"{owner}_id"], r["id"]) for r in workspace.rows(f"{owner}_actions")}


def test_a_shared_list_is_read_once_for_its_table_and_every_fan_out(fake: FakeCustomerIO) -> None:
    run = reader(fake)
    before = reads_of(fake, "/v1/campaigns")
    requests = [TableRequest(CATALOG["campaigns"]), TableRequest(CATALOG["campaign_actions"])]
    pages = list(run.read_all(requests))
    assert {request.load_name for request, _ in pages} == {"campaigns", "campaign_actions"}
    assert list(run.parents.parents("campaigns"))  # asked again: served from the run's copy
    assert reads_of(fake, "/v1/campaigns") - before == 1


def test_people_are_kept_on_disk_and_read_once(fake: FakeCustomerIO, workspace: Workspace) -> None:
    run = reader(fake)
    before = reads_of(fake, "/v1/customers")
    people = run.parents.on_disk("people")
    assert set(people) == {key[0] for key in workspace.expected_keys("customers")}
    assert run.parents.on_disk("people") is people
    pages = reads_of(fake, "/v1/customers") - before
    assert pages == -(-len(set(people)) // 1000)  # one request per page of 1000


def test_every_declared_parent_list_resolves(fake: FakeCustomerIO) -> None:
    run = reader(fake)
    for declared in PARENTS:
        parents = list(run.parents.parents(declared.name))
        assert parents, declared.name
        assert all(declared.key in parent.fields for parent in parents), declared.name


def test_windows_are_consecutive_and_bounded() -> None:
    spans = list(windows(0, 3 * WINDOW_SECONDS + 5))
    assert spans[0][0] == 0 and spans[-1][1] == 3 * WINDOW_SECONDS + 5
    assert all(end - start < WINDOW_SECONDS for start, end in spans)
    assert all(next_start == end + 1 for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))
    assert list(windows(10, 9)) == []
