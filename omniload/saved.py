"""What the last committed runs kept in the destination for a run's tables, read without running: the change
feed's memory (README "A plan before the run", "Nightly runs").

`--plan` writes nothing, so it reads the state the way a run starts: a dlt pipeline of the same name in a
temporary folder, synchronised from the destination. A DuckDB file that does not exist yet holds nothing and is
not created; a destination that cannot be reached or holds no state gives nothing either (the plan then estimates
full reads, as the first run does).
"""

from __future__ import annotations

import logging
from typing import Any

from omniload import workdir
from omniload.run.loop import Run

log = logging.getLogger("omniload")

#: The one resource every run extracts (`omniload/run/loop.py`), whose state holds each table's memory.
RESOURCE = "omniload"


def memories(run: Run) -> dict[str, dict[str, Any]]:
    """Each table's memory by load name, as the run would find it; empty where there is none."""
    import dlt

    destination = run.destination
    if not destination.removes_rows or (destination.file is not None and not destination.file.exists()):
        return {}
    with workdir.make() as folder:
        pipeline = dlt.pipeline(
            pipeline_name=run.pipeline_name,
            destination=destination.dlt_destination,
            dataset_name=run.dataset,
            pipelines_dir=folder,
            staging=destination.staging,
        )
        try:
            pipeline.sync_destination()
        except Exception as error:  # unreachable, or no state yet: the plan estimates full reads
            log.debug("no saved state read for the plan: %s", error)
            return {}
        sources = pipeline.state.get("sources", {})
        resources = (source.get("resources", {}).get(RESOURCE, {}) for source in sources.values())
        return next((dict(found.get("memory", {})) for found in resources if found), {})
