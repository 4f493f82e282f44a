"""How Customer.io words its failures, for the HTTP client (`omniload.http.ErrorDescription`).

Customer.io's error bodies vary by endpoint (`errors[]` with a `detail`, `meta.error`, `meta.errors`, or none:
/work/shared/customerio/README.md, "Errors"), and a 401 there almost always means a key of the wrong kind or
from the other region (README "Loading Customer.io": `region=us|eu`), so the line for it says what to check.
"""

from __future__ import annotations

import orjson

from omniload.http import GenericErrors
from omniload.sources.customerio.config import CustomerIOConfig


class CustomerIOErrors(GenericErrors):
    """Customer.io's words for a 401 and for an error body; the rest as every API says it."""

    def __init__(self, config: CustomerIOConfig) -> None:
        self._config = config

    def unauthorized(self) -> str:
        config = self._config
        return (
            f"Customer.io rejected the API key (401) in region {config.region!r}"
            f"{' at ' + config.base_url if config.custom_host else ''}: check that it is an App API key "
            "and that the account lives in this region (region=us or region=eu)"
        )

    def detail(self, body: bytes) -> str:
        """The first error's `detail`, or `meta.error`; the status is what counts, so "" when neither."""
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            return ""
        if not isinstance(parsed, dict):
            return ""
        meta = parsed.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        errors = parsed.get("errors") or meta.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or "")[:200]
        return str(meta["error"])[:200] if meta.get("error") else ""
