"""Consent: grant, use, expiry and revocation; every read is checked and logged, refusals included."""

import datetime as dt

import pytest

from innocredit.coordination.consent import Consent, ConsentError, ConsentRefused, decide
from innocredit.profile.uscc import make_uscc
from innocredit.services import coordination as service
from innocredit.storage.base import unit_of_work

FIRM = make_uscc("91330106MA2CFA0Q1")
OTHER = make_uscc("91330108MA2CFB1R2")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def feeds(uscc):
    return {"tax": [{"uscc": uscc, "revenue": 1e7}], "registry": [{"uscc": uscc, "status": "active"}],
            "courts": [{"uscc": uscc, "open_enforcement_cases": 0}]}


def test_decide_covers_every_category_and_respects_time():
    c = Consent(1, FIRM, "bank-1", ("tax", "registry"), T0, T0 + dt.timedelta(days=30))
    assert decide([c], "bank-1", FIRM, ["tax"], T0).allowed
    assert decide([c], "bank-1", FIRM, ["tax"], T0 - dt.timedelta(seconds=1)).reason == "consent not_yet_valid"
    late = decide([c], "bank-1", FIRM, ["tax"], T0 + dt.timedelta(days=30))
    assert not late.allowed and late.reason == "consent expired"
    partial = decide([c], "bank-1", FIRM, ["tax", "courts"], T0)
    assert not partial.allowed and partial.missing == ("courts",)
    assert not decide([c], "bank-2", FIRM, ["tax"], T0).allowed          # another bank
    revoked = Consent(1, FIRM, "bank-1", ("tax",), T0, T0 + dt.timedelta(days=30), T0 + dt.timedelta(days=1))
    assert decide([revoked], "bank-1", FIRM, ["tax"], T0 + dt.timedelta(hours=23)).allowed
    assert decide([revoked], "bank-1", FIRM, ["tax"], T0 + dt.timedelta(days=1)).reason == "consent revoked"


def test_grant_read_revoke_refuse_and_log(engine):
    with unit_of_work(engine) as s:
        granted = service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["tax", "registry"],
                                        valid_until=T0 + dt.timedelta(days=90), now=T0, purpose="credit review")
    assert granted["state"] == "in_force" and granted["categories"] == ["tax", "registry"]

    with unit_of_work(engine) as s:
        got = service.read_enterprise_data(s, "bank-1", FIRM, ["tax"], "credit review",
                                           now=T0 + dt.timedelta(days=1), loader=feeds)
    assert got["data"] == {"tax": {"tax": [{"uscc": FIRM, "revenue": 1e7}]}}
    assert got["consents"] == {"tax": granted["id"]}

    # a category outside the consent is refused, and the refusal is logged even though the caller rolls back
    with pytest.raises(ConsentRefused) as e, unit_of_work(engine) as s:
        service.read_enterprise_data(s, "bank-1", FIRM, ["tax", "courts"], "credit review",
                                     now=T0 + dt.timedelta(days=2), loader=feeds)
    assert e.value.missing == ("courts",)

    # revocation by another enterprise is refused; by the owner it takes effect immediately
    with pytest.raises(service.NotFound), unit_of_work(engine) as s:
        service.revoke_consent(s, consent_id=granted["id"], uscc=OTHER, now=T0 + dt.timedelta(days=3))
    revoke_at = T0 + dt.timedelta(days=3, hours=1)
    with unit_of_work(engine) as s:
        rev = service.revoke_consent(s, consent_id=granted["id"], uscc=FIRM, now=revoke_at)
    assert rev["state"] == "revoked"
    with pytest.raises(ConsentRefused) as e2, unit_of_work(engine) as s:
        service.read_enterprise_data(s, "bank-1", FIRM, ["tax"], "credit review", now=revoke_at, loader=feeds)
    assert "revoked" in e2.value.reason

    with unit_of_work(engine) as s:
        log = service.access_log(s, uscc=FIRM)
    assert [(r["bank_id"], r["outcome"]) for r in log] == [("bank-1", "allowed"), ("bank-1", "refused"),
                                                           ("bank-1", "refused")]
    assert log[0]["consent_ids"] == f"tax:{granted['id']}"
    assert "missing courts" in log[1]["reason"] and "revoked" in log[2]["reason"]


def test_expiry_and_unknown_bank(engine):
    with unit_of_work(engine) as s:
        service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["ip"], valid_from=T0,
                              valid_until=T0 + dt.timedelta(days=10), now=T0)
    with pytest.raises(ConsentRefused, match="expired"), unit_of_work(engine) as s:
        service.read_enterprise_data(s, "bank-1", FIRM, ["ip"], "monitoring", now=T0 + dt.timedelta(days=10),
                                     loader=feeds)
    with pytest.raises(ConsentRefused, match="no consent"), unit_of_work(engine) as s:
        service.read_enterprise_data(s, "bank-9", FIRM, ["ip"], "prospecting", now=T0, loader=feeds)
    with unit_of_work(engine) as s:
        assert [r["outcome"] for r in service.access_log(s, uscc=FIRM)] == ["refused", "refused"]
        assert service.list_consents(s, uscc=FIRM, now=T0 + dt.timedelta(days=11))[0]["state"] == "expired"


def test_bad_grants_are_rejected_with_reasons(sqlite_engine):
    with unit_of_work(sqlite_engine) as s:
        with pytest.raises(ConsentError, match="unknown data categories salary"):
            service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["salary"],
                                  valid_until=T0 + dt.timedelta(days=1), now=T0)
        with pytest.raises(ConsentError, match="before it starts"):
            service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["tax"], valid_until=T0, now=T0)
        with pytest.raises(ConsentError, match="1095 days"):
            service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["tax"],
                                  valid_until=T0 + dt.timedelta(days=2000), now=T0)
        with pytest.raises(service.CoordinationInputError, match="check character"):
            service.grant_consent(s, uscc=FIRM[:-1] + ("0" if FIRM[-1] != "0" else "1"), bank_id="bank-1",
                                  categories=["tax"], valid_until=T0 + dt.timedelta(days=1), now=T0)
        assert service.list_consents(s) == []


def test_default_loader_reads_the_feed_store(sqlite_engine):
    # without a loader the data come from innocredit.services.feeds.enterprise_history (empty store here)
    with unit_of_work(sqlite_engine) as s:
        service.grant_consent(s, uscc=FIRM, bank_id="bank-1", categories=["tax", "bank_history"],
                              valid_until=T0 + dt.timedelta(days=5), now=T0)
    with unit_of_work(sqlite_engine) as s:
        got = service.read_enterprise_data(s, "bank-1", FIRM, ["tax", "bank_history"], "review", now=T0)
    assert got["data"] == {"tax": {"tax": []}, "bank_history": {"bank_loans": []}}
