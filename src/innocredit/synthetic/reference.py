"""Reference tables for the demo data: industries, regions, banks, name parts.

Every weight here is an *assumption* chosen to look like a Zhejiang technology cluster; the
shapes and where they come from are documented in ``docs/demo-data.md``.
"""

from __future__ import annotations

import datetime as dt

# The date every snapshot describes. Tax returns for fiscal year Y are filed by 31 May of Y+1,
# so on this date the latest complete fiscal year is 2025 and the history is 2023-2025.
AS_OF = dt.date(2026, 6, 30)
FISCAL_YEARS = (2023, 2024, 2025)

# sectors: (id, share of firms, median revenue per employee (yuan), median R&D intensity,
#           median tech-staff share, median masters/PhD share, exporter probability,
#           share of IP filings by kind: invention, utility model, design, software copyright, trademark)
SECTORS: tuple[tuple[str, float, float, float, float, float, float, tuple[float, float, float, float, float]], ...] = (
    ("software", 0.32, 450_000, 0.085, 0.45, 0.14, 0.08, (0.14, 0.04, 0.02, 0.65, 0.15)),
    ("electronics", 0.18, 800_000, 0.055, 0.22, 0.08, 0.35, (0.28, 0.45, 0.07, 0.08, 0.12)),
    ("equipment", 0.14, 750_000, 0.045, 0.18, 0.05, 0.30, (0.22, 0.58, 0.06, 0.04, 0.10)),
    ("pharma", 0.09, 900_000, 0.070, 0.25, 0.18, 0.20, (0.55, 0.15, 0.05, 0.02, 0.23)),
    ("instruments", 0.09, 650_000, 0.060, 0.25, 0.09, 0.25, (0.25, 0.50, 0.05, 0.12, 0.08)),
    ("materials", 0.09, 1_100_000, 0.040, 0.15, 0.07, 0.30, (0.35, 0.45, 0.02, 0.01, 0.17)),
    ("rd_services", 0.09, 350_000, 0.120, 0.55, 0.20, 0.05, (0.30, 0.20, 0.02, 0.30, 0.18)),
)
SECTOR_IDS = tuple(s[0] for s in SECTORS)
SECTOR_NAME_SUFFIX = {
    "software": "软件科技", "electronics": "电子科技", "equipment": "智能装备", "pharma": "生物医药",
    "instruments": "仪器科技", "materials": "新材料科技", "rd_services": "技术研究",
}

# GB/T 4754-2017 classes (section letter + 4 digits) and their weight inside the sector.
INDUSTRIES: tuple[tuple[str, str, str, float], ...] = (
    # code, sector, name (zh), weight within sector
    ("I6511", "software", "基础软件开发", 0.08),
    ("I6512", "software", "支撑软件开发", 0.07),
    ("I6513", "software", "应用软件开发", 0.45),
    ("I6519", "software", "其他软件开发", 0.05),
    ("I6520", "software", "集成电路设计", 0.07),
    ("I6531", "software", "信息系统集成服务", 0.15),
    ("I6550", "software", "信息处理和存储支持服务", 0.05),
    ("I6560", "software", "信息技术咨询服务", 0.08),
    ("C3911", "electronics", "计算机整机制造", 0.06),
    ("C3921", "electronics", "通信系统设备制造", 0.12),
    ("C3971", "electronics", "电子真空器件制造", 0.03),
    ("C3973", "electronics", "集成电路制造", 0.08),
    ("C3976", "electronics", "光电子器件制造", 0.14),
    ("C3981", "electronics", "电阻电容电感元件制造", 0.12),
    ("C3982", "electronics", "电子电路制造", 0.20),
    ("C3983", "electronics", "敏感元件及传感器制造", 0.15),
    ("C3985", "electronics", "电子专用材料制造", 0.10),
    ("C3562", "equipment", "电子工业专用设备制造", 0.22),
    ("C3561", "equipment", "电工机械专用设备制造", 0.15),
    ("C3581", "equipment", "医疗诊断、监护及治疗设备制造", 0.20),
    ("C3591", "equipment", "环境保护专用设备制造", 0.18),
    ("C3491", "equipment", "工业机器人制造", 0.25),
    ("C2710", "pharma", "化学药品原料药制造", 0.20),
    ("C2720", "pharma", "化学药品制剂制造", 0.35),
    ("C2740", "pharma", "中成药生产", 0.10),
    ("C2761", "pharma", "生物药品制造", 0.25),
    ("C2770", "pharma", "卫生材料及医药用品制造", 0.10),
    ("C4011", "instruments", "工业自动控制系统装置制造", 0.40),
    ("C4012", "instruments", "电工仪器仪表制造", 0.20),
    ("C4014", "instruments", "实验分析仪器制造", 0.25),
    ("C4015", "instruments", "试验机制造", 0.15),
    ("C2651", "materials", "初级形态塑料及合成树脂制造", 0.30),
    ("C2659", "materials", "其他合成材料制造", 0.20),
    ("C2664", "materials", "文化用信息化学品制造", 0.15),
    ("C3091", "materials", "石墨及碳素制品制造", 0.15),
    ("C3985", "materials", "电子专用材料制造", 0.20),
    ("M7320", "rd_services", "工程和技术研究和试验发展", 0.40),
    ("M7340", "rd_services", "医学研究和试验发展", 0.15),
    ("M7512", "rd_services", "生物技术推广服务", 0.10),
    ("M7513", "rd_services", "新材料技术推广服务", 0.10),
    ("M7520", "rd_services", "知识产权服务", 0.10),
    ("M7519", "rd_services", "其他技术推广服务", 0.15),
)
IC_LAYOUT_INDUSTRIES = ("I6520", "C3973")
NEW_DRUG_INDUSTRIES = ("C2720", "C2761", "M7340")
STRATEGIC_EMERGING_SHARE = {
    "software": 0.55, "electronics": 0.60, "equipment": 0.45, "pharma": 0.60,
    "instruments": 0.40, "materials": 0.50, "rd_services": 0.35,
}

