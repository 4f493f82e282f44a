"""The knobs that size a generated workspace."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkspaceSpec:
    """Sizes of a seeded workspace.

    The defaults are the smallest workspace that still has every case the fake's checklist needs (several
    pages of people, a campaign with more than 10 actions, deliveries older than 12 months, more than 1000
    deliveries in one 90-day window, a person with more relationships than a maximum page, ...). Smaller values
    still work but may drop some of those cases.
    """

    seed: int = 7
    people: int = 1200
    campaigns: int = 4
    broadcasts: int = 3
    newsletters: int = 3
    #: Age of the oldest campaign (and of the oldest delivery), in days.
    history_days: int = 400
    deliveries: int = 3000
    #: Activities spread over the last ``activity_days`` days; only the last 30 are served.
    activities: int = 400
    activity_days: int = 60
    object_types: int = 2
    objects_per_type: int = 60
    segments: int = 4
    sender_identities: int = 4
    #: One delivery/activity in this many has ``customer_identifiers: null`` (0 = never); most still belong to
    #: their person through ``customer_id`` (see ``deliveries.link_of``).
    null_identifiers_every: int = 50
    #: An "id only" workspace: the ``email`` key is absent from every identifier object.
    id_only: bool = False
    #: Name of the second workspace listed by ``/v1/workspaces``.
    workspace_name: str = "Production"
