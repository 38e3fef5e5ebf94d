"""The message catalogue for the pages: every key has zh-CN and English text. zh is the default."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LANGS = ("zh", "en")
LANG_COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "app.name": {"zh": "科创信贷协同平台", "en": "InnoCredit platform"},
    "app.tagline": {"zh": "从看报表到看赛道，从看抵押到看技术", "en": "From the balance sheet to the track; from collateral to technology"},
    "nav.home": {"zh": "首页", "en": "Home"},
    "nav.dashboard": {"zh": "协同看板", "en": "Dashboard"},
    "nav.lists": {"zh": "推荐清单", "en": "Recommendation lists"},
    "nav.data": {"zh": "数据上传与下载", "en": "Data in and out"},
    "lists.upload_items": {"zh": "上传申报清单（Excel 或 CSV）", "en": "Upload application items (Excel or CSV)"},
    "lists.upload": {"zh": "上传", "en": "Upload"},
    "common.download": {"zh": "下载", "en": "Download"},
    "app.report": {"zh": "授信调查报告", "en": "Credit report"},
    "dash.compare": {"zh": "看报表 vs 看技术（AUC）", "en": "Balance sheet vs technology (AUC)"},
    "dash.compare_balance_sheet": {"zh": "看报表", "en": "Balance sheet"},
    "dash.compare_technology": {"zh": "看技术", "en": "Technology"},
    "dash.compare_diff": {"zh": "AUC 差（95% 区间）", "en": "AUC difference (95% interval)"},
    "dash.significant": {"zh": "显著", "en": "significant"},
    "dash.not_significant": {"zh": "不显著（区间含 0）", "en": "not significant (the interval contains 0)"},
    "nav.directory": {"zh": "企业名录", "en": "Enterprises"},
    "nav.inbox": {"zh": "推荐企业", "en": "Inbox"},
    "nav.applications": {"zh": "授信申请", "en": "Applications"},
    "nav.loans": {"zh": "贷款", "en": "Loans"},
    "nav.portfolio": {"zh": "资产组合", "en": "Portfolio"},
    "nav.models": {"zh": "风险模型", "en": "Risk models"},
    "nav.me": {"zh": "我的企业", "en": "My enterprise"},
    "nav.logout": {"zh": "退出", "en": "Log out"},
    "nav.login": {"zh": "登录", "en": "Log in"},
    "nav.lang": {"zh": "English", "en": "中文"},
    "login.title": {"zh": "登录", "en": "Log in"},
    "login.username": {"zh": "用户名", "en": "Username"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Log in"},
    "login.failed": {"zh": "用户名或密码错误", "en": "Wrong username or password"},
    "login.throttled": {"zh": "登录失败次数过多，请稍后再试", "en": "Too many failed logins; try again later"},
    "role.coordinator": {"zh": "协调办公室", "en": "Coordinator"},
    "role.bank_officer": {"zh": "客户经理", "en": "Bank credit officer"},
    "role.bank_approver": {"zh": "审批人", "en": "Bank approver"},
    "role.bank_modeller": {"zh": "风险建模", "en": "Risk modeller"},
    "role.guarantor": {"zh": "担保机构", "en": "Guarantee agency"},
    "role.enterprise": {"zh": "企业", "en": "Enterprise"},
    "role.admin": {"zh": "管理员", "en": "Administrator"},
    "common.search": {"zh": "查询", "en": "Search"},
    "common.filter": {"zh": "筛选", "en": "Filter"},
    "common.all": {"zh": "全部", "en": "All"},
    "common.prev": {"zh": "上一页", "en": "Previous"},
    "common.next": {"zh": "下一页", "en": "Next"},
    "common.none": {"zh": "暂无数据", "en": "Nothing here yet"},
    "common.yes": {"zh": "是", "en": "Yes"},
    "common.no": {"zh": "否", "en": "No"},
    "common.total": {"zh": "合计", "en": "Total"},
    "common.submit": {"zh": "提交", "en": "Submit"},
    "common.status": {"zh": "状态", "en": "Status"},
    "common.actions": {"zh": "操作", "en": "Actions"},
    "common.open": {"zh": "查看", "en": "Open"},
    "common.date": {"zh": "日期", "en": "Date"},
    "common.amount": {"zh": "金额（元）", "en": "Amount (CNY)"},
    "common.note": {"zh": "备注", "en": "Note"},
    "error.title": {"zh": "出错了", "en": "Something went wrong"},
    "error.401": {"zh": "请先登录", "en": "Please log in"},
    "error.403": {"zh": "无权访问", "en": "You may not see this"},
    "error.404": {"zh": "未找到", "en": "Not found"},
    "error.500": {"zh": "服务器内部错误，已记录", "en": "An unexpected error; it has been logged"},
    "ent.uscc": {"zh": "统一社会信用代码", "en": "USCC"},
    "ent.name": {"zh": "企业名称", "en": "Name"},
    "ent.industry": {"zh": "行业", "en": "Industry"},
    "ent.region": {"zh": "地区", "en": "Region"},
    "ent.registered_on": {"zh": "成立日期", "en": "Established"},
    "ent.employees": {"zh": "从业人数", "en": "Employees"},
    "ent.revenue": {"zh": "销售收入（元）", "en": "Revenue (CNY)"},
    "ent.rd_expense": {"zh": "研发费用（元）", "en": "R&D expense (CNY)"},
    "ent.ip_class1": {"zh": "I类知识产权", "en": "Class I IP"},
    "ent.high_tech": {"zh": "高新技术企业", "en": "High-tech certified"},
    "ent.specialized": {"zh": "专精特新等级", "en": "Specialized SME level"},
    "ent.as_of": {"zh": "数据日期", "en": "Data as of"},
    "ent.profile": {"zh": "企业画像", "en": "Enterprise profile"},
    "ent.basic": {"zh": "基本信息", "en": "Basic information"},
    "ent.directory": {"zh": "企业名录", "en": "Enterprise directory"},
    "ent.count": {"zh": "家企业", "en": "enterprises"},
    "ent.q": {"zh": "名称或代码", "en": "Name or code"},
    "ent.qualified_only": {"zh": "仅显示入库企业", "en": "Qualified only"},
    "eval.title": {"zh": "科技评价", "en": "Technology evaluation"},
    "eval.system": {"zh": "评价体系", "en": "Indicator system"},
    "eval.score": {"zh": "得分", "en": "Score"},
    "eval.qualified": {"zh": "是否达标", "en": "Qualified"},
    "eval.route": {"zh": "认定路径", "en": "Route"},
    "eval.groups": {"zh": "分组得分", "en": "Group points"},
    "eval.track": {"zh": "赛道百分位", "en": "Track percentile"},
    "eval.explain": {"zh": "评价解释", "en": "Explanation"},
    "eval.path": {"zh": "达到政策线的路径", "en": "Path to the policy line"},
    "eval.failed": {"zh": "未满足条件", "en": "Failed conditions"},
    "eval.missing": {"zh": "缺失数据", "en": "Missing data"},
    "eval.indicator": {"zh": "指标", "en": "Indicator"},
    "eval.value": {"zh": "取值", "en": "Value"},
    "eval.points": {"zh": "得分/满分", "en": "Points / max"},
    "eval.line": {"zh": "政策线", "en": "Policy line"},
    "eval.stage": {"zh": "发展阶段", "en": "Stage"},
    "eval.new_score": {"zh": "调整后得分", "en": "New score"},
    "eval.reaches_line": {"zh": "可达标", "en": "reaches the line"},
    "eval.bonus": {"zh": "加分", "en": "Bonus"},
    "eval.unavailable": {"zh": "评价模块尚未安装", "en": "The evaluation module is not installed"},
    "dash.title": {"zh": "协同看板", "en": "Coordination dashboard"},
    "dash.by_region": {"zh": "按地区企业数", "en": "Enterprises by region"},
    "dash.by_industry": {"zh": "按行业门类企业数", "en": "Enterprises by industry section"},
    "dash.qualified_by_industry": {"zh": "按行业达标率", "en": "Qualified share by industry"},
    "dash.coverage_region": {"zh": "按地区授信覆盖率", "en": "Credit coverage by region"},
    "dash.coverage_industry": {"zh": "按行业授信覆盖率", "en": "Credit coverage by industry"},
    "dash.coverage": {"zh": "小微科技企业授信覆盖率", "en": "Credit coverage of small tech firms"},
    "dash.outcomes": {"zh": "推荐清单反馈", "en": "List outcomes"},
    "dash.days_to_credit": {"zh": "获贷天数分布", "en": "Days to credit"},
    "dash.enterprises": {"zh": "企业总数", "en": "Enterprises"},
    "dash.qualified": {"zh": "达标企业", "en": "Qualified"},
    "consent.title": {"zh": "数据授权", "en": "Consents"},
    "ip.title": {"zh": "知识产权", "en": "Intellectual property"},
    "risk.title": {"zh": "违约概率", "en": "Probability of default"},
    "lending.offers": {"zh": "匹配产品", "en": "Matched products"},
    "lists.title": {"zh": "申报与推荐清单", "en": "Application and recommendation lists"},
    "lists.new": {"zh": "新建申报清单", "en": "New application list"},
    "lists.name": {"zh": "清单名称", "en": "List name"},
    "lists.create": {"zh": "创建", "en": "Create"},
    "lists.items": {"zh": "申报企业", "en": "Applicants"},
    "route.score": {"zh": "评分达标", "en": "score"},
    "route.direct": {"zh": "直接认定", "en": "direct"},
    "models.kind": {"zh": "模型类型", "en": "kind"},
    "models.target": {"zh": "目标变量", "en": "target"},
    "models.holdout": {"zh": "留出样本表现", "en": "holdout"},
    "models.oot": {"zh": "跨时间样本", "en": "out of time"},
    "models.data": {"zh": "数据", "en": "data"},
    "models.candidate": {"zh": "候选", "en": "candidate"},
    "models.champion": {"zh": "冠军模型", "en": "champion"},
    "models.retired": {"zh": "已退役", "en": "retired"},
    "app.actor": {"zh": "操作人", "en": "actor"},
    "stage.startup": {"zh": "初创期", "en": "start-up"},
    "stage.growth": {"zh": "成长期", "en": "growth"},
    "stage.mature": {"zh": "成熟期", "en": "mature"},
    "purpose.working_capital": {"zh": "流动资金", "en": "working capital"},
    "purpose.rd": {"zh": "研发投入", "en": "R&D"},
    "purpose.equipment": {"zh": "设备购置", "en": "equipment"},
    "purpose.order_fulfilment": {"zh": "订单履约", "en": "order fulfilment"},
    "lists.add_items": {"zh": "添加企业（每行：统一社会信用代码,金额,期限月数,用途）", "en": "Add firms (one a line: USCC,amount,term months,purpose)"},
    "lists.fixed_premises": {"zh": "均有固定经营场所", "en": "All have fixed premises"},
    "lists.add": {"zh": "添加", "en": "Add"},
    "lists.screen": {"zh": "筛选（五项条件）", "en": "Screen (five criteria)"},
    "lists.recommend": {"zh": "生成推荐清单", "en": "Create recommendation list"},
    "lists.push": {"zh": "推送至银行", "en": "Push to banks"},
    "lists.passed": {"zh": "通过", "en": "Passed"},
    "lists.failed": {"zh": "未通过", "en": "Failed"},
    "lists.unknown": {"zh": "待核实", "en": "Unknown"},
    "lists.reco": {"zh": "推荐清单", "en": "Recommendation list"},
    "lists.pushes": {"zh": "推送与反馈", "en": "Pushes and answers"},
    "lists.points": {"zh": "创新积分", "en": "Innovation points"},
    "lists.bank": {"zh": "银行", "en": "Bank"},
    "lists.due": {"zh": "反馈期限", "en": "Answer due"},
    "lists.all_banks": {"zh": "按规则分配银行（不勾选）", "en": "Route by the rules (tick none)"},
    "push.pushed": {"zh": "已推送", "en": "Pushed"},
    "push.accepted": {"zh": "已受理", "en": "Accepted"},
    "push.declined": {"zh": "已拒绝", "en": "Declined"},
    "push.credit_granted": {"zh": "已授信", "en": "Credit granted"},
    "push.disbursed": {"zh": "已放款", "en": "Disbursed"},
    "inbox.title": {"zh": "推荐企业", "en": "Recommended firms"},
    "inbox.accept": {"zh": "受理", "en": "Accept"},
    "inbox.decline": {"zh": "拒绝", "en": "Decline"},
    "inbox.reason": {"zh": "拒绝原因", "en": "Reason"},
    "app.title": {"zh": "授信申请", "en": "Credit applications"},
    "app.review": {"zh": "审查审批", "en": "Review and decision"},
    "app.product": {"zh": "产品", "en": "Product"},
    "app.term": {"zh": "期限（月）", "en": "Term (months)"},
    "app.apply": {"zh": "发起申请", "en": "Apply"},
    "app.submit_approval": {"zh": "提交审批", "en": "Submit for approval"},
    "app.approve": {"zh": "批准", "en": "Approve"},
    "app.reject": {"zh": "否决", "en": "Reject"},
    "app.withdraw": {"zh": "撤回", "en": "Withdraw"},
    "app.contract": {"zh": "签订合同", "en": "Sign contract"},
    "app.rate": {"zh": "年利率", "en": "Annual rate"},
    "app.disburse": {"zh": "放款", "en": "Disburse"},
    "app.reviewer": {"zh": "审查人", "en": "Reviewer"},
    "app.approvers": {"zh": "审批人", "en": "Approvers"},
    "app.sla_due": {"zh": "审批时限", "en": "Decision due"},
    "app.four_eyes": {"zh": "双人审批：审查人不能审批本笔申请", "en": "Four-eyes: the reviewer may not approve this application"},
    "app.first_approval": {"zh": "已有一位审批人批准，待第二位审批人", "en": "First approval recorded; a second approver is needed"},
    "app.loan": {"zh": "贷款", "en": "Loan"},
    "app.audit": {"zh": "审计轨迹", "en": "Audit trail"},
    "offers.eligible": {"zh": "可申请", "en": "Eligible"},
    "offers.limit": {"zh": "额度（元）", "en": "Limit (CNY)"},
    "offers.reason": {"zh": "未满足", "en": "Not met"},
    "offers.unavailable": {"zh": "产品匹配模块尚未安装", "en": "Product matching is not installed"},
    "loan.title": {"zh": "贷款", "en": "Loan"},
    "loan.principal": {"zh": "本金（元）", "en": "Principal (CNY)"},
    "loan.outstanding": {"zh": "余额（元）", "en": "Outstanding (CNY)"},
    "loan.schedule": {"zh": "还款计划", "en": "Repayment schedule"},
    "loan.no": {"zh": "期数", "en": "No."},
    "loan.due": {"zh": "到期日", "en": "Due"},
    "loan.payment": {"zh": "应还（元）", "en": "Payment (CNY)"},
    "loan.interest": {"zh": "利息（元）", "en": "Interest (CNY)"},
    "loan.principal_part": {"zh": "本金（元）", "en": "Principal (CNY)"},
    "loan.paid": {"zh": "已还（元）", "en": "Paid (CNY)"},
    "loan.repayments": {"zh": "还款记录", "en": "Repayments"},
    "loan.repay": {"zh": "登记还款", "en": "Record repayment"},
    "loan.dpd": {"zh": "逾期天数", "en": "Days past due"},
    "loan.disbursed_on": {"zh": "放款日", "en": "Disbursed on"},
    "portfolio.title": {"zh": "资产组合与预警", "en": "Portfolio and early warnings"},
    "portfolio.alerts": {"zh": "贷后预警", "en": "Early warnings"},
    "portfolio.severity": {"zh": "级别", "en": "Severity"},
    "me.title": {"zh": "我的企业", "en": "My enterprise"},
    "me.score": {"zh": "我的评分", "en": "My score"},
    "me.raise": {"zh": "如何提升", "en": "How to raise it"},
    "me.consents": {"zh": "我的数据授权", "en": "My consents"},
    "me.grant": {"zh": "授权银行查看", "en": "Grant a bank access"},
    "me.categories": {"zh": "数据类别", "en": "Data categories"},
    "me.until": {"zh": "有效期至", "en": "Valid until"},
    "me.revoke": {"zh": "撤销", "en": "Revoke"},
    "me.loans": {"zh": "我的贷款", "en": "My loans"},
    "me.apply": {"zh": "提出融资需求", "en": "Ask for financing"},
    "me.applied": {"zh": "已提交至协调办公室", "en": "Sent to the coordination office"},
    "me.applications": {"zh": "我的申请", "en": "My applications"},
    "models.title": {"zh": "风险模型", "en": "Risk models"},
    "models.validation": {"zh": "验证报告", "en": "Validation report"},
    "risk.grade": {"zh": "风险等级", "en": "PD grade"},
    "risk.reasons": {"zh": "主要原因", "en": "Reason codes"},
    "ip.capacity": {"zh": "可质押额度（元）", "en": "Pledge capacity (CNY)"},
    "ip.value": {"zh": "组合价值（元）", "en": "Portfolio value (CNY)"},
    "ip.patents": {"zh": "专利数", "en": "Patents"},
    "ip.kind": {"zh": "类型", "en": "Kind"},
    "list.page": {"zh": "第 {page} / {pages} 页 · 共 {total} 条", "en": "Page {page} of {pages} · {total} rows"},
    "list.overdue": {"zh": "已逾期", "en": "Overdue"},
    "list.months": {"zh": "个月", "en": " months"},
    "list.no_product": {"zh": "无可申请产品", "en": "No eligible product"},
    "list.days_late": {"zh": "已超期 {n} 个工作日", "en": "{n} working days late"},
    "list.due_today": {"zh": "今日到期", "en": "Due today"},
    "list.days_left": {"zh": "剩 {n} 个工作日", "en": "{n} working days left"},
    "list.points": {"zh": "创新积分/政策线", "en": "Points / line"},
    "list.qualifications": {"zh": "资质", "en": "Qualifications"},
    "list.requested": {"zh": "申请金额·期限·用途", "en": "Requested amount · term · purpose"},
    "list.best": {"zh": "最优可申请产品（额度·利率）", "en": "Best eligible product (limit · rate)"},
    "list.contracted": {"zh": "签约日", "en": "Contracted"},
    "list.select": {"zh": "选择", "en": "Select"},
    "list.bulk": {"zh": "对勾选企业：", "en": "For the ticked firms:"},
    "dash.target": {"zh": "目标", "en": "target"},
    "list.purpose": {"zh": "用途", "en": "Purpose"},
    "eval.reachable": {"zh": "含专家评价项的可达区间：{low}–{high} 分（政策线 {line}）", "en": "Reachable range with the expert-judgement items: {low}–{high} points (line {line})"},
    "eval.combination": {"zh": "最省成本的组合", "en": "Cheapest combination"},
    "eval.gap": {"zh": "距政策线还差 {gap} 分", "en": "{gap} points short of the line"},
    "dash.days_median": {"zh": "推送至授信中位天数", "en": "Median days push to credit"},
    "dash.trend_coverage": {"zh": "授信覆盖率（近12个月，按月）", "en": "Credit coverage (12 months to each month)"},
    "dash.trend_days": {"zh": "推送至授信中位天数（按月）", "en": "Median days from push to credit (monthly)"},
    "dash.trend_unsecured": {"zh": "信用（无抵押）贷款占比（按月）", "en": "Unsecured share of the amount lent (monthly)"},
    "dash.trend_first": {"zh": "首贷户数（按月）", "en": "First loans (monthly)"},
    "dash.trend_relending": {"zh": "可申请再贷款金额（按月）", "en": "Relending-eligible amount (monthly)"},
    "dash.wan": {"zh": "万元", "en": "×10k CNY"},
    # coverage definitions on the dashboard (issue 15 item 9): the definition in use, its source, the switch
    "cov.kpi": {"zh": "融资覆盖率", "en": "Financing coverage"},
    "cov.definition": {"zh": "覆盖率口径", "en": "Coverage definition"},
    "cov.switch": {"zh": "切换口径", "en": "Switch definition"},
    "cov.source": {"zh": "来源", "en": "Source"},
    "cov.assumption": {"zh": "假设", "en": "Assumption"},
    # the guarantor's decision and 代偿 (issue 15 item 7): the guarantor's page /guarantees
    "nav.guarantees": {"zh": "担保审批", "en": "Guarantee requests"},
    "guar.title": {"zh": "担保申请与代偿", "en": "Guarantee requests and compensation"},
    "guar.open": {"zh": "待决定的担保申请", "en": "Requests awaiting a decision"},
    "guar.decided": {"zh": "已决定", "en": "Decided"},
    "guar.firm": {"zh": "企业", "en": "Enterprise"},
    "guar.bank": {"zh": "贷款银行", "en": "Lending bank"},
    "guar.scheme": {"zh": "担保计划", "en": "Guarantee scheme"},
    "guar.cap": {"zh": "费率上限", "en": "fee cap"},
    "guar.amount": {"zh": "贷款金额（元）", "en": "Loan amount (CNY)"},
    "guar.guaranteed": {"zh": "担保金额（元）", "en": "Guaranteed (CNY)"},
    "guar.requested_on": {"zh": "申请日期", "en": "Requested on"},
    "guar.decide": {"zh": "决定", "en": "Decision"},
    "guar.fee_rate": {"zh": "担保费率（年）", "en": "Fee rate (a year)"},
    "guar.approve": {"zh": "同意担保", "en": "Approve"},
    "guar.decline": {"zh": "拒绝", "en": "Decline"},
    "guar.reason": {"zh": "拒绝原因", "en": "Reason"},
    "guar.note": {"zh": "说明", "en": "Note"},
    "guar.approved": {"zh": "已同意", "en": "Approved"},
    "guar.declined": {"zh": "已拒绝", "en": "Declined"},
    "guar.decided_by": {"zh": "决定人", "en": "Decided by"},
    "guar.compensation": {"zh": "代偿", "en": "Compensation (代偿)"},
    "guar.loan": {"zh": "贷款", "en": "Loan"},
    "guar.due": {"zh": "应代偿金额（元）", "en": "Owed to the bank (CNY)"},
    "guar.own_share": {"zh": "本机构分担（元）", "en": "Own share (CNY)"},
    "guar.due_on": {"zh": "代偿期限", "en": "Due on"},
    "guar.due_status": {"zh": "待代偿", "en": "Due"},
    "guar.paid": {"zh": "已代偿", "en": "Paid"},
    "guar.paid_late": {"zh": "逾期代偿", "en": "Paid late"},
    "guar.pay": {"zh": "登记代偿", "en": "Record payment"},
    "guar.panel": {"zh": "担保", "en": "Guarantee"},
    "guar.guarantor": {"zh": "担保机构", "en": "Guarantor"},
    "guar.ask": {"zh": "申请担保", "en": "Ask for a guarantee"},
    "guar.contract": {"zh": "签订担保贷款合同", "en": "Sign the guaranteed contract"},
    "guar.open_status": {"zh": "待决定", "en": "Awaiting decision"},
    # ---- qualification certificates and the expiry early warning (web/pages/qualifications.py)
    "nav.qualifications": {"zh": "资质到期预警", "en": "Expiring qualifications"},
    "qual.title": {"zh": "资质证书到期预警", "en": "Qualification certificates about to lapse"},
    "qual.certificates": {"zh": "资质证书", "en": "Qualification certificates"},
    "qual.qualification": {"zh": "资质", "en": "Qualification"},
    "qual.number": {"zh": "证书编号", "en": "Certificate no."},
    "qual.issued": {"zh": "发证日期", "en": "Issued on"},
    "qual.valid_until": {"zh": "有效期至", "en": "Last valid day"},
    "qual.valid": {"zh": "有效", "en": "Valid"},
    "qual.not_valid": {"zh": "已失效", "en": "Not valid"},
    "qual.days_left": {"zh": "剩余天数", "en": "Days left"},
    "qual.open_end": {"zh": "未载明", "en": "Not stated"},
    "qual.on": {"zh": "基准日", "en": "On"},
    "qual.within": {"zh": "预警天数", "en": "Days ahead"},
    "qual.show": {"zh": "查询", "en": "Show"},
    "qual.banks": {"zh": "在贷银行", "en": "Lending banks"},
    "qual.summary": {"zh": "{on} 起 {days} 天内到期且未续期的证书：{n} 张",
                     "en": "{n} certificate(s) lapse within {days} days of {on} with no renewal on record"},
    "qual.raise": {"zh": "向在贷银行发出预警", "en": "Warn the lending banks"},
    "qual.raised": {"zh": "已在在贷贷款上新增预警 {n} 条", "en": "{n} new alert(s) stored on outstanding loans"},
    "qual.rule": {"zh": "有效期：高新技术企业、专精特新（含创新型、小巨人）自发证之日起三年（国科发火〔2016〕32号；工信部企业〔2022〕63号），"
                        "科技型中小企业入库按年度（至当年12月31日，假设）；提前90天预警（假设）。",
                  "en": "Validity: high-tech and the 专精特新 tiers three years from the day of issue (国科发火〔2016〕32号; "
                        "工信部企业〔2022〕63号); tech-SME registration yearly (to 31 December, an assumption); warned 90 days "
                        "ahead (an assumption)."},
}


def normalise(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    if lang.startswith("en"):
        return "en"
    if lang.startswith("zh"):
        return "zh"
    return None


def request_lang(request: Request) -> str:
    """``?lang=`` first, then the ``lang`` cookie, then the app default (zh)."""
    return (normalise(request.query_params.get("lang")) or normalise(request.cookies.get(LANG_COOKIE))
            or request.app.state.settings.default_lang)


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **kw: object) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        text = entry.get(lang) or entry["zh"]
        return text.format(**kw) if kw else text

    return t


def pick(value: object, lang: str) -> str:
    """A bilingual value ({"zh":..., "en":...}) in the page language; plain strings pass through."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or value.get("en") or "")
    return "" if value is None else str(value)


