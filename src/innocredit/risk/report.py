"""The validation report as self-contained HTML with hand-written SVG charts (ROC, KS, calibration)."""

from __future__ import annotations

import html
import json
from typing import Any

W, H, PAD = 360, 280, 40


def _xy(x: float, y: float) -> tuple[float, float]:
    return PAD + x * (W - 2 * PAD), H - PAD - y * (H - 2 * PAD)


def _frame(title: str, xlabel: str, ylabel: str, body: str) -> str:
    ticks = []
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y0 = _xy(t, 0)
        x0, y = _xy(0, t)
        ticks.append(f'<text x="{x:.1f}" y="{y0 + 14:.1f}" font-size="10" text-anchor="middle">{t:g}</text>')
        ticks.append(f'<text x="{x0 - 6:.1f}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{t:g}</text>')
    x0, y0 = _xy(0, 0)
    x1, y1 = _xy(1, 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{html.escape(title)}">'
            f'<text x="{W / 2}" y="16" font-size="13" text-anchor="middle">{html.escape(title)}</text>'
            f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#888"/>'
            + "".join(ticks)
            + f'<text x="{W / 2}" y="{H - 6}" font-size="11" text-anchor="middle">{html.escape(xlabel)}</text>'
            f'<text x="12" y="{H / 2}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 12 {H / 2})">{html.escape(ylabel)}</text>' + body + "</svg>")


def _polyline(points: list[tuple[float, float]], color: str, dash: str = "") -> str:
    pts = " ".join("{:.1f},{:.1f}".format(*_xy(x, y)) for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"{extra}/>'


def roc_svg(roc: list[tuple[float, float]], auc: float) -> str:
    body = _polyline([(0, 0), (1, 1)], "#bbb", "4 3") + _polyline([(float(a), float(b)) for a, b in roc], "#1f5fa8")
    return _frame(f"ROC (AUC {auc:.3f})", "false positive rate", "true positive rate", body)


def ks_svg(ks: list[tuple[float, float, float]], value: float) -> str:
    bads = [(p, b) for p, b, _ in ks]
    goods = [(p, g) for p, _, g in ks]
    body = _polyline(bads, "#c0392b") + _polyline(goods, "#27ae60")
    return _frame(f"KS ({value:.3f})", "population share (riskiest first)", "cumulative share", body)


def calibration_svg(rows: list[dict[str, Any]]) -> str:
    pts = [(r["predicted"], r["observed"]) for r in rows if r.get("n")]
    top = max([0.05, *[max(p, o) for p, o in pts]]) * 1.1
    body = _polyline([(0, 0), (1, 1)], "#bbb", "4 3")
    for p, o in pts:
        x, y = _xy(min(p / top, 1), min(o / top, 1))
        body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f5fa8"/>'
    return _frame(f"Calibration by grade (axes 0-{top:.2f})", "predicted PD", "observed default rate", body)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>-</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape("" if v is None else str(v))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: dict[str, Any], title: str = "Model validation report / 模型验证报告") -> str:
    perf = report["performance"]
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if "model" in report:
        parts.append(f"<p>Model / 模型: {html.escape(str(report['model']))}</p>")
    parts.append("<h2>Performance / 区分能力与准确性</h2>" + _table([perf]))
    charts = []
    if report["curves"]["roc"]:
        charts.append(roc_svg(report["curves"]["roc"], perf["auc"]))
    charts.append(ks_svg(report["curves"]["ks"], perf["ks"]))
    charts.append(calibration_svg(report["calibration"]))
    parts.append('<div class="charts">' + "".join(charts) + "</div>")
    parts.append("<h2>Calibration by grade / 分级校准</h2>" + _table(report["calibration"]))
    for name, rows in report.get("segments", {}).items():
        parts.append(f"<h2>Segment / 分组: {html.escape(name)}</h2>" + _table(rows))
    if "stability" in report:
        st = report["stability"]
        parts.append(f"<h2>Stability / 稳定性</h2><p>Score PSI {st['score_psi']:.4f} ({st['score_level']})</p>")
        parts.append(_table([{"feature": f, **v} for f, v in st["csi"].items()]))
    if report.get("fairness"):
        parts += fairness_parts(report["fairness"])
    return _page(title, parts, report)


STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
         "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}.charts svg{margin-right:1em}"
         ".alert{color:#b00;font-weight:bold}.watch{color:#a60;font-weight:bold}")


def _page(title: str, parts: list[str], data_obj: dict[str, Any]) -> str:
    data = html.escape(json.dumps(data_obj, ensure_ascii=False, default=str))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(parts)}"
            f'<script type="application/json" id="report-data">{data}</script></body></html>')


def fairness_parts(fair: dict[str, Any]) -> list[str]:
    """Fairness section: by group at the cut-off, adverse impact ratio, proxies."""
    parts = [f"<h2>Fairness / 公平性</h2><p>PD cut-off {fair['cutoff_pd']:.4f} ({html.escape(fair['cutoff_rule'])}); "
             f"adverse impact below {fair['air_threshold']} (four-fifths rule); strong proxy from Cramér's V "
             f"{fair['proxy_threshold']}</p>"]
    for col, a in fair.get("attributes", {}).items():
        air = a.get("adverse_impact_ratio")
        flag = ' <span class="alert">adverse impact</span>' if a.get("adverse_impact") else ""
        parts.append(f"<h3>{html.escape(col)}: adverse impact ratio "
                     f"{'-' if air is None else f'{air:.3f}'}{flag}</h3>" + _table(a["groups"]))
        parts.append(_table(a["proxies"]))
    return parts


def monitor_html(result: dict[str, Any], title: str = "Model monitoring / 模型监测") -> str:
    """The monitoring result as self-contained HTML: PSI by score band, CSI by feature, alerts, default rate
    by grade."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if "model" in result:
        parts.append(f"<p>Model / 模型: {html.escape(str(result['model']))}; records {result['n_later']} "
                     f"(reference {result['n_dev']})</p>")
    lvl = result["score_level"]
    parts.append(f'<h2>Score PSI / 分数稳定性: <span class="{html.escape(lvl)}">{result["score_psi"]:.4f} '
                 f"({html.escape(lvl)})</span></h2>" + _table(result.get("score_bands", [])))
    parts.append("<h2>Alerts / 预警</h2>" + _table(result.get("alerts", [])))
    parts.append("<h2>CSI by feature / 特征稳定性</h2>"
                 + _table([{"feature": f, **v} for f, v in result["csi"].items()]))
    if result.get("default_rate_by_grade"):
        parts.append("<h2>Default rate by grade / 分级违约率</h2>" + _table(result["default_rate_by_grade"]))
    return _page(title, parts, result)
