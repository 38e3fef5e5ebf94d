"""The coordinator's dashboard shows 看报表 vs 看技术 with its bootstrap interval and says whether the difference is
significant (issue 17 item 4, issue 18 item 5)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _office(web) -> TestClient:
    c = TestClient(web.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "coordinator", "password": web.users["coordinator"][1], "csrf_token": token})
    return c


def test_dashboard_shows_the_comparison_with_its_interval(web):
    result = web.app.state.data.comparison()
    assert result is not None, "the demo features carry outcomes: the comparison is computed"
    d = result["difference"]["auc"]
    assert d["ci_low"] <= d["difference"] <= d["ci_high"]
    assert d["significant"] == (d["ci_low"] > 0 or d["ci_high"] < 0)
    c = _office(web)
    zh = c.get("/dashboard?lang=zh").text
    shown = f"{d['difference']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
    assert "看报表 vs 看技术" in zh and shown in zh
    assert ("不显著" in zh) != d["significant"]
    en = c.get("/dashboard?lang=en").text
    assert "Balance sheet vs technology" in en and shown in en
    assert ("not significant" in en) != d["significant"]
