"""Small hand-written feed directories for the ingest tests (imported via conftest's sys.path entry)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from innocredit.profile.uscc import make_uscc

A = make_uscc("91330106MA2AAAAA0")
B = make_uscc("91330106MA2BBBBB0")
C = make_uscc("91330106MA2CCCCC0")


def write_feeds(root: Path) -> Path:
    """Two enterprises (A, B) across every feed; C only in the registry."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "registry.csv").write_text(
        "uscc,as_of,name,registered_on,industry_code,region_code,status,registered_capital,abnormal_operations,"
        "prohibited_products\n"
        f"{A},2025-06-30,Alpha Tech,2015-03-01,I6513,330106,active,5000000,false,false\n"
        f"{B},2025-06-30,Beta Devices,2019-07-15,C3562,330108,active,2000000,true,false\n"
        f"{C},2025-06-30,Gamma Bio,2021-01-10,M7340,330110,active,,,\n",
        encoding="utf-8")
    tax = pl.DataFrame({
        "uscc": [A, A, A, B],
        "as_of": ["2023-05-31", "2024-05-31", "2025-05-31", "2025-05-31"],
        "fiscal_year": [2022, 2023, 2024, 2024],
        "revenue": [10e6, 12e6, 15e6, 3e6],
        "main_business_revenue": [9e6, 11e6, 14e6, None],
        "net_assets": [4e6, 5e6, 6e6, 1e6],
        "net_profit": [1e6, -0.5e6, 2e6, 0.1e6],
        "rd_expense": [1e6, 1.2e6, 1.5e6, 0.2e6],
        "rd_expense_domestic": [0.9e6, 1.1e6, 1.4e6, None],
        "tax_credit_rating": ["B", "A", "A", "M"],
    }).with_columns(pl.col("as_of").str.to_date())
    tax.write_parquet(root / "tax_2025.parquet")
    (root / "social_insurance.csv").write_text(
        f"uscc,as_of,employees\n{A},2025-06-30,120\n{B},2025-06-30,30\n", encoding="utf-8")
    st = [
        {"uscc": A, "as_of": "2025-06-30", "tech_staff": 40, "rd_staff": 25, "high_tech_certified": True,
         "high_tech_cert_expires": "2026-12-31", "specialized_level": "specialized", "years_in_niche": 6.5,
         "ip_self_developed": True},
        {"uscc": B, "as_of": "2025-06-30", "tech_staff": 5, "high_tech_certified": True,
         "high_tech_cert_expires": "2025-09-30"},
    ]
    (root / "science_tech.jsonl").write_text("\n".join(json.dumps(r) for r in st) + "\n", encoding="utf-8")
    (root / "ip_office.csv").write_text(
        "uscc,as_of,patent_id,kind,status,filing_date,grant_date,main_product,high_value\n"
        f"{A},2025-06-30,CN1,invention,granted,2019-01-01,2021-05-01,true,true\n"
        f"{A},2025-06-30,CN2,invention,granted,2020-01-01,2022-05-01,false,false\n"
        f"{A},2025-06-30,CN3,invention,pending,2024-01-01,,true,false\n"
        f"{A},2025-06-30,CN4,utility_model,granted,2022-01-01,2022-09-01,true,false\n"
        f"{A},2025-06-30,SW1,software_copyright,granted,2023-01-01,2023-03-01,false,false\n"
        f"{A},2025-06-30,TM1,trademark,granted,2018-01-01,2018-06-01,true,false\n"
        f"{A},2025-06-30,CN5,utility_model,lapsed,2015-01-01,2015-09-01,true,false\n"
        f"{B},2025-06-30,CN9,design,granted,2024-01-01,2025-08-01,true,false\n",
        encoding="utf-8")
    (root / "courts.csv").write_text(
        f"uscc,as_of,serious_dishonesty,open_enforcement_cases,major_incident_recent\n"
        f"{B},2025-06-30,false,2,false\n", encoding="utf-8")
    (root / "bank_loans.csv").write_text(
        "uscc,as_of,loan_id,bank_id,amount,disbursed_on,maturity_on,outstanding,days_past_due,status,default_12m\n"
        f"{A},2025-06-30,L1,BK1,1000000,2025-01-15,2026-01-15,800000,0,active,\n"
        f"{B},2025-06-30,L2,BK1,500000,2024-11-01,2025-11-01,500000,95,overdue,\n"
        f"{B},2025-06-30,L3,BK2,200000,2023-01-01,2024-01-01,0,0,repaid,0\n", encoding="utf-8")
    (root / "applications.csv").write_text(
        f"uscc,as_of,requested_amount,requested_term_months,loan_purpose,order_backlog\n"
        f"{A},2025-07-01,3000000,36,rd,5000000\n", encoding="utf-8")
    return root


