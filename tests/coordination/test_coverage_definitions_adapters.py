"""The coverage definition through every adapter (issue 15 item 9): the service, the CLI (``--coverage``), the API
(``?coverage=``) and the dashboard give the NFRA 活跃经营小微主体融资覆盖率 equal to ``compute_metrics`` on the same data
and to a hand count on six firms where the two definitions differ; an unknown definition is refused naming the
option and the choices; the coverage target is read from metrics.yaml (a policy with 0.55 changes the KPI)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from innocredit.cli import app as cli_app
from innocredit.coordination.metrics import compute_metrics, load_metrics_policy
from innocredit.coordination.policy import PolicyError
from innocredit.profile.uscc import make_uscc
from innocredit.services import coordination as service
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.services.lending import record_reported_loans
from innocredit.storage import lending as loan_repo

AS_OF = dt.date(2026, 6, 30)
NFRA = "nfra_active_small_micro"
OURS = "tech_sme_scale"

A, B = make_uscc("91330106MA2CKG01X"), make_uscc("91330106MA2CKG02X")
IND = make_uscc("92330106MA2CKG03X")      # 个体工商户 (USCC type 92)
MED, MED2, DORM = (make_uscc(f"91330108MA2CKG0{i}X") for i in (4, 5, 6))

# Six firms, every one registered active. Size standard (工信部联企业〔2011〕300号) lower bounds of "medium":
# software I 100 staff and 10M revenue, industry C 300 staff and 20M; ours: <= 500 staff, <= 200M revenue.
#   A     software, 20 staff, 5M          small under both                              loan
#   B     software, 20 staff, 5M          small under both                              no loan
#   IND   individual retail, 3 staff, 300M  NFRA always (个体工商户); ours no (revenue > 200M)  loan
#   MED   industry, 600 staff, 300M       medium under 划型; ours no (staff > 500): neither  loan
#   MED2  software, 150 staff, 50M        medium under 划型 (both bounds met); ours yes     loan
#   DORM  industry, 0 staff, 0 revenue    ours yes; NFRA no (not operating: the assumption) loan
# ours: population A, B, MED2, DORM = 4, with a loan A, MED2, DORM = 3 -> 3/4
# NFRA: population A, B, IND = 3, with a loan A, IND = 2 -> 2/3
TINY = pl.DataFrame({
    "uscc": [A, B, IND, MED, MED2, DORM],
    "region_code": ["330106", "330106", "330106", "330108", "330108", "330108"],
    "industry_code": ["I6513", "I6513", "F5211", "C3562", "I6513", "C3562"],
    "employees": [20, 20, 3, 600, 150, 0],
    "revenue": [5e6, 5e6, 3e8, 3e8, 5e7, 0.0],
    "registry_status": ["active"] * 6,
    "innovation_points": [70.0, 65.0, 50.0, 80.0, 75.0, 60.0],
})
LOANS = pl.DataFrame({
    "loan_id": ["CV1", "CV2", "CV3", "CV4", "CV5"],
    "uscc": [A, IND, MED, MED2, DORM],
    "bank_id": ["bank-hz-01"] * 5,
    "amount": [1_000_000.0] * 5,
    "rate": [0.04] * 5,
    "disbursed_on": [dt.date(2026, 1, 15)] * 5,
    "maturity_on": [dt.date(2027, 1, 15)] * 5,
    "outstanding": [800_000.0] * 5,
    "status": ["active"] * 5,
})
EMPTY_PUSHES = pl.DataFrame(schema={"push_id": pl.Int64, "uscc": pl.String, "bank_id": pl.String,
                                    "pushed_at": pl.Datetime("us", "UTC")})


def expected(coverage: str, by: str | None = None) -> dict[str, float | None]:
    frame = compute_metrics(TINY, LOANS, EMPTY_PUSHES, AS_OF, by=by, coverage=coverage)
    return {r["group"]: r["coverage_rate"] for r in frame.to_dicts()}


def test_the_hand_count_and_compute_metrics_agree():
    assert expected(OURS) == {"all": pytest.approx(3 / 4)}
    assert expected(NFRA) == {"all": pytest.approx(2 / 3)}
    assert expected(NFRA, "region") == {"330106": pytest.approx(2 / 3), "330108": None}   # none of 330108 in NFRA
    assert expected(OURS, "region") == {"330106": pytest.approx(1 / 2), "330108": pytest.approx(1.0)}
    assert expected(NFRA, "industry") == {"C": None, "F": pytest.approx(1.0), "I": pytest.approx(1 / 2)}
    assert expected(OURS, "industry") == {"C": pytest.approx(1.0), "F": None, "I": pytest.approx(2 / 3)}


# ---------------------------------------------------------------- service


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    migrate(eng)
    with unit_of_work(eng) as s:
        record_reported_loans(s, LOANS)
    yield eng
    eng.dispose()


def test_service_metrics_follow_the_coverage_option(engine):
    with unit_of_work(engine) as s:
        register = loan_repo.register_frame(s)
        nfra = service.metrics(s, as_of=AS_OF, enterprises=TINY, coverage=NFRA)
        ours = service.metrics(s, as_of=AS_OF, enterprises=TINY)
        by_region = service.metrics(s, as_of=AS_OF, by="region", enterprises=TINY, coverage=NFRA)
        by_industry = service.metrics(s, as_of=AS_OF, by="industry", enterprises=TINY, coverage=NFRA)
        story = service.monthly_story(s, enterprises=TINY, as_of=AS_OF, coverage=NFRA)
        story_ours = service.monthly_story(s, enterprises=TINY, as_of=AS_OF)
        with pytest.raises(ValueError, match="unknown coverage definition 'pboc'"):
            service.metrics(s, as_of=AS_OF, enterprises=TINY, coverage="pboc")
        with pytest.raises(ValueError, match="unknown coverage definition 'pboc'"):
            service.monthly_story(s, enterprises=TINY, as_of=AS_OF, coverage="pboc")
    assert register.height == 5                          # the same loans, read back from the register
    (g,) = nfra["groups"]
    assert (g["active_small_firms"], g["firms_with_loan"]) == (3, 2)
    assert g["coverage_rate"] == pytest.approx(2 / 3) == pytest.approx(expected(NFRA)["all"])
    assert nfra["coverage_definition"]["id"] == NFRA and "活跃经营小微主体融资覆盖率" in nfra["definitions"]
    assert ours["groups"][0]["coverage_rate"] == pytest.approx(3 / 4)
    assert ours["coverage_definition"]["id"] == OURS
    assert {x["group"]: x["coverage_rate"] for x in by_region["groups"]} == expected(NFRA, "region")
    assert {x["group"]: x["coverage_rate"] for x in by_industry["groups"]} == expected(NFRA, "industry")
    # the trend: 12 months to June 2026; the loans were disbursed on 2026-01-15
    assert [r["month"] for r in story][-1] == "2026-06" and len(story) == 12
    months = {r["month"]: r["coverage_rate"] for r in story}
    assert months["2025-12"] == 0.0 and months["2026-01"] == pytest.approx(2 / 3)
    assert months["2026-06"] == pytest.approx(2 / 3)
    assert story_ours[-1]["coverage_rate"] == pytest.approx(3 / 4)


# ---------------------------------------------------------------- the target in metrics.yaml


def _policy_with(tmp_path: Path, change) -> Path:
    from importlib import resources

    data = yaml.safe_load(resources.files("innocredit.coordination.policies").joinpath("metrics.yaml").read_text(
        encoding="utf-8"))
    change(data)
    path = tmp_path / "metrics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_target_is_read_from_the_policy_and_shown_on_the_kpi(engine, tmp_path):
    from innocredit.web.pages.coordination import coverage_kpi

    def target_055(d):
        d["coverage"]["definitions"][NFRA]["target"] = {"value": 0.55, "assumption": True,
                                                       "reasoning": "a test target"}

    policy = load_metrics_policy(_policy_with(tmp_path, target_055))
    with unit_of_work(engine) as s:
        report = service.metrics(s, as_of=AS_OF, enterprises=TINY, coverage=NFRA, policy=policy)
        default = service.metrics(s, as_of=AS_OF, enterprises=TINY, coverage=NFRA)
    target = report["coverage_definition"]["target"]
    assert target == {"value": 0.55, "source": None, "assumption": True, "reasoning": "a test target",
                      "reasoning_zh": None}
    rate = report["groups"][0]["coverage_rate"]
    assert coverage_kpi(report["coverage_definition"], rate, "zh") == (
        "融资覆盖率（活跃经营小微主体融资覆盖率） / 目标 55%", "66.7%")
    label, value = coverage_kpi(report["coverage_definition"], rate, "en")
    assert label.endswith("/ target 55%") and "(NFRA)" in label and value == "66.7%"
    # the bundled policy: 40% for both definitions, each with its source or marked an assumption
    assert default["coverage_definition"]["target"]["value"] == 0.40
    assert coverage_kpi(default["coverage_definition"], rate, "zh")[0].endswith("目标 40%")
    bundled = load_metrics_policy()
    for d in bundled.coverage:
        assert d.target is not None and d.target.value == 0.40
        assert d.target.source or (d.target.assumption and d.target.reasoning)
    assert "活跃经营小微主体融资覆盖率达40%" in (bundled.coverage_definition(NFRA).target.source or "")


@pytest.mark.parametrize(("target", "problem"), [
    ({"value": 0.5}, "'assumption' is a required property"),                 # no source and not an assumption
    ({"value": 0.5, "assumption": False, "reasoning": "x"}, "True was expected"),
    ({"value": 1e30, "source": "s"}, "is greater than the maximum of 1"),
    ({"value": "forty", "source": "s"}, "is not of type 'number'"),
    ({"value": 0, "source": "s"}, "less than or equal to the minimum of 0"),
])
def test_a_bad_target_names_the_file_and_the_path(tmp_path, target, problem):
    def put(d):
        d["coverage"]["definitions"][OURS]["target"] = target

    path = _policy_with(tmp_path, put)
    with pytest.raises(PolicyError) as err:
        load_metrics_policy(path)
    text = str(err.value)
    assert "metrics.yaml" in text and f"$.coverage.definitions.{OURS}.target" in text and problem in text


# ---------------------------------------------------------------- CLI

runner = CliRunner()


def _cli(*args):
    return runner.invoke(cli_app, [str(a) for a in args])


def test_cli_coverage_option(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    feats, loans = tmp_path / "features.csv", tmp_path / "loans.csv"
    TINY.write_csv(feats)
    LOANS.write_csv(loans)
    common = ("--as-of", AS_OF, "--format", "json", "--features", feats, "--loans", loans, "--database", db)
    r = _cli("metrics", "--coverage", NFRA, *common)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["coverage_definition"]["id"] == NFRA
    assert out["groups"][0]["coverage_rate"] == pytest.approx(2 / 3) == pytest.approx(expected(NFRA)["all"])
    r = _cli("metrics", *common)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["coverage_definition"]["id"] == OURS and out["groups"][0]["coverage_rate"] == pytest.approx(3 / 4)
    r = _cli("metrics", "--coverage", NFRA, "--by", "region", *common)
    assert {g["group"]: g["coverage_rate"] for g in json.loads(r.stdout)["groups"]} == expected(NFRA, "region")
    r = _cli("metrics", "--coverage", NFRA, "--as-of", AS_OF, "--features", feats, "--loans", loans,
             "--database", db)
    assert r.exit_code == 0 and "活跃经营小微主体融资覆盖率" in r.stdout   # the table's title names it
    assert "coverage target 40% (assumption)" in " ".join(r.stdout.split())  # and its target (metrics.yaml)
    r = _cli("metrics", "--coverage", "pboc", *common)
    assert r.exit_code == 2
    message = r.output.strip()
    assert "\n" not in message and "--coverage" in message and f"{OURS}, {NFRA}" in message and "'pboc'" in message


# ---------------------------------------------------------------- API and the dashboard page


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from innocredit.storage.migrate import upgrade
    from innocredit.web.app import create_app
    from innocredit.web.config import Settings
    from innocredit.web.demo import seed_demo_users

    url = f"sqlite:///{tmp_path_factory.mktemp('cov-web') / 'web.db'}"
    eng = make_engine(url)
    upgrade(eng)
    users = {u[0]: u for u in seed_demo_users(eng, A, "甲科技")}
    with unit_of_work(eng) as s:
        record_reported_loans(s, LOANS)
    eng.dispose()
    settings = Settings(database_url=url, secret_key="test-secret-" + "k" * 32, cookie_secure=False)
    application = create_app(settings, loader=lambda: TINY, patents_loader=lambda: pl.DataFrame())
    with TestClient(application) as client:
        token = client.post("/api/v1/auth/token", json={"username": "coordinator",
                                                        "password": users["coordinator"][1]}).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}, users


def test_api_coverage_query(web):
    client, headers, _ = web
    r = client.get(f"/api/v1/metrics?as_of={AS_OF}&coverage={NFRA}", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["coverage_definition"]["id"] == NFRA and "工信部联企业〔2011〕300号" in body["coverage_definition"][
        "source"]
    assert body["coverage_definition"]["target"]["value"] == 0.40
    assert body["groups"][0]["coverage_rate"] == pytest.approx(2 / 3) == pytest.approx(expected(NFRA)["all"])
    r = client.get(f"/api/v1/metrics?as_of={AS_OF}", headers=headers)
    assert r.json()["coverage_definition"]["id"] == OURS
    assert r.json()["groups"][0]["coverage_rate"] == pytest.approx(3 / 4)
    for by in ("region", "industry"):
        r = client.get(f"/api/v1/metrics?as_of={AS_OF}&by={by}&coverage={NFRA}", headers=headers)
        assert {g["group"]: g["coverage_rate"] for g in r.json()["groups"]} == expected(NFRA, by)


@pytest.mark.parametrize("bad", ["pboc", "NaN", "1e30", "tech_sme_scale;drop", "x" * 100])
def test_api_unknown_coverage_is_422_naming_the_parameter(web, bad):
    client, headers, _ = web
    r = client.get("/api/v1/metrics", params={"as_of": str(AS_OF), "coverage": bad}, headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("coverage: ") and f"{OURS}, {NFRA}" in detail
    assert r.json()["errors"][0]["loc"] == ["query", "coverage"]
    r = client.get("/api/v1/metrics", params={"coverage": "y" * 101}, headers=headers)  # over the length limit
    assert r.status_code == 422 and "coverage" in json.dumps(r.json()["errors"])


def _page_client(web) -> TestClient:
    client, _, users = web
    c = TestClient(client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "coordinator", "password": users["coordinator"][1], "csrf_token": token})
    return c


def _kpis(html: str) -> dict[str, str]:
    return {k: v for v, k in re.findall(r'<div class="v">([^<]*)</div><div class="k">([^<]*)</div>', html)}


def test_dashboard_names_the_definition_and_follows_the_choice(web):
    c = _page_client(web)
    zh = c.get("/dashboard?lang=zh").text
    assert 'data-definition="tech_sme_scale"' in zh and "科技型中小企业规模口径融资覆盖率" in zh
    assert "国科发政〔2017〕115号" in zh                                     # the source line
    assert _kpis(zh)["融资覆盖率（科技型中小企业规模口径融资覆盖率） / 目标 40%"] == "75.0%"
    assert f'href="/dashboard?coverage={NFRA}&amp;lang=zh"' in zh            # the switch keeps the language
    zh = c.get(f"/dashboard?lang=zh&coverage={NFRA}").text
    assert f'data-definition="{NFRA}"' in zh and "工信部联企业〔2011〕300号" in zh
    assert _kpis(zh)["融资覆盖率（活跃经营小微主体融资覆盖率） / 目标 40%"] == "66.7%"
    assert "授信覆盖率（近12个月，按月）（活跃经营小微主体融资覆盖率）" in zh   # the trend names it too
    assert "认定标准未公开" in zh and "operational test" not in zh          # the assumption in the page language
    assert "并非公开发布的目标" in zh                                       # why the 40% target is an assumption
    en = c.get(f"/dashboard?lang=en&coverage={NFRA}").text
    name = "financing coverage of active small and micro business entities (NFRA)"
    assert _kpis(en)[f"Financing coverage ({name}) / target 40%"] == "66.7%"
    assert "Coverage definition" in en and "operational test of 活跃经营 is not public" in en
    assert "not a published target" in en
    r = c.get("/dashboard?coverage=pboc")
    assert r.status_code == 422 and "coverage" in r.text and NFRA in r.text
