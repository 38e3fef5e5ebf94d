"""A hash-chained, append-only audit log: each entry's hash covers its content and the previous hash.

hash = sha256(canonical JSON of the entry's fields + prev_hash). Editing, deleting or reordering any
entry breaks the chain from that entry on; ``verify_chain`` names the first entry that does not check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
# the fields of an entry that its hash covers (everything but the hash itself)
HASHED_FIELDS = ("seq", "at", "bank_id", "subject_type", "subject_id", "action", "from_state", "to_state",
                 "actor", "details", "prev_hash")


def _default(o: Any) -> Any:
    if isinstance(o, dt.date | dt.datetime):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same content always gives the same string."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    body = {k: entry.get(k) for k in HASHED_FIELDS if k != "prev_hash"}
    return hashlib.sha256((canonical_json(body) + prev_hash).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Check entries in ``seq`` order: consecutive numbers, each prev_hash = the previous hash, each hash recomputes."""
    prev, expected_seq, n = GENESIS, None, 0
    for e in entries:
        n += 1
        seq = e["seq"]
        if expected_seq is not None and seq != expected_seq:
            return ChainCheck(False, n, seq, f"sequence gap: expected {expected_seq}, found {seq}")
        if e["prev_hash"] != prev:
            return ChainCheck(False, n, seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(e, prev) != e["hash"]:
            return ChainCheck(False, n, seq, "hash does not match the entry's content (edited)")
        prev, expected_seq = e["hash"], seq + 1
    return ChainCheck(True, n)
