"""The keyed, anchored audit chain on SQLite and PostgreSQL (issue 14 item 10): the honest chain verifies; an
amount or an approver edited by SQL, the last entries deleted (with or without moving the head), and a chain
rewritten with another key are each detected; a chain from before the key verifies by its hashes and is anchored
once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from innocredit.lending.audit import GENESIS, entry_hash, entry_mac, head_mac, row_digest
from innocredit.lending.schema import load_policy
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending as svc
from innocredit.storage.base import UnitOfWork

USCC = make_uscc("91330106MA2AAAAA0")
POLICY = load_policy(env={})
MON = dt.date(2025, 3, 3)
KEY = "audit-test-key-" + "k" * 24


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INNOCREDIT_AUDIT_KEY", KEY)


def _history(engine) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Two applications of bank_a, the first approved and contracted: (application id, loan id)."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="new_quality_credit", amount=1_000_000,
                        term_months=12, actor="officer", on=MON, policy=POLICY)
        svc.review(s, "bank_a", app["id"], "reviewer1")
        svc.approve(s, "bank_a", app["id"], "approver1", on=MON, policy=POLICY)
        loan = svc.contract(s, "bank_a", app["id"], "officer", rate="0.035", on=MON)
        other = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=500_000,
                          term_months=12, actor="officer", on=MON, policy=POLICY)
        svc.review(s, "bank_a", other["id"], "reviewer1")
    return app["id"], loan["id"]


def _check(engine, key: str | None = None):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return svc.verify_audit_chain(uow.session, key)


def test_the_honest_chain_verifies_keyed_and_anchored(engine) -> None:  # type: ignore[no-untyped-def]
    _history(engine)
    check = _check(engine)
    # create, submit, start_review, approve, contract (application), contract (loan); create, submit, start_review
    assert check.ok and check.entries == 9 and check.keyed_entries == 9 and check.anchored
    assert check.rows_checked == 3 and check.bad_rows == () and check.warnings == ()
    with engine.connect() as conn:
        seq, hash_, mac = conn.execute(text("SELECT seq, hash, mac FROM lending_audit_head")).one()
        last = conn.execute(text("SELECT hash, mac FROM lending_audit_log WHERE seq = 9")).one()
    assert (seq, hash_) == (9, last[0])
    assert mac == head_mac(9, hash_, KEY) and last[1] == entry_mac(last[0], KEY)


def test_an_amount_or_approver_edited_by_sql_is_detected(engine) -> None:  # type: ignore[no-untyped-def]
    app_id, loan_id = _history(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lending_applications SET approver1 = 'mallory' WHERE id = :i"), {"i": app_id})
    check = _check(engine)
    assert not check.ok and check.bad_rows == (
        f"application {app_id}: the row differs from its last audit entry (edited behind its back)",)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lending_applications SET approver1 = 'approver1' WHERE id = :i"), {"i": app_id})
        conn.execute(text("UPDATE lending_loans SET principal_fen = 1000000000000 WHERE id = :i"), {"i": loan_id})
    check = _check(engine)
    assert not check.ok and [b.split(":")[0] for b in check.bad_rows] == [f"loan {loan_id}"]
    with engine.begin() as conn:  # put back: the chain verifies again (the digest is of the fields, not a flag)
        conn.execute(text("UPDATE lending_loans SET principal_fen = 100000000 WHERE id = :i"), {"i": loan_id})
    assert _check(engine).ok


def test_deleting_the_last_entries_is_detected(engine) -> None:  # type: ignore[no-untyped-def]
    _history(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM lending_audit_log WHERE seq > 7"))
    check = _check(engine)
    assert not check.ok and "head names entry 9 but the last entry is 7" in check.reason
    # the head moved back to the new last entry, without the key: the anchor does not check
    with engine.begin() as conn:
        h = conn.execute(text("SELECT hash FROM lending_audit_log WHERE seq = 7")).scalar_one()
        conn.execute(text("UPDATE lending_audit_head SET seq = 7, hash = :h"), {"h": h})
    check = _check(engine)
    assert not check.ok and "anchor does not check" in check.reason
    # the anchor removed as well: an unanchored chain with entries fails
    with engine.begin() as conn:
        conn.execute(text("UPDATE lending_audit_head SET mac = NULL"))
    assert "not anchored" in _check(engine).reason


def test_deleting_the_whole_log_is_detected_by_the_rows(engine) -> None:  # type: ignore[no-untyped-def]
    _history(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM lending_audit_log"))
        conn.execute(text("UPDATE lending_audit_head SET seq = 0, hash = :g, mac = NULL"), {"g": GENESIS})
    check = _check(engine)
    assert not check.ok and len(check.bad_rows) == 3 and all("no audit entry" in b for b in check.bad_rows)


def _rewrite(engine, key: str, actor_at: int) -> None:  # type: ignore[no-untyped-def]
    """What someone with write access to the database and a key of their own can do: change entry ``actor_at``'s
    actor and recompute every hash, MAC and the head after it."""
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM lending_audit_log ORDER BY seq"))]
        prev = GENESIS
        for r in rows:
            if r["seq"] == actor_at:
                r["actor"] = "mallory"
            r["prev_hash"] = prev
            r["hash"] = entry_hash(r, prev)
            if r["seq"] >= actor_at:  # entries before the change keep their original MACs
                r["mac"] = entry_mac(r["hash"], key)
            prev = r["hash"]
        conn.execute(text("DELETE FROM lending_audit_log"))
        for r in rows:
            conn.execute(text("INSERT INTO lending_audit_log (seq, at, bank_id, subject_type, subject_id, action, "
                              "from_state, to_state, actor, details, prev_hash, hash, mac, row_digest) VALUES "
                              "(:seq, :at, :bank_id, :subject_type, :subject_id, :action, :from_state, :to_state, "
                              ":actor, :details, :prev_hash, :hash, :mac, :row_digest)"), r)
        conn.execute(text("UPDATE lending_audit_head SET seq = :s, hash = :h, mac = :m"),
                     {"s": rows[-1]["seq"], "h": prev, "m": head_mac(rows[-1]["seq"], prev, key)})


def test_a_chain_rewritten_with_another_key_is_detected(engine) -> None:  # type: ignore[no-untyped-def]
    _history(engine)
    forger = "the-forgers-own-key-" + "f" * 20
    _rewrite(engine, forger, actor_at=4)  # the approval's actor
    check = _check(engine)
    assert not check.ok and check.first_bad_seq == 4 and "MAC does not check" in check.reason
    assert _check(engine, forger).first_bad_seq == 1  # entries 1-3 keep the real key's MACs
    _rewrite(engine, KEY, actor_at=4)  # ... and with the real key the same rewrite verifies (the key is the secret)
    assert _check(engine).ok


def test_without_a_key_the_development_key_is_used_and_named(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("INNOCREDIT_AUDIT_KEY")
    _history(engine)
    check = _check(engine)
    assert check.ok and check.warnings and "INNOCREDIT_AUDIT_KEY is not set" in check.warnings[0]
    monkeypatch.setenv("INNOCREDIT_AUDIT_KEY", KEY)
    assert not _check(engine).ok  # entries sealed with the development key do not check under the real one


def test_a_chain_from_before_the_key_verifies_by_hash_and_is_anchored_once(engine) -> None:  # type: ignore[no-untyped-def]
    app_id, _ = _history(engine)
    with engine.begin() as conn:  # what lending_0003 finds: no MACs, no row digests, no anchor
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM lending_audit_log ORDER BY seq"))]
        prev = GENESIS
        for r in rows:
            r["row_digest"] = None
            r["prev_hash"], r["hash"] = prev, entry_hash(r, prev)
            prev = r["hash"]
        conn.execute(text("DELETE FROM lending_audit_log"))
        for r in rows:
            conn.execute(text("INSERT INTO lending_audit_log (seq, at, bank_id, subject_type, subject_id, action, "
                              "from_state, to_state, actor, details, prev_hash, hash) VALUES (:seq, :at, :bank_id, "
                              ":subject_type, :subject_id, :action, :from_state, :to_state, :actor, :details, "
                              ":prev_hash, :hash)"), r)
        conn.execute(text("UPDATE lending_audit_head SET seq = :s, hash = :h, mac = NULL"), {"s": len(rows), "h": prev})
    check = _check(engine)
    assert not check.ok and "anchor it once" in check.reason
    with UnitOfWork(engine) as uow:
        anchored = svc.anchor_audit_chain(uow.session)
    assert anchored.ok and anchored.anchored and anchored.keyed_entries == 0
    with UnitOfWork(engine) as uow:  # the next entry is keyed and covers the old ones
        svc.approve(uow.session, "bank_a", [a for a in svc.list_applications(uow.session, "bank_a")
                                            if a["status"] == "under_review"][0]["id"], "approver1", policy=POLICY)
    check = _check(engine)
    assert check.ok and check.entries == 10 and check.keyed_entries == 1
    with engine.begin() as conn:  # an old entry edited now breaks the keyed tail
        conn.execute(text("UPDATE lending_audit_log SET actor = 'mallory' WHERE seq = 2"))
    assert _check(engine).first_bad_seq == 2
    assert row_digest({"a": 1}) == row_digest({"a": 1}) != row_digest({"a": 2})
    assert app_id


def test_a_tampered_chain_is_not_anchored(engine) -> None:  # type: ignore[no-untyped-def]
    _history(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lending_audit_head SET mac = NULL"))
        conn.execute(text("UPDATE lending_audit_log SET details = :d WHERE seq = 3"), {"d": '{"x":1}'})
    with UnitOfWork(engine) as uow, pytest.raises(ValueError, match="does not verify, it is not anchored"):
        svc.anchor_audit_chain(uow.session)


def test_admins_verify_through_the_api_and_the_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from innocredit.cli import app as cli
    from innocredit.storage.base import make_engine
    from innocredit.storage.migrate import upgrade
    from innocredit.synthetic import feature_table
    from innocredit.web.app import create_app
    from innocredit.web.config import Settings
    from innocredit.web.demo import seed_demo_users

    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine = make_engine(url)
    upgrade(engine)
    users = {u[0]: u[1] for u in seed_demo_users(engine)}
    app_id, _ = _history(engine)
    features = feature_table(60, 3)
    web = create_app(Settings(database_url=url, secret_key="audit-secret-" + "s" * 30, cookie_secure=False),
                     loader=lambda: features)
    runner = CliRunner()
    with TestClient(web) as client:
        def token(name: str) -> dict[str, str]:
            r = client.post("/api/v1/auth/token", json={"username": name, "password": users[name]})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin = token("admin")
        r = client.get("/api/v1/audit/verify", headers=admin)
        assert r.status_code == 200 and r.json()["ok"] is True and r.json()["entries"] == 9
        assert r.json()["anchored"] is True and r.json()["rows_checked"] == 3
        assert client.get("/api/v1/audit/verify", headers=token("bank_a_officer")).status_code == 403
        assert client.get("/api/v1/audit/verify").status_code == 401
        res = runner.invoke(cli, ["loans", "audit", "--db", url])
        assert res.exit_code == 0 and "audit chain intact: 9 entries (9 keyed), tail anchored, 3 rows match" \
            in res.output
        with engine.begin() as conn:
            conn.execute(text("UPDATE lending_applications SET amount_fen = 1000000000000 WHERE id = :i"),
                         {"i": app_id})
        body = client.get("/api/v1/audit/verify", headers=admin).json()
        assert body["ok"] is False and body["bad_rows"] == [
            f"application {app_id}: the row differs from its last audit entry (edited behind its back)"]
        res = runner.invoke(cli, ["loans", "audit", "--db", url, "--format", "json"])
        assert res.exit_code == 1 and '"ok": false' in res.output
    engine.dispose()


def test_the_cli_anchors_a_chain_from_before_the_key_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from innocredit.cli import app as cli
    from innocredit.storage.base import make_engine
    from innocredit.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _history(engine)
    with engine.begin() as conn:  # as lending_0003 finds an old chain's head: no anchor
        conn.execute(text("UPDATE lending_audit_head SET mac = NULL"))
    engine.dispose()
    runner = CliRunner()
    res = runner.invoke(cli, ["loans", "audit", "--db", url])
    assert res.exit_code == 1 and "not anchored" in res.output
    res = runner.invoke(cli, ["loans", "audit", "--db", url, "--anchor"])
    assert res.exit_code == 0 and "tail anchored" in res.output, res.output
    assert runner.invoke(cli, ["loans", "audit", "--db", url]).exit_code == 0
