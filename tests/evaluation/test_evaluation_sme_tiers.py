"""创新型中小企业 and 专精特新中小企业 (工信部企业〔2022〕63号 annexes 1 and 2)."""

from innocredit.evaluation import evaluate, load_system

INNOVATIVE = load_system("innovative-sme")
SPECIALIZED = load_system("specialized-sme")


def test_innovative_sme_points_and_group_minimums(firm):
    r = evaluate(INNOVATIVE, firm(), detail=True).row(0, named=True)
    # IP: no Class I on the main product, 3 Class II -> 5; R&D 2m -> 5 or 2m/40m = 5% -> 5: 5
    # growth: main revenue 38m/30m - 1 = 26.7% -> 20; debt 30m/60m = 50% -> 10
    # specialisation: strategic emerging -> 10; 38m/40m = 95% -> 20.  Total 70, but innovation 10 < 20
    assert (r["pt_ip_main_product"], r["pt_rd_input"], r["pt_main_revenue_growth"], r["pt_debt_ratio"]) == \
        (5.0, 5.0, 20.0, 10.0)
    assert (r["grp_innovation"], r["grp_growth"], r["grp_specialization"], r["score"]) == (10.0, 30.0, 30.0, 70.0)
    assert r["failed_conditions"] == ["innovation_minimum"] and not r["qualified"]
    # a Class I right on the main product, self-developed -> 15: innovation 20 -> qualifies with 80
    r = evaluate(INNOVATIVE, firm(ip_class1_main_product=1)).row(0, named=True)
    assert (r["grp_innovation"], r["score"], r["qualified"], r["route"]) == (20.0, 80.0, True, "score")


def test_innovative_sme_edges(firm):
    # R&D amount 5m -> 20 (the better of amount and share); main revenue growth exactly 15% (34.5m/30m) -> 20
    r = evaluate(INNOVATIVE, firm(rd_expense=5e6, main_business_revenue=34.5e6)).row(0, named=True)
    assert r["pt_rd_input"] == 20.0 and r["pt_main_revenue_growth"] == 20.0
    # growth exactly 0 -> 5; below 0 -> 0
    assert evaluate(INNOVATIVE, firm(main_business_revenue=30e6)).row(0, named=True)["pt_main_revenue_growth"] == 5.0
    assert evaluate(INNOVATIVE, firm(main_business_revenue=29e6)).row(0, named=True)["pt_main_revenue_growth"] == 0.0
    # debt ratio 55% exactly -> 5; 75% exactly -> 5 (the policy's "75%以上" is above 75); 75.1% -> 0
    for liab, pts in ((33e6, 5.0), (45e6, 5.0), (45.06e6, 0.0), (32.9e6, 10.0)):
        assert evaluate(INNOVATIVE, firm(liabilities=liab)).row(0, named=True)["pt_debt_ratio"] == pts


def test_innovative_sme_direct_route_and_tax_gate(firm):
    low = {"ip_class1_main_product": 0, "ip_class2_main_product": 0, "rd_expense": 0.0}
    r = evaluate(INNOVATIVE, firm(**low, equity_financing_3y=5e6)).row(0, named=True)
    assert r["qualified"] and r["route"] == "direct" and r["direct_routes"] == ["equity_financing"]
    r = evaluate(INNOVATIVE, firm(**low, equity_financing_3y=5e6, tax_credit_rating="D")).row(0, named=True)
    assert not r["qualified"] and "no_tax_violation" in r["failed_conditions"]


def test_specialized_sme_entry_conditions(firm):
    r = evaluate(SPECIALIZED, firm()).row(0, named=True)
    # example 1 is not yet an innovative SME
    assert r["failed_conditions"] == ["innovative_sme"]
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative", years_in_niche=1.9, rd_expense=999_999.0)) \
        .row(0, named=True)
    # 1.9 years in niche; R&D below 1m
    assert r["failed_conditions"] == ["niche_2y", "rd_1m_3pct"]
    # R&D 1.2m of 40m = 3% exactly -> passes
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative", rd_expense=1.2e6)).row(0, named=True)
    assert "rd_1m_3pct" not in r["failed_conditions"]


def test_specialized_sme_points(firm):
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative")).row(0, named=True)
    # main share 38/40 = 95% -> 5; sales growth 26.5% -> 10; 5 years in niche -> 2     (specialisation 17)
    # net margin 2.5m/40m = 6.25% -> 6; debt 50% -> 3 (50% is in [50%, 60%))           (refinement 9)
    # IP: no Class I on main product, Class II 3 -> 2; R&D 2m or 5% -> 4; R&D staff 24/120 = 20% -> 5;
    # no provincial R&D institution -> 0                                                 (innovation 11)
    assert (r["grp_specialization"], r["grp_refinement"], r["grp_innovation"], r["score"]) == (17.0, 9.0, 11.0, 37.0)
    assert not r["qualified"] and r["can_reach_60"] is True  # 37 + 30 = 67 >= 60: still reachable
