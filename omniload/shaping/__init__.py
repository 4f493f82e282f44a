"""Shaping what lands (README "Shaping what lands"): ingestr's data-control flags parsed (`flags.py`, `Shaping`;
`columns.py` for `--columns`, `masks.py` for `--mask`), checked against the run (`checks.py`), applied to each
page (`transform.py`), to each table's dlt hints (`hints.py`), and to the destination (`staging.py`). Importing
it does nothing.
"""