# IPC main groups typical for each sector (the patent feed's ipc_main)
SECTOR_IPC: dict[str, tuple[str, ...]] = {
    "software": ("G06F 16/00", "G06F 9/50", "G06N 3/08", "G06Q 10/06", "H04L 67/10"),
    "electronics": ("H01L 21/02", "H01L 23/00", "H05K 1/02", "H01G 4/30", "G01D 5/00"),
    "equipment": ("B25J 9/16", "B23K 26/00", "A61B 5/00", "B01D 53/00", "H01L 21/67"),
    "pharma": ("A61K 31/00", "A61K 9/00", "C07D 401/00", "A61P 35/00", "C12N 15/00"),
    "instruments": ("G05B 19/418", "G01R 31/00", "G01N 21/00", "G01N 3/00", "G01M 99/00"),
    "materials": ("C08L 23/00", "C08G 63/00", "C01B 32/00", "C09D 11/00", "H01M 4/00"),
    "rd_services": ("G06F 30/00", "C12Q 1/68", "G01N 33/00", "B33Y 10/00", "C08K 3/00"),
}

# Real Zhejiang county-level division codes (GB/T 2260), weighted towards the Hangzhou cluster.
REGIONS: tuple[tuple[str, str, float], ...] = (
    ("330102", "杭州市上城区", 0.030),
    ("330105", "杭州市拱墅区", 0.030),
    ("330106", "杭州市西湖区", 0.080),
    ("330108", "杭州市滨江区", 0.120),
    ("330109", "杭州市萧山区", 0.050),
    ("330110", "杭州市余杭区", 0.100),
    ("330111", "杭州市富阳区", 0.015),
    ("330112", "杭州市临安区", 0.015),
    ("330113", "杭州市临平区", 0.030),
    ("330114", "杭州市钱塘区", 0.040),
    ("330203", "宁波市海曙区", 0.020),
    ("330206", "宁波市北仑区", 0.025),
    ("330211", "宁波市镇海区", 0.020),
    ("330212", "宁波市鄞州区", 0.045),
    ("330302", "温州市鹿城区", 0.025),
    ("330303", "温州市龙湾区", 0.020),
    ("330304", "温州市瓯海区", 0.015),
    ("330402", "嘉兴市南湖区", 0.025),
    ("330411", "嘉兴市秀洲区", 0.015),
    ("330481", "嘉兴市海宁市", 0.015),
    ("330502", "湖州市吴兴区", 0.020),
    ("330521", "湖州市德清县", 0.020),
    ("330602", "绍兴市越城区", 0.025),
    ("330603", "绍兴市柯桥区", 0.025),
    ("330604", "绍兴市上虞区", 0.015),
    ("330702", "金华市婺城区", 0.015),
    ("330782", "金华市义乌市", 0.025),
    ("330802", "衢州市柯城区", 0.010),
    ("330902", "舟山市定海区", 0.005),
    ("331002", "台州市椒江区", 0.020),
    ("331102", "丽水市莲都区", 0.010),
)
CITY_OF_PREFIX = {
    "3301": "杭州", "3302": "宁波", "3303": "温州", "3304": "嘉兴", "3305": "湖州", "3306": "绍兴",
    "3307": "金华", "3308": "衢州", "3309": "舟山", "3310": "台州", "3311": "丽水",
}

# Fictional banks; the second part of the id is the city where the bank is headquartered.
BANKS: tuple[tuple[str, str, float], ...] = (
    ("bank-hz-01", "3301", 0.22),
    ("bank-hz-02", "3301", 0.16),
    ("bank-hz-03", "3301", 0.10),
    ("bank-nb-01", "3302", 0.12),
    ("bank-wz-01", "3303", 0.08),
    ("bank-jx-01", "3304", 0.08),
    ("bank-sx-01", "3306", 0.12),
    ("bank-jh-01", "3307", 0.12),
)
LOAN_PRODUCTS: tuple[tuple[str, float, bool], ...] = (
    # product kind, share, secured
    ("credit", 0.34, False),
    ("talent", 0.06, False),
    ("innovation", 0.18, False),
    ("ip_pledge", 0.14, True),
    ("patent_pool", 0.03, True),
    ("guaranteed", 0.15, True),
    ("order_financing", 0.10, False),
)
LPR_1Y = 0.030  # one-year loan prime rate, 2025 (3.0%)

# Syllables for fictional trade names (字号)
NAME_CHARS = tuple("华创智芯微联数云科达鑫博睿恒源新锐辰星海泰盛康安宏图远瑞启明天合众信通蓝光禾匠聚鼎")

STAGES = ("startup", "growth", "mature")
STAGE_SHARES = (0.40, 0.40, 0.20)