# ---- names of codes: one catalogue for states, products, alert levels, regions, purposes ------------------------
# Each kind maps a code to its zh-CN and English name. Pages and charts call ``label(kind, code, lang)``;
# tests/web/test_web_pages_names.py fails when a Chinese page shows a code from here untranslated.

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "state": {
        "draft": ("草稿", "draft"), "submitted": ("已提交", "submitted"), "under_review": ("审查中", "under review"),
        "approved": ("已批准", "approved"), "rejected": ("已拒绝", "rejected"), "withdrawn": ("已撤回", "withdrawn"),
        "contracted": ("已签约", "contracted"), "active": ("已放款（正常）", "active"),
        "repaid": ("已结清", "repaid"), "overdue": ("逾期", "in arrears"), "defaulted": ("违约", "defaulted"),
        "written_off": ("已核销", "written off"), "closed": ("已关闭", "closed"),
        "awaiting_second": ("待第二审批人", "awaiting the second approver"),
    },
    "push": {
        "pushed": ("已推送", "Pushed"), "accepted": ("已受理", "Accepted"), "declined": ("已拒绝", "Declined"),
        "credit_granted": ("已授信", "Credit granted"), "disbursed": ("已放款", "Disbursed"),
    },
    "severity": {
        "low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high"), "critical": ("严重", "critical"),
    },
    # products the banks report by kind (the loan register's bank feed) besides the catalogue's product ids
    "product_kind": {
        "innovation": ("研发贷", "Innovation loan"), "talent": ("人才贷", "Talent loan"),
        "credit": ("信用贷", "Credit loan"), "guaranteed": ("担保贷", "Guaranteed loan"),
        "ip_pledge": ("知识产权质押贷", "IP pledge loan"), "patent_pool": ("专利池质押贷", "Patent pool loan"),
        "innovation_points": ("创新积分贷", "Innovation-points credit loan"),
        "order_financing": ("订单贷", "Order-financing loan"),
    },
    "purpose": {
        "working_capital": ("流动资金", "working capital"), "rd": ("研发投入", "R&D"),
        "equipment": ("设备购置", "equipment"), "order_fulfilment": ("订单履约", "order fulfilment"),
        "other": ("其他", "other"),
    },
    # GB/T 2260 county-level divisions of the demo district (Zhejiang)
    "region": {
        "330100": ("杭州市", "Hangzhou"),
        "330102": ("杭州市上城区", "Shangcheng, Hangzhou"), "330105": ("杭州市拱墅区", "Gongshu, Hangzhou"),
        "330106": ("杭州市西湖区", "Xihu, Hangzhou"), "330108": ("杭州市滨江区", "Binjiang, Hangzhou"),
        "330109": ("杭州市萧山区", "Xiaoshan, Hangzhou"), "330110": ("杭州市余杭区", "Yuhang, Hangzhou"),
        "330111": ("杭州市富阳区", "Fuyang, Hangzhou"), "330112": ("杭州市临安区", "Lin'an, Hangzhou"),
        "330113": ("杭州市临平区", "Linping, Hangzhou"), "330114": ("杭州市钱塘区", "Qiantang, Hangzhou"),
        "330203": ("宁波市海曙区", "Haishu, Ningbo"), "330206": ("宁波市北仑区", "Beilun, Ningbo"),
        "330211": ("宁波市镇海区", "Zhenhai, Ningbo"), "330212": ("宁波市鄞州区", "Yinzhou, Ningbo"),
        "330302": ("温州市鹿城区", "Lucheng, Wenzhou"), "330303": ("温州市龙湾区", "Longwan, Wenzhou"),
        "330304": ("温州市瓯海区", "Ouhai, Wenzhou"), "330402": ("嘉兴市南湖区", "Nanhu, Jiaxing"),
        "330411": ("嘉兴市秀洲区", "Xiuzhou, Jiaxing"), "330481": ("嘉兴市海宁市", "Haining, Jiaxing"),
        "330502": ("湖州市吴兴区", "Wuxing, Huzhou"), "330521": ("湖州市德清县", "Deqing, Huzhou"),
        "330602": ("绍兴市越城区", "Yuecheng, Shaoxing"), "330603": ("绍兴市柯桥区", "Keqiao, Shaoxing"),
        "330604": ("绍兴市上虞区", "Shangyu, Shaoxing"), "330702": ("金华市婺城区", "Wucheng, Jinhua"),
        "330782": ("金华市义乌市", "Yiwu, Jinhua"), "330802": ("衢州市柯城区", "Kecheng, Quzhou"),
        "330902": ("舟山市定海区", "Dinghai, Zhoushan"), "331002": ("台州市椒江区", "Jiaojiang, Taizhou"),
        "331102": ("丽水市莲都区", "Liandu, Lishui"),
    },
    "city": {
        "3301": ("杭州市", "Hangzhou"), "3302": ("宁波市", "Ningbo"), "3303": ("温州市", "Wenzhou"),
        "3304": ("嘉兴市", "Jiaxing"), "3305": ("湖州市", "Huzhou"), "3306": ("绍兴市", "Shaoxing"),
        "3307": ("金华市", "Jinhua"), "3308": ("衢州市", "Quzhou"), "3309": ("舟山市", "Zhoushan"),
        "3310": ("台州市", "Taizhou"), "3311": ("丽水市", "Lishui"),
    },
    "qualification": {
        "high_tech": ("高新技术企业", "High-tech"), "tech_sme": ("科技型中小企业", "Tech SME"),
        "specialized": ("专精特新", "Specialized SME"), "little_giant": ("小巨人", "Little giant"),
    },
    "sort": {
        "asc": ("升序", "ascending"), "desc": ("降序", "descending"),
    },
}


def label(kind: str, code: object, lang: str) -> str:
    """The name of ``code`` in the page language; a region falls back to its city's name; an unknown code is
    returned as it is (the names test lists those it meets)."""
    if code is None or code == "":
        return "—"
    key = str(code)
    names = LABELS.get(kind, {}).get(key)
    if names is None and kind == "region":
        city = LABELS["city"].get(key[:4])
        if city is not None:
            names = (f"{city[0]}（{key}）", f"{city[1]} ({key})")
    if names is None:
        return key
    return names[0] if lang == "zh" else names[1]


def region_name(code: object, lang: str) -> str:
    return label("region", code, lang)
