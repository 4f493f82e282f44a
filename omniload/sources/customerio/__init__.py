"""The Customer.io App API source: a catalog of 31 tables (`catalog.py`) and the engine that reads them."""
