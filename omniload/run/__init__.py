"""One run in parts (README "Layout"): the extract/load/commit loop (`loop.py`, `Run`), its checkpoints
(`checkpoints.py`), a long table's chunks on disk (`chunks.py`), each page made ready for dlt (`marking.py`), the
removals applied after a load (`removals.py`), the arguments read before anything is (`arguments.py`), dlt's
configuration (`dlt_config.py`) and the words of a failed run (`failures.py`). Importing it does nothing.
"""
