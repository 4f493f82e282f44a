"""The REST read layer any source reuses, so a new source is its catalog, configuration and shapes, not an engine
(README "Adding a source").

`reads.py` declares what a table reads (an `Endpoint` listed, read per parent, batched, or a parent's whole
answer as its contents) and the parent lists tables fan out over; `paginators.py` says how an endpoint pages
(a cursor in a body key, offset/limit, a single answer); `pager.py` reads every page of one endpoint;
`parents.py` resolves the declared parent lists once per run; `fanout.py` is the one fan-out over parents, with
the 404 rule; `reader.py` is the run's reader, with interval filtering, de-duplication and chunks over parent
lists kept on disk; `connection.py` is a source built of nothing else. A source with reads of its own (metrics
by period, one pass feeding several tables) adds them by subclassing `RestReader`.
"""
