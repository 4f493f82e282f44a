"""A long table's chunks kept on local disk, so that a run killed in the middle of a table resumes inside it.

A replace table must change at once for anyone querying it, so the rows of a table read in chunks (one read
per person over a workspace of millions) cannot be committed to the destination chunk by chunk. Instead each
chunk's pages go to a Parquet file in a folder of its own, and a manifest written after the file says which
parent the read has reached (`position`). A run started again with the same command on the same machine finds
the manifest, reads only the parents after that position, and when the read is complete loads the earlier
chunks' files with the new rows as one replace. The folder is removed once the table is committed (README
"Checkpoints and resume"). The folder lives under `OMNILOAD_SPILL_DIR`, by default `~/.cache/omniload/chunks`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

#: Where the chunks go (README "Checkpoints and resume"); the variable keeps its first name.
CHUNKS_VARIABLE = "OMNILOAD_SPILL_DIR"
MANIFEST = "manifest.json"


def chunks_root() -> Path:
    return Path(os.environ.get(CHUNKS_VARIABLE) or Path.home() / ".cache" / "omniload" / "chunks")


@dataclass
class Chunks:
    """The chunks of one table of one pipeline, for one set of run arguments (`fingerprint`)."""

    folder: Path
    fingerprint: str
    position: Any = None  # the last parent of the last complete chunk; None: nothing kept
    label: str = ""  # where `position` is, in words (`Position.label`)
    parts: list[str] = field(default_factory=list)
    json_columns: list[str] = field(default_factory=list)
    _writer: pq.ParquetWriter | None = None
    _schema: pa.Schema | None = None

    @classmethod
    def open(cls, pipeline: str, table: str, fingerprint: str) -> Chunks:
        """The kept chunks of this table, if a run with the same arguments left any; else none."""
        digest = hashlib.sha1(f"{pipeline}|{table}".encode()).hexdigest()[:16]
        folder = chunks_root() / digest
        chunks = cls(folder, fingerprint)
        try:
            manifest = orjson.loads((folder / MANIFEST).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return chunks
        if manifest.get("fingerprint") == fingerprint:
            chunks.position = manifest["position"]
            chunks.label = manifest.get("label", "")
            chunks.parts = list(manifest["parts"])
            chunks.json_columns = list(manifest.get("json_columns", []))
        return chunks

    @property
    def rows(self) -> int:
        return sum(pq.ParquetFile(self.folder / part).metadata.num_rows for part in self.parts)

    def start_afresh(self) -> None:
        self.clear()
        self.folder.mkdir(parents=True, exist_ok=True)

    def add(self, page: pa.Table, new_json: list[str]) -> None:
        """A page of the chunk being read; a page whose columns differ from the part's starts a new part."""
        self.json_columns += [c for c in new_json if c not in self.json_columns]
        if self._writer is not None and page.schema != self._schema:
            self._close_part()
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{len(self.parts):06d}.parquet"
            self._writer, self._schema = pq.ParquetWriter(self.folder / name, page.schema), page.schema
            self.parts.append(name)
        self._writer.write_table(page)

    def checkpoint(self, position: Any, label: str = "") -> None:
        """Every page up to `position` is on disk: the manifest says so (written whole, then renamed)."""
        self._close_part()
        manifest = {
            "fingerprint": self.fingerprint,
            "position": position,
            "label": label,
            "parts": self.parts,
            "json_columns": self.json_columns,
        }
        temporary = self.folder / f"{MANIFEST}.tmp"
        temporary.write_bytes(orjson.dumps(manifest))
        os.replace(temporary, self.folder / MANIFEST)
        self.position, self.label = position, label

    def pages(self) -> Iterator[pa.Table]:
        """The kept rows, a row group at a time (memory bounded by a page, not by the table)."""
        self._close_part()
        for part in self.parts:
            file = pq.ParquetFile(self.folder / part)
            for group in range(file.num_row_groups):
                yield file.read_row_group(group)

    def clear(self) -> None:
        self._close_part()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.position, self.label, self.parts, self.json_columns = None, "", [], []

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer, self._schema = None, None
