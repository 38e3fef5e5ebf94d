"""A hash-chained, keyed, append-only audit log whose tail is anchored and which covers the rows it describes.

* Chain: ``hash = sha256(canonical JSON of the entry's fields + prev_hash)``. Editing, deleting or reordering an
  entry breaks the chain from that entry on; :func:`verify_chain` names the first entry that does not check.
* Key: each entry also carries ``mac = HMAC-SHA256(key, "entry:" + hash)`` with a key the database does not hold
  (``INNOCREDIT_AUDIT_KEY``). Someone who can write the database can recompute sha256 hashes, but not the MACs:
  a rewritten entry, or one forged with another key, fails. Entries written before the key existed (no ``mac``)
  stay verifiable by their hashes; the first keyed entry's hash covers them through ``prev_hash``. Once a keyed
  entry exists, an unkeyed entry after it is refused.
* Anchor: the chain's head row (the last ``seq`` and ``hash``) carries ``HMAC(key, "head:<seq>:<hash>")``.
  Deleting the last entries leaves a head that names an entry that no longer exists; moving the head back to
  the new last entry needs the key. Since the anchor covers the last hash, and each hash the whole chain before
  it, no entry can be changed without the key. A chain with entries and no anchor fails (a chain from before the
  key is anchored once, after it was verified, by ``innocredit loans audit --anchor``).
* Rows: an entry about an application or a loan carries ``row_digest``, the sha256 of the row's audited fields
  after the action (covered by the entry's hash). :func:`verify_rows` compares the current rows with the last
  digest of each: an approver or an amount edited behind the log's back is reported.

Pure functions: the caller passes the entries, the head, the rows and the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
# the fields of an entry that its hash covers (everything but the hash itself); row_digest only when present, so
# that entries written before it existed keep their hashes
HASHED_FIELDS = ("seq", "at", "bank_id", "subject_type", "subject_id", "action", "from_state", "to_state",
                 "actor", "details", "prev_hash")
OPTIONAL_HASHED = ("row_digest",)
# the published key used when INNOCREDIT_AUDIT_KEY is not set (demo and tests): it proves nothing against
# someone who can write the database, and verification says so
DEVELOPMENT_KEY = "innocredit-development-audit-key-not-secret"


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
    body.update({k: entry[k] for k in OPTIONAL_HASHED if entry.get(k) is not None})
    return hashlib.sha256((canonical_json(body) + prev_hash).encode("utf-8")).hexdigest()


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def entry_mac(hash_: str, key: str) -> str:
    """The keyed seal of an entry (its hash covers its content and the chain before it)."""
    return _mac(key, "entry:" + hash_)


def head_mac(seq: int, hash_: str, key: str) -> str:
    """The keyed anchor of the chain's tail: the last entry's ``seq`` and ``hash``."""
    return _mac(key, f"head:{seq}:{hash_}")


def row_digest(fields: Mapping[str, Any]) -> str:
    """sha256 of a row's audited fields (canonical JSON)."""
    return hashlib.sha256(canonical_json(dict(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None
    keyed_entries: int = 0
    anchored: bool = False
    rows_checked: int = 0
    bad_rows: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq, "reason": self.reason,
                "keyed_entries": self.keyed_entries, "anchored": self.anchored, "rows_checked": self.rows_checked,
                "bad_rows": list(self.bad_rows), "warnings": list(self.warnings)}


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    mac: str | None


def verify_chain(entries: Iterable[Mapping[str, Any]], *, key: str | None = None,
                 head: Head | None = None) -> ChainCheck:
    """Check entries in ``seq`` order: consecutive numbers, each prev_hash = the previous hash, each hash
    recomputes; with ``key``, each entry's MAC (no unkeyed entry after a keyed one); with ``head``, that it names
    the last entry and (when the chain is keyed) that its anchor MAC checks."""
    prev, expected_seq, n, keyed = GENESIS, None, 0, 0
    last_seq = 0
    for e in entries:
        n += 1
        seq = e["seq"]
        if expected_seq is not None and seq != expected_seq:
            return ChainCheck(False, n, seq, f"sequence gap: expected {expected_seq}, found {seq}", keyed)
        if expected_seq is None and head is not None and seq != 1:
            return ChainCheck(False, n, seq, f"sequence gap: the chain starts at {seq}, not 1", keyed)
        if e["prev_hash"] != prev:
            return ChainCheck(False, n, seq, "prev_hash does not match the previous entry's hash", keyed)
        if entry_hash(e, prev) != e["hash"]:
            return ChainCheck(False, n, seq, "hash does not match the entry's content (edited)", keyed)
        if key is not None:
            mac = e.get("mac")
            if mac is None and keyed:
                return ChainCheck(False, n, seq, "an unkeyed entry after keyed entries (inserted without the key)",
                                  keyed)
            if mac is not None:
                if not hmac.compare_digest(mac, entry_mac(e["hash"], key)):
                    return ChainCheck(False, n, seq, "the entry's MAC does not check with the audit key (rewritten, "
                                      "or written with another key)", keyed)
                keyed += 1
        prev, expected_seq, last_seq = e["hash"], seq + 1, seq
    anchored = False
    if head is not None:
        if head.seq != last_seq or head.hash != prev:
            return ChainCheck(False, n, last_seq + 1 if head.seq > last_seq else head.seq,
                              f"the chain's head names entry {head.seq} but the last entry is {last_seq} "
                              "(entries deleted or added behind the chain's back)", keyed)
        if key is not None and head.mac is None and n:
            return ChainCheck(False, n, head.seq, "the chain's tail is not anchored (a chain from before lending_0003:"
                              " verify it and anchor it once with `innocredit loans audit --anchor`)", keyed)
        if key is not None and head.mac is not None:
            if not hmac.compare_digest(head.mac, head_mac(head.seq, head.hash, key)):
                return ChainCheck(False, n, head.seq, "the head's anchor does not check with the audit key "
                                  "(the tail was moved: last entries deleted, or another key)", keyed)
            anchored = True
    return ChainCheck(True, n, keyed_entries=keyed, anchored=anchored)


def verify_rows(last_digests: Mapping[tuple[str, str], str | None], rows: Mapping[tuple[str, str], str]
                ) -> list[str]:
    """The rows that do not match the log: ``last_digests`` maps (subject_type, id) to the last entry's row digest
    (``None`` when the subject's entries predate digests), ``rows`` maps (subject_type, id) to the current row's
    digest. A row without any entry, an entry whose row is gone, or a row whose fields differ, is named."""
    bad = []
    for ident, digest in sorted(rows.items()):
        if ident not in last_digests:
            bad.append(f"{ident[0]} {ident[1]}: no audit entry (created, or the log deleted, behind its back)")
        elif last_digests[ident] is not None and last_digests[ident] != digest:
            bad.append(f"{ident[0]} {ident[1]}: the row differs from its last audit entry (edited behind its back)")
    for ident, last in sorted(last_digests.items()):
        if ident not in rows and last is not None:
            bad.append(f"{ident[0]} {ident[1]}: the row is gone but the log describes it (deleted)")
    return bad
