"""Demo catalogue for `mall seed-demo`: a few thousand offers of real brands and models.

Everything is drawn from the caller's `random.Random`, so the same seed gives the same titles,
prices and statuses on every machine. Products are matched through
`offers.find_or_create_product`, so several suppliers offer the same brand + model and buyers
can compare them; prices vary about ±7% between suppliers around a street price, with a market
reference price (京东政企 …) above most of them.

Statuses: most offers are on sale; about a hundred wait for review, most of them with
something for the operator to find (sensitive words, a price far above the median, a title
that belongs to another category, a green claim without a certificate, missing specs, an
expired or unrecognised certificate, a duplicate listing); a few are drafts, rejected,
delisted or expired. Green certificates follow the product: most computers, air-conditioners
and fridges carry a valid 节能 certificate of 中国质量认证中心, a few have expired (so the
mandatory-green rule hides them from buyers), and much of the paper, toner and furniture
carries a 环境标志 certificate of 中环联合（北京）认证中心有限公司.

Seeding writes rows directly (it is the platform's own history), but keeps the same records a
real listing leaves: one OfferVersion per offer, the audit events of every state change, and
the price statistics of every product.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import offers, pricewatch
from catalog.models import Category, Certificate, CertificateKind, Offer, OfferStatus, OfferVersion
from mall import audit
from mall.clock import utcnow
from suppliers.counties import county
from suppliers.status import can_trade

CENT = Decimal("0.01")
S = OfferStatus
ENERGY_CERTIFIER = "中国质量认证中心"
ENV_CERTIFIER = "中环联合（北京）认证中心有限公司"
DUBIOUS_CERTIFIER = "环球绿色产品认证联盟"
MARKET_SOURCES = ("京东政企", "京东政企", "苏宁易购政企", "天猫企业购", "品牌官方商城")

WIN = ("Windows 11 家庭中文版", "Win11")
UOS = ("统信UOS 桌面操作系统 V20 专业版", "统信UOS")
KYLIN = ("银河麒麟桌面操作系统 V10", "银河麒麟")

CPU_NAMES = {
    "兆芯KX-U6780A": "兆芯开先 KX-U6780A 8核 2.7GHz",
    "飞腾D2000/8": "飞腾 D2000 8核 2.3GHz",
    "麒麟9006C": "麒麟 9006C 8核",
}


def cpu_name(cpu: str) -> str:
    if cpu in CPU_NAMES:
        return CPU_NAMES[cpu]
    if cpu.startswith("Ultra"):
        return f"英特尔酷睿 {cpu}"
    return f"英特尔酷睿 {cpu}"


@dataclass
class Item:
    """A product as the demo offers it."""

    code: str
    brand: str
    model: str
    title: str
    price: float  # street price in CNY
    specs: dict
    description: str = ""
    owner: str | None = None  # region code: only the supplier registered there sells it


@dataclass(frozen=True)
class Trait:
    """How offers of a category look: who sells them, lead time, warranty, stock, green."""

    group: str
    lead: tuple[int, int]
    warranty: tuple[int, ...]
    stock: tuple[int, int]
    sellers: tuple[int, int]  # how many eligible suppliers offer one product
    cert: str | None = None  # energy | environment
    scope: str = ""
    cert_share: float = 0.0  # share of products with a certificate


TRAITS = {
    "A02010105": Trait("it", (2, 7), (36,), (20, 600), (4, 7), "energy", "微型计算机", 0.97),
    "A02010108": Trait("it", (2, 7), (12, 24, 36), (20, 400), (4, 7), "energy", "微型计算机", 0.97),
    "A02010109": Trait("it", (1, 5), (12,), (20, 300), (3, 6), "energy", "平板式微型计算机", 0.97),
    "A02010104": Trait("it", (5, 15), (36, 60), (2, 40), (2, 6), "energy", "服务器", 0.75),
    "A02010201": Trait("office", (2, 7), (36,), (5, 80), (3, 6)),
    "A02010508": Trait("office", (1, 3), (12, 36), (50, 2000), (4, 9)),
    "A02091104": Trait("office", (5, 15), (36,), (2, 30), (2, 5), "energy", "显示器", 0.6),
    "A02021003": Trait("office", (2, 5), (12, 24, 36), (10, 200), (3, 6), "energy", "打印机", 0.97),
    "A02021004": Trait("office", (2, 5), (12, 24), (10, 150), (3, 6), "energy", "打印机", 0.97),
    "A02020400": Trait("office", (2, 7), (12, 24, 36), (5, 120), (3, 6), "energy", "多功能一体机", 0.9),
    "A02020200": Trait("office", (3, 7), (24, 36), (5, 80), (2, 5), "energy", "投影机", 0.6),
    "A05040201": Trait("toner", (1, 3), (0, 6, 12), (20, 900), (4, 9), "environment", "鼓粉盒", 0.45),
    "A05040101": Trait("paper", (1, 3), (0,), (100, 5000), (4, 8), "environment", "复印纸", 0.6),
    "A05040401": Trait("stationery", (1, 3), (0,), (100, 3000), (3, 5)),
    "A05040402": Trait("stationery", (1, 3), (0,), (100, 5000), (3, 5)),
    "A02061804": Trait("appliance", (3, 10), (72, 72, 120), (10, 200), (3, 5), "energy", "房间空气调节器", 0.97),
    "A02061801": Trait("appliance", (3, 7), (36, 36, 120), (5, 100), (2, 5), "energy", "家用电冰箱", 0.95),
    "A02091001": Trait("appliance", (3, 7), (12, 36), (5, 100), (2, 5), "energy", "平板电视", 0.97),
    "A02061900": Trait("appliance", (2, 5), (24, 36), (50, 3000), (2, 5), "energy", "LED灯具", 0.5),
    "A05010201": Trait("furniture", (7, 20), (36, 60), (10, 300), (2, 5), "environment", "家具", 0.45),
    "A05010202": Trait("furniture", (10, 25), (36, 60), (2, 50), (2, 5), "environment", "家具", 0.45),
    "A05010301": Trait("furniture", (5, 15), (36, 60), (20, 500), (2, 5), "environment", "家具", 0.35),
    "A05010303": Trait("furniture", (5, 15), (36, 60), (20, 500), (2, 5), "environment", "家具", 0.35),
    "A05010501": Trait("furniture", (7, 20), (36, 60), (5, 200), (2, 5), "environment", "家具", 0.45),
    "A05010502": Trait("furniture", (7, 20), (36, 60), (10, 300), (2, 5), "environment", "家具", 0.45),
    "A07030101": Trait("food", (1, 3), (0,), (100, 5000), (2, 4)),
    "A07030102": Trait("food", (1, 3), (0,), (100, 5000), (2, 4)),
    "A07030400": Trait("food", (1, 3), (0,), (100, 3000), (2, 4)),
    "A07060000": Trait("food", (1, 3), (0,), (100, 3000), (2, 4)),
}
FARM_TRAIT = Trait("farm", (2, 6), (0,), (200, 20000), (1, 1))
MANDATORY_EXPIRED_SHARE = 0.06

# What a supplier sells, from the words in its name (first match of each word counts).
ALL_GOODS = ("it", "office", "toner", "paper", "stationery", "appliance", "furniture")
NAME_GROUPS = [
    ("集团", ALL_GOODS), ("供应链", ALL_GOODS),
    ("信息", ("it", "office", "toner")), ("电脑", ("it", "office", "toner")),
    ("科技", ("it", "office", "toner")), ("数码", ("it", "office", "toner", "paper")),
    ("办公设备", ("it", "office", "toner", "paper", "appliance")),
    ("办公用品", ("paper", "toner", "stationery", "office")),
    ("文具", ("paper", "toner", "stationery")), ("纸业", ("paper", "stationery")),
    ("家具", ("furniture",)), ("电器", ("appliance",)),
    ("食品", ("food",)), ("粮油", ("food",)), ("农产品", ("food",)),
    ("后勤", ("food", "furniture", "paper", "appliance")),
]


def supplier_groups(supplier) -> set[str]:
    """832 suppliers sell their own county's produce only (the 832 storefront's rule)."""
    if supplier.is_832:
        return {"farm"}
    return {g for word, gs in NAME_GROUPS if word in supplier.name for g in gs}


# --- the catalogue ------------------------------------------------------------------------

# brand, series, [(cpu, street price of the base configuration)], OS
DESKTOPS = [
    ("联想", "启天M437", [("i3-12100", 3350), ("i5-12400", 3950)], WIN),
    ("联想", "启天M455", [("i5-12500", 4550), ("i7-12700", 5650)], WIN),
    ("联想", "启天M540", [("i5-13400", 4750), ("i7-13700", 5950)], WIN),
    ("联想", "ThinkCentre M740t", [("i5-13500", 5250), ("i7-13700", 6350)], WIN),
    ("联想", "ThinkCentre M750t", [("i5-13500", 5650), ("i7-13700", 6850)], WIN),
    ("联想", "开天M740Z", [("兆芯KX-U6780A", 5250)], UOS),
    ("联想", "开天M90f", [("飞腾D2000/8", 6250)], KYLIN),
    ("华为", "擎云B730", [("i5-12500", 5350), ("i7-12700", 6550)], WIN),
    ("华为", "擎云W515x", [("麒麟9006C", 6950)], UOS),
    ("惠普", "ProDesk 400 G9 MT", [("i5-12500", 4850), ("i7-12700", 5950)], WIN),
    ("惠普", "EliteDesk 800 G9 TWR", [("i5-12500", 6250), ("i7-12700", 7350)], WIN),
    ("戴尔", "OptiPlex 7010 MT", [("i5-13500", 5450), ("i7-13700", 6650)], WIN),
    ("戴尔", "OptiPlex 3000 MT", [("i3-12100", 3650), ("i5-12500", 4350)], WIN),
    ("戴尔", "成就3020", [("i3-13100", 3350), ("i5-13400", 4050)], WIN),
    ("清华同方", "超翔Z830", [("兆芯KX-U6780A", 5350)], UOS),
    ("长城", "世恒TD120A2", [("飞腾D2000/8", 6150)], KYLIN),
    ("宏碁", "商祺SQX4270", [("i5-12400", 3850), ("i7-12700", 5050)], WIN),
]
DESKTOP_MEMORY = [("8GB DDR4", "512GB SSD", 0), ("16GB DDR4", "512GB SSD", 350),
                  ("16GB DDR4", "1TB SSD", 650), ("16GB DDR4", "512GB SSD+1TB HDD", 700)]
XINCHUANG_MEMORY = [("8GB DDR4", "256GB SSD", 0), ("8GB DDR4", "512GB SSD", 250),
                    ("16GB DDR4", "512GB SSD", 700)]

# brand, series, [(cpu, price)], screen, weight, OS
LAPTOPS = [
    ("联想", "ThinkPad E14 Gen5", [("i5-1335U", 5250), ("i7-1355U", 6350)], "14英寸 1920×1200", "1.41kg", WIN),
    ("联想", "ThinkPad E16 Gen1", [("i5-1335U", 5550), ("i7-1355U", 6650)], "16英寸 1920×1200", "1.77kg", WIN),
    ("联想", "ThinkPad T14 Gen4", [("i5-1340P", 7850), ("i7-1360P", 9250)], "14英寸 1920×1200", "1.37kg", WIN),
    ("联想", "昭阳K4e", [("i5-1340P", 5050), ("i7-1360P", 6150)], "14英寸 1920×1200", "1.45kg", WIN),
    ("联想", "昭阳X5-14", [("i5-13500H", 5650), ("i7-13700H", 6850)], "14英寸 2240×1400", "1.42kg", WIN),
    ("联想", "开天N7z", [("兆芯KX-U6780A", 6950)], "14英寸 1920×1080", "1.55kg", UOS),
    ("华为", "MateBook D14 2024", [("i5-12450H", 4350), ("i5-13420H", 4850)], "14英寸 1920×1200", "1.39kg", WIN),
    ("华为", "MateBook D16 2024", [("i5-13420H", 5250), ("i7-13700H", 6350)], "16英寸 1920×1200", "1.68kg", WIN),
    ("华为", "MateBook 14 2024", [("Ultra 5 125H", 6850), ("Ultra 7 155H", 7850)], "14.2英寸 2880×1920 OLED", "1.31kg", WIN),
    ("华为", "擎云L420", [("麒麟9006C", 8350)], "14.2英寸 2520×1680", "1.31kg", UOS),
    ("惠普", "ProBook 440 G10", [("i5-1335U", 5550), ("i7-1355U", 6650)], "14英寸 1920×1080", "1.38kg", WIN),
    ("惠普", "战66 六代", [("i5-1335U", 4950), ("i7-1355U", 5950)], "14英寸 1920×1200", "1.39kg", WIN),
    ("惠普", "EliteBook 640 G10", [("i5-1335U", 7250), ("i7-1365U", 8350)], "14英寸 1920×1080", "1.40kg", WIN),
    ("戴尔", "Latitude 5440", [("i5-1335U", 7050), ("i7-1365U", 8250)], "14英寸 1920×1080", "1.39kg", WIN),
    ("戴尔", "Latitude 3440", [("i5-1335U", 5350), ("i7-1355U", 6350)], "14英寸 1920×1080", "1.48kg", WIN),
    ("戴尔", "成就3430", [("i5-1335U", 4550), ("i7-1355U", 5450)], "14英寸 1920×1080", "1.46kg", WIN),
]
LAPTOP_MEMORY = [("8GB", "512GB SSD", -350), ("16GB", "512GB SSD", 0), ("16GB", "1TB SSD", 450),
                 ("32GB", "1TB SSD", 1250)]

# brand, series, form, price, platform (icelake | spr | kunpeng)
SERVERS = [
    ("浪潮", "英信NF5280M6", "2U机架式", 36000, "icelake"),
    ("浪潮", "英信NF5270M6", "2U机架式", 31000, "icelake"),
    ("浪潮", "英信NF5280M7", "2U机架式", 45000, "spr"),
    ("新华三", "UniServer R4900 G5", "2U机架式", 38000, "icelake"),
    ("新华三", "UniServer R4700 G5", "1U机架式", 33000, "icelake"),
    ("超聚变", "FusionServer 2288H V6", "2U机架式", 37000, "icelake"),
    ("超聚变", "FusionServer 1288H V6", "1U机架式", 32000, "icelake"),
    ("联想", "ThinkSystem SR650 V2", "2U机架式", 39000, "icelake"),
    ("联想", "ThinkSystem SR588", "2U机架式", 30000, "icelake"),
    ("戴尔", "PowerEdge R750xs", "2U机架式", 41000, "icelake"),
    ("戴尔", "PowerEdge R650xs", "1U机架式", 35000, "icelake"),
    ("戴尔", "PowerEdge T550", "塔式", 34000, "icelake"),
    ("中科曙光", "I620-G30", "2U机架式", 33000, "icelake"),
    ("华为", "TaiShan 200 2280", "2U机架式", 42000, "kunpeng"),
]
SERVER_CONFIGS = {
    "icelake": [("2×至强银牌4314 16核", "64GB DDR4 ECC", "3×1.2TB SAS 10K", 0),
                ("2×至强银牌4314 16核", "128GB DDR4 ECC", "4×2.4TB SAS 10K", 9000),
                ("2×至强金牌5318Y 24核", "256GB DDR4 ECC", "2×960GB SSD+4×4TB SATA", 26000)],
    "spr": [("2×至强银牌4410Y 12核", "64GB DDR5 ECC", "3×1.2TB SAS 10K", 0),
            ("2×至强金牌5418Y 24核", "256GB DDR5 ECC", "2×960GB SSD+4×4TB SATA", 28000)],
    "kunpeng": [("2×鲲鹏920 48核", "128GB DDR4 ECC", "2×960GB SSD+4×4TB SATA", 0),
                ("2×鲲鹏920 64核", "256GB DDR4 ECC", "2×960GB SSD+6×4TB SATA", 21000)],
}

TABLETS = [
    ("华为", "MatePad 11.5 2024", "8GB+128GB", "11.5英寸 2200×1440", "骁龙7 Gen 1", 1850),
    ("华为", "MatePad 11.5 2024", "8GB+256GB", "11.5英寸 2200×1440", "骁龙7 Gen 1", 2150),
    ("华为", "MatePad Pro 13.2", "12GB+256GB", "13.2英寸 2880×1920 OLED", "麒麟9000S", 5199),
    ("华为", "MatePad Pro 13.2", "12GB+512GB", "13.2英寸 2880×1920 OLED", "麒麟9000S", 5999),
    ("Apple", "iPad（第10代）WLAN", "64GB", "10.9英寸 2360×1640", "A14 仿生", 2899),
    ("Apple", "iPad（第10代）WLAN", "256GB", "10.9英寸 2360×1640", "A14 仿生", 3999),
    ("Apple", "iPad Air 11英寸 M2 WLAN", "128GB", "11英寸 2360×1640", "Apple M2", 4799),
    ("联想", "小新Pad Pro 12.7", "8GB+128GB", "12.7英寸 2944×1840", "天玑8300", 1999),
    ("联想", "小新Pad Pro 12.7", "8GB+256GB", "12.7英寸 2944×1840", "天玑8300", 2299),
    ("荣耀", "平板9", "8GB+128GB", "12.1英寸 2560×1600", "骁龙6 Gen 1", 1599),
    ("荣耀", "平板9", "8GB+256GB", "12.1英寸 2560×1600", "骁龙6 Gen 1", 1899),
]

# code, brand, model, kind, speed/ppm, street price
PRINTERS = [
    ("A02021003", "惠普", "LaserJet Pro 4004dn", "A4黑白激光打印机", "40页/分钟，自动双面，有线网络", 2699),
    ("A02021003", "惠普", "LaserJet Pro 4004dw", "A4黑白激光打印机", "40页/分钟，自动双面，无线网络", 2999),
    ("A02021003", "惠普", "LaserJet M208dw", "A4黑白激光打印机", "29页/分钟，自动双面，无线网络", 1499),
    ("A02021003", "奔图", "P3305DN", "A4黑白激光打印机", "33页/分钟，自动双面，有线网络", 1699),
    ("A02021003", "奔图", "P3022D", "A4黑白激光打印机", "30页/分钟，自动双面", 1099),
    ("A02021003", "联想", "LJ2405D", "A4黑白激光打印机", "24页/分钟，自动双面", 999),
    ("A02021003", "联想", "LJ2605D", "A4黑白激光打印机", "26页/分钟，自动双面，有线网络", 1299),
    ("A02021003", "兄弟", "HL-2595DW", "A4黑白激光打印机", "30页/分钟，自动双面，无线网络", 1399),
    ("A02021003", "兄弟", "HL-L5100DN", "A4黑白激光打印机", "40页/分钟，自动双面，有线网络", 2799),
    ("A02021003", "佳能", "LBP6230dn", "A4黑白激光打印机", "25页/分钟，自动双面，有线网络", 1299),
    ("A02021004", "惠普", "Color LaserJet Pro 3203dw", "A4彩色激光打印机", "25页/分钟，自动双面，无线网络", 2999),
    ("A02021004", "惠普", "Color LaserJet Pro 4203dn", "A4彩色激光打印机", "33页/分钟，自动双面，有线网络", 4299),
    ("A02021004", "佳能", "LBP623Cdw", "A4彩色激光打印机", "21页/分钟，自动双面，无线网络", 2699),
    ("A02021004", "兄弟", "HL-L3228CDW", "A4彩色激光打印机", "18页/分钟，自动双面，无线网络", 2199),
    ("A02021004", "奔图", "CP2510DN", "A4彩色激光打印机", "24页/分钟，自动双面，有线网络", 3299),
    ("A02020400", "惠普", "LaserJet Pro MFP 4104dw", "黑白激光多功能一体机", "打印/复印/扫描，40页/分钟", 3699),
    ("A02020400", "惠普", "LaserJet MFP M233sdw", "黑白激光多功能一体机", "打印/复印/扫描，29页/分钟", 1999),
    ("A02020400", "奔图", "M7105DN", "黑白激光多功能一体机", "打印/复印/扫描，33页/分钟", 1899),
    ("A02020400", "兄弟", "DCP-B7535DW", "黑白激光多功能一体机", "打印/复印/扫描，34页/分钟", 1999),
    ("A02020400", "联想", "M7400Pro", "黑白激光多功能一体机", "打印/复印/扫描，24页/分钟", 1499),
    ("A02020400", "佳能", "MF443dw", "黑白激光多功能一体机", "打印/复印/扫描，38页/分钟", 2899),
    ("A02020200", "爱普生", "CB-X06", "商务投影仪", "3600流明，XGA 1024×768", 2999),
    ("A02020200", "爱普生", "CB-X50", "商务投影仪", "3600流明，XGA，无线投屏", 4299),
    ("A02020200", "爱普生", "CB-FH52", "商务投影仪", "4000流明，1080P 全高清", 5999),
    ("A02020200", "明基", "E540", "智能商务投影仪", "3700流明，XGA", 3999),
    ("A02020200", "索尼", "VPL-EX435", "商务投影仪", "3200流明，XGA", 4599),
]

# HP original toner: code, common name, pages, fits, price
HP_TONER = [
    ("CF226A", "26A", 3100, "M402/M426", 728), ("CF228A", "28A", 3000, "M403/M427", 689),
    ("CE285A", "85A", 1600, "P1102/M1132/M1212", 469), ("CF283A", "83A", 1500, "M127/M201/M225", 439),
    ("CC388A", "88A", 1500, "P1007/P1008/M1136", 409), ("CE278A", "78A", 2100, "P1566/P1606", 529),
    ("CF217A", "17A", 1600, "M102/M130", 489), ("CF230A", "30A", 1600, "M203/M227", 529),
    ("CF276A", "76A", 3000, "M404/M428", 889), ("W1110A", "110A", 1500, "108a/136wm", 339),
    ("W1500A", "150A", 975, "M111/M141", 319), ("CF410A", "410A 黑色", 2300, "M452/M477", 769),
    ("W2040A", "416A 黑色", 2400, "M454/M479", 859),
]
COMPATIBLE_TONER = [("天威", 0.30), ("格之格", 0.28), ("得力", 0.26)]
OTHER_TONER = [
    ("联想", "LD2441", "硒鼓", 1800, "LJ2400/M7400", 389), ("联想", "LD2451", "硒鼓", 2600, "LJ2605D/M7605D", 459),
    ("奔图", "PD-213", "硒鼓", 1600, "P2206/M6202", 169), ("奔图", "DO-400", "硒鼓", 12000, "P3305DN/M7105DN", 349),
    ("兄弟", "DR-2350", "硒鼓（鼓架）", 12000, "HL-2595DW/DCP-7195DW", 499),
    ("佳能", "CRG 328", "硒鼓", 2100, "MF4452/MF4752", 499), ("佳能", "CRG 337", "硒鼓", 2400, "MF211/MF249dw", 529),
    ("佳能", "CRG 051", "硒鼓", 1700, "LBP162dw/MF264dw", 479),
]

# brand, line, price factor
PAPER_LINES = [
    ("得力", "莱茵河", 1.00), ("得力", "佳宣", 0.94), ("得力", "珊瑚海", 1.05),
    ("晨光", "金晨光", 1.02), ("晨光", "蓝晨光", 0.96), ("齐心", "优选", 0.97),
    ("亚太森博", "UPM 百旺", 1.08), ("亚太森博", "PaperOne", 1.12), ("金光", "天章", 1.03),
    ("金光", "金旗舰", 1.10), ("传美", "", 0.95),
]
PAPER_SIZES = [("A4", "70g", "500张/包，5包/箱", 125), ("A4", "80g", "500张/包，5包/箱", 155),
               ("A4", "70g", "500张/包，8包/箱", 198), ("A3", "70g", "500张/包，5包/箱", 249),
               ("A3", "80g", "500张/包，4包/箱", 239)]

STATIONERY = [
    ("A05040402", "晨光", "K35", "按动中性笔 0.5mm 黑色 12支/盒", 18, {"笔芯": "0.5mm 子弹头", "颜色": "黑色", "包装": "12支/盒"}),
    ("A05040402", "晨光", "GP1008", "中性笔 0.5mm 黑色 12支/盒", 15, {"笔芯": "0.5mm 子弹头", "颜色": "黑色", "包装": "12支/盒"}),
    ("A05040402", "得力", "S01", "按动中性笔 0.5mm 黑色 12支/盒", 16, {"笔芯": "0.5mm 子弹头", "颜色": "黑色", "包装": "12支/盒"}),
    ("A05040402", "百乐", "BL-G1-5", "G-1 中性笔 0.5mm 黑色 12支/盒", 66, {"笔芯": "0.5mm", "颜色": "黑色", "包装": "12支/盒"}),
    ("A05040402", "斑马", "JJ15", "按动中性笔 0.5mm 黑色 10支/盒", 59, {"笔芯": "0.5mm", "颜色": "黑色", "包装": "10支/盒"}),
    ("A05040401", "得力", "0414", "订书机 12号 可订20页", 12, {"订书钉": "24/6、26/6", "订书能力": "20页"}),
    ("A05040401", "得力", "0012", "订书钉 24/6 1000枚×10盒", 9, {"规格": "24/6", "包装": "1000枚/盒，10盒/包"}),
    ("A05040401", "得力", "1548", "计算器 12位 太阳能双电源", 29, {"显示": "12位", "电源": "太阳能+纽扣电池"}),
    ("A05040401", "齐心", "A1252", "两孔拱形文件夹 A4 3寸 5只/包", 58, {"规格": "A4 3寸（75mm）", "包装": "5只/包"}),
]

# brand, series, model, size, cooling W, type, grade, price
AIR_CONDITIONERS = [
    ("格力", "云佳", "KFR-26GW/NhGc1B", "大1匹", 2600, "壁挂式", "新一级", 2599),
    ("格力", "云佳", "KFR-35GW/NhGc1B", "1.5匹", 3500, "壁挂式", "新一级", 2999),
    ("格力", "云锦Ⅲ", "KFR-35GW/NhAe1BAj", "1.5匹", 3500, "壁挂式", "新一级", 3599),
    ("格力", "云锦Ⅲ", "KFR-50GW/NhAe1BAj", "2匹", 5000, "壁挂式", "新一级", 5299),
    ("格力", "云逸-Ⅱ", "KFR-50LW/NhGc1B", "2匹", 5010, "立柜式", "新一级", 5699),
    ("格力", "云逸-Ⅱ", "KFR-72LW/NhGc1B", "3匹", 7200, "立柜式", "新一级", 7299),
    ("格力", "T爽", "KFR-120LW/NhAa1BAj", "5匹", 12000, "立柜式", "新二级", 12999),
    ("美的", "酷省电", "KFR-26GW/N8KS1-1", "大1匹", 2600, "壁挂式", "新一级", 2299),
    ("美的", "酷省电", "KFR-35GW/N8KS1-1", "1.5匹", 3500, "壁挂式", "新一级", 2599),
    ("美的", "风酷", "KFR-35GW/N8XHC1", "1.5匹", 3500, "壁挂式", "新一级", 2399),
    ("美的", "锐云", "KFR-51LW/N8XHA1", "2匹", 5100, "立柜式", "新一级", 5299),
    ("美的", "锐云", "KFR-72LW/N8XHA1", "3匹", 7200, "立柜式", "新一级", 6799),
    ("美的", "酷金", "KFR-72LW/N8ZHA1", "3匹", 7200, "立柜式", "新一级", 7299),
    ("海尔", "劲爽", "KFR-26GW/B1KBB81U1", "大1匹", 2600, "壁挂式", "新一级", 2399),
    ("海尔", "劲爽", "KFR-35GW/B1KBB81U1", "1.5匹", 3500, "壁挂式", "新一级", 2699),
    ("海尔", "静悦", "KFR-35GW/01KBB81U1", "1.5匹", 3500, "壁挂式", "新一级", 3099),
    ("海尔", "雷神者", "KFR-50LW/28LBA81U1", "2匹", 5000, "立柜式", "新一级", 5499),
    ("海尔", "雷神者", "KFR-72LW/28LBA81U1", "3匹", 7200, "立柜式", "新一级", 6999),
    ("奥克斯", "京裕", "KFR-26GW/BpR3AQJ19(B1)", "大1匹", 2600, "壁挂式", "新一级", 1899),
    ("奥克斯", "京裕", "KFR-35GW/BpR3AQJ19(B1)", "1.5匹", 3500, "壁挂式", "新一级", 2099),
    ("奥克斯", "京裕", "KFR-72LW/BpR3AQF19(B1)", "3匹", 7200, "立柜式", "新一级", 5299),
    ("海信", "速冷热", "KFR-35GW/E290-X1", "1.5匹", 3500, "壁挂式", "新一级", 2299),
    ("海信", "速冷热", "KFR-72LW/E500-A1", "3匹", 7200, "立柜式", "新一级", 5699),
    ("TCL", "小蓝翼", "KFR-35GW/RT2Ea+B1", "1.5匹", 3500, "壁挂式", "新一级", 2199),
]

# brand, model, volume, grade, doors, price
FRIDGES = [
    ("海尔", "BCD-470WGHFD5DS9", "470L", "一级", "法式四门", 4299),
    ("海尔", "BCD-216STPT", "216L", "二级", "三门", 1399),
    ("海尔", "BCD-190WDPT", "190L", "一级", "双门", 1499),
    ("海尔", "BC-93TMPF", "93L", "一级", "单门", 799),
    ("美的", "BCD-455WTPZM(E)", "455L", "一级", "对开门", 2799),
    ("美的", "BCD-213TM(E)", "213L", "二级", "三门", 1199),
    ("美的", "BC-93M", "93L", "二级", "单门", 649),
    ("容声", "BCD-529WD18HP", "529L", "一级", "对开门", 3299),
    ("容声", "BCD-218D11N", "218L", "二级", "三门", 1299),
    ("西门子", "KA50NE20TI", "502L", "一级", "对开门", 4599),
    ("海信", "BCD-452WFK1DPUQ", "452L", "一级", "法式四门", 2999),
    ("美菱", "BCD-206L3CT", "206L", "二级", "三门", 1099),
]

# brand, model, size, resolution, price
TVS = [
    ("海信", "55E3H", "55英寸", "4K 3840×2160", 2299), ("海信", "65E3H", "65英寸", "4K 3840×2160", 3299),
    ("海信", "75E3H", "75英寸", "4K 3840×2160", 4599), ("TCL", "55V8E", "55英寸", "4K 3840×2160", 2099),
    ("TCL", "65V8E", "65英寸", "4K 3840×2160", 2999), ("创维", "55A3D", "55英寸", "4K 3840×2160", 1999),
    ("创维", "65A3D", "65英寸", "4K 3840×2160", 2899), ("小米", "L65MA-EA", "65英寸", "4K 3840×2160", 2799),
    ("小米", "L75MA-EA", "75英寸", "4K 3840×2160", 3999),
]
MEETING_SCREENS = [
    ("MAXHUB", "V6 新锐版 CA65", "65英寸", 12999), ("MAXHUB", "V6 新锐版 CA75", "75英寸", 15999),
    ("MAXHUB", "V6 新锐版 CA86", "86英寸", 21999), ("华为", "IdeaHub S2 65", "65英寸", 16999),
    ("华为", "IdeaHub S2 86", "86英寸", 29999), ("希沃", "MC65FEB", "65英寸", 11999),
    ("希沃", "MC86FEB", "86英寸", 19999),
]
ROUTERS = [
    ("华为", "AR6120", "企业级千兆路由器", "8个千兆电口，带机量200", 2999),
    ("新华三", "ER3200G3", "企业级千兆路由器", "5个千兆口，带机量200", 1299),
    ("新华三", "ER5200G3", "企业级千兆路由器", "带机量400，双WAN", 2299),
    ("TP-LINK", "TL-ER3220G", "企业级千兆路由器", "5个千兆口，带机量150", 549),
    ("锐捷", "RG-EG210G-E", "企业级千兆路由器", "10个千兆口，带机量200", 1299),
    ("锐捷", "RG-EG310GH-E", "企业级千兆路由器", "带机量300，双WAN", 2199),
]
# brand, series, capacities [(size, price)], kind
STORAGE = [
    ("闪迪", "酷豆 CZ430", [("32GB", 29), ("64GB", 39), ("128GB", 69), ("256GB", 139)], "USB3.2 U盘"),
    ("闪迪", "至尊高速 CZ48", [("64GB", 45), ("128GB", 79), ("256GB", 159)], "USB3.0 U盘"),
    ("金士顿", "DTX", [("32GB", 25), ("64GB", 35), ("128GB", 59), ("256GB", 119)], "USB3.2 U盘"),
    ("爱国者", "U210", [("32GB", 29), ("64GB", 39), ("128GB", 69)], "USB3.0 金属U盘"),
    ("希捷", "睿翼", [("1TB", 379), ("2TB", 499), ("4TB", 799)], "2.5英寸 USB3.0 移动硬盘"),
    ("西部数据", "Elements", [("1TB", 359), ("2TB", 489), ("4TB", 769)], "2.5英寸 USB3.0 移动硬盘"),
    ("东芝", "新小黑A5", [("1TB", 369), ("2TB", 499), ("4TB", 789)], "2.5英寸 USB3.2 移动硬盘"),
]
LIGHTS = [
    ("欧普", "LED面板灯 600×600 36W", "集成吊顶", "36W 4000K 3600lm", 89),
    ("欧普", "LED面板灯 600×600 48W", "集成吊顶", "48W 4000K 4800lm", 109),
    ("欧普", "T8 LED灯管 1.2m 16W", "灯管", "16W 6500K 1600lm", 15),
    ("雷士", "LED面板灯 600×600 36W", "集成吊顶", "36W 4000K 3500lm", 85),
    ("雷士", "T8 LED灯管 1.2m 18W", "灯管", "18W 6500K 1800lm", 16),
    ("雷士", "LED筒灯 7W 开孔100mm", "筒灯", "7W 4000K 630lm", 19),
    ("飞利浦", "T8 LED灯管 1.2m 16W", "灯管", "16W 6500K 1600lm", 19),
    ("飞利浦", "LED面板灯 RC048B 600×600 34W", "集成吊顶", "34W 4000K 3400lm", 129),
]

FURNITURE_BRANDS = [("圣奥", "SO"), ("震旦", "AD"), ("美时", "LM"), ("恒达", "HD"), ("越州", "YZ")]
DESK_SIZES = [("1200×600×750", 0.8), ("1400×700×750", 1.0), ("1600×800×750", 1.25),
              ("1800×900×760", 1.7)]
DESK_MATERIALS = [("钢木", "E1级三聚氰胺饰面板+钢架，板厚25mm", 1150),
                  ("板式", "E1级三聚氰胺饰面刨花板，板厚25mm", 980),
                  ("实木贴皮", "胡桃木皮饰面中纤板，实木封边", 2350)]
CHAIRS = [
    ("西昊", "M57", "网布人体工学椅", "网布靠背+海绵坐垫，尼龙脚", 599),
    ("西昊", "M18", "网布办公椅", "网布靠背+网布坐垫，尼龙脚", 399),
    ("西昊", "Doro C300", "人体工学椅", "网布+4D扶手，铝合金脚", 1399),
    ("永艺", "XY-M08", "网布职员椅", "网布靠背+海绵坐垫，钢制脚", 549),
    ("永艺", "XY-Q23", "大班椅", "西皮+高密度海绵，铝合金脚", 1299),
    ("黑白调", "E3", "人体工学椅", "网布+腰托，尼龙脚", 699),
    ("圣奥", "SO-ZY01", "职员椅", "网布靠背+海绵坐垫，尼龙脚", 680),
    ("圣奥", "SO-BY02", "大班椅", "真皮+高密度海绵，铝合金脚", 2280),
    ("震旦", "AD-ZY10", "职员椅", "网布靠背+海绵坐垫，尼龙脚", 720),
    ("美时", "LM-ZY66", "职员椅", "网布靠背+海绵坐垫，尼龙脚", 650),
]
MEETING_CHAIRS = [("圣奥", "SO-HY03", "弓形会议椅", 380), ("震旦", "AD-HY05", "弓形会议椅", 420),
                  ("美时", "LM-HY12", "四脚会议椅", 360), ("恒达", "HD-HY01", "弓形会议椅", 280)]
CABINETS = [("上玻下铁文件柜", "1850×900×390", "0.7mm 冷轧钢板，静电喷涂", 880),
            ("通体对开门文件柜", "1850×900×390", "0.7mm 冷轧钢板，静电喷涂", 820),
            ("五节文件柜", "1850×900×390", "0.6mm 冷轧钢板，静电喷涂", 760),
            ("四门文件柜（上下对开）", "1850×900×390", "0.7mm 冷轧钢板，静电喷涂", 950),
            ("四斗抽屉式文件柜", "1320×460×620", "0.8mm 冷轧钢板，静电喷涂", 1450)]
CABINET_BRANDS = [("得力", "DL"), ("震旦", "AD"), ("圣奥", "SO"), ("花都", "HDU"), ("恒达", "HD")]
MEETING_TABLES = [("2400×1200×760（8人）", 3800), ("3600×1500×760（12人）", 6500),
                  ("4800×1800×760（16人）", 9800)]
BOOKCASES = [("四门书柜", "1600×400×2000", 2600), ("两门书柜", "800×400×2000", 1450)]

# Branded canteen staples sold by the food suppliers (several suppliers each).
FOODS = [
    ("A07030101", "金龙鱼", "东北大米 5kg", "金龙鱼 东北大米 5kg/袋 粳米", 45, {"产地": "黑龙江", "等级": "一级", "净含量": "5kg"}),
    ("A07030101", "金龙鱼", "东北大米 10kg", "金龙鱼 东北大米 10kg/袋 粳米", 86, {"产地": "黑龙江", "等级": "一级", "净含量": "10kg"}),
    ("A07030101", "福临门", "东北大米 10kg", "福临门 东北大米 10kg/袋", 79, {"产地": "黑龙江", "等级": "一级", "净含量": "10kg"}),
    ("A07030101", "福临门", "东北大米 25kg", "福临门 东北大米 25kg/袋 食堂装", 189, {"产地": "黑龙江", "等级": "一级", "净含量": "25kg"}),
    ("A07030101", "十月稻田", "五常大米 5kg", "十月稻田 五常大米 稻花香 5kg/袋", 69, {"产地": "黑龙江五常", "等级": "一级", "净含量": "5kg"}),
    ("A07030101", "柴火大院", "五常稻花香 5kg", "柴火大院 五常稻花香大米 5kg/袋", 79, {"产地": "黑龙江五常", "等级": "一级", "净含量": "5kg"}),
    ("A07030101", "太粮", "靓虾王 油粘米 10kg", "太粮 靓虾王 香软油粘米 10kg/袋", 75, {"产地": "广东", "等级": "一级", "净含量": "10kg"}),
    ("A07030102", "金龙鱼", "多用途麦芯粉 5kg", "金龙鱼 多用途麦芯小麦粉 面粉 5kg/袋", 32, {"产地": "河南", "净含量": "5kg"}),
    ("A07030102", "金龙鱼", "多用途麦芯粉 10kg", "金龙鱼 多用途麦芯小麦粉 面粉 10kg/袋", 59, {"产地": "河南", "净含量": "10kg"}),
    ("A07030102", "香雪", "麦纯富强粉 10kg", "香雪 麦纯富强小麦粉 面粉 10kg/袋", 62, {"产地": "河南", "净含量": "10kg"}),
    ("A07030102", "五得利", "八星雪花小麦粉 25kg", "五得利 八星雪花小麦粉 面粉 25kg/袋 食堂装", 112, {"产地": "河北", "净含量": "25kg"}),
    ("A07030400", "燕之坊", "绿豆 1kg", "燕之坊 东北绿豆 1kg/袋", 19.9, {"产地": "吉林", "净含量": "1kg"}),
    ("A07030400", "燕之坊", "红小豆 1kg", "燕之坊 红小豆 赤豆 1kg/袋", 18.9, {"产地": "黑龙江", "净含量": "1kg"}),
    ("A07060000", "金龙鱼", "1:1:1 调和油 5L", "金龙鱼 黄金比例 1:1:1 食用调和油 5L/桶", 69.9, {"净含量": "5L"}),
    ("A07060000", "鲁花", "5S 压榨一级花生油 5L", "鲁花 5S 压榨一级花生油 5L/桶", 159, {"净含量": "5L", "工艺": "物理压榨"}),
    ("A07060000", "福临门", "一级大豆油 5L", "福临门 一级大豆油 5L/桶", 59.9, {"净含量": "5L"}),
    ("A07060000", "金龙鱼", "外婆乡小榨菜籽油 5L", "金龙鱼 外婆乡小榨菜籽油 5L/桶", 89.9, {"净含量": "5L"}),
]

# 832 counties: region code → (brand, [(category, model, title, price, specs)]).
FARM = {
    "522727": ("天眼农业", [
        ("A07030101", "富硒大米 5kg", "平塘县富硒大米 5kg/袋 梯田稻", 59, {"净含量": "5kg", "等级": "一级"}),
        ("A07030101", "富硒大米 10kg", "平塘县富硒大米 10kg/袋 梯田稻", 112, {"净含量": "10kg", "等级": "一级"}),
        ("A07030101", "富硒大米 25kg", "平塘县富硒大米 25kg/袋 食堂装", 265, {"净含量": "25kg", "等级": "一级"}),
        ("A07030200", "高山紫薯 5kg", "平塘县 高山紫薯 红薯 5kg/箱", 39.9, {"净含量": "5kg"}),
        ("A07060000", "林下土鸡蛋 30枚", "平塘县 林下散养土鸡蛋 30枚/盒", 45, {"规格": "30枚/盒"}),
        ("A07060000", "压榨菜籽油 5L", "平塘县 压榨菜籽油 5L/桶", 119, {"净含量": "5L"}),
    ]),
    "522634": ("苗岭", [
        ("A07060000", "银球茶 250g", "雷山银球茶 250g/罐", 268, {"净含量": "250g", "茶类": "绿茶"}),
        ("A07060000", "银球茶 100g", "雷山银球茶 100g/罐", 118, {"净含量": "100g", "茶类": "绿茶"}),
        ("A07060000", "雷公山清明茶 250g", "雷山县 雷公山清明茶 绿茶 250g/袋", 158, {"净含量": "250g", "茶类": "绿茶"}),
        ("A07030101", "苗寨梯田大米 5kg", "雷山县 苗寨梯田大米 5kg/袋", 69, {"净含量": "5kg", "等级": "一级"}),
    ]),
    "530828": ("景迈山", [
        ("A07060000", "古树普洱生茶 357g", "澜沧县 景迈山古树普洱生茶 357g/饼", 298, {"净含量": "357g", "茶类": "普洱茶（生茶）"}),
        ("A07060000", "普洱熟茶 357g", "澜沧县 景迈山普洱熟茶 357g/饼", 198, {"净含量": "357g", "茶类": "普洱茶（熟茶）"}),
        ("A07060000", "滇红茶 250g", "澜沧县 景迈山滇红茶 250g/罐", 128, {"净含量": "250g", "茶类": "红茶"}),
        ("A07060000", "小粒咖啡豆 500g", "澜沧县 云南小粒咖啡豆 中度烘焙 500g/袋", 89, {"净含量": "500g"}),
    ]),
    "640422": ("六盘山", [
        ("A07030200", "青薯9号 10kg", "西吉县马铃薯 青薯9号 10kg/箱", 35, {"净含量": "10kg", "品种": "青薯9号"}),
        ("A07030200", "陇薯7号 25kg", "西吉县马铃薯 陇薯7号 黄心 25kg/袋", 72, {"净含量": "25kg", "品种": "陇薯7号"}),
        ("A07030400", "红芸豆 2.5kg", "西吉县 六盘山红芸豆 2.5kg/袋", 58, {"净含量": "2.5kg"}),
        ("A07060000", "宽粉条 2.5kg", "西吉县 六盘山宽粉条 2.5kg/袋", 49, {"净含量": "2.5kg", "原料": "马铃薯淀粉"}),
        ("A07030100", "荞麦米 5kg", "西吉县 六盘山荞麦米 5kg/袋", 55, {"净含量": "5kg"}),
    ]),
    "130624": ("太行山", [
        ("A07030000", "鲜香菇 5kg", "阜平县 太行山鲜香菇 5kg/箱", 78, {"净含量": "5kg", "储存": "0–4℃冷藏"}),
        ("A07060000", "干香菇 500g", "阜平县 太行山干香菇 500g/袋", 56, {"净含量": "500g"}),
        ("A07060000", "阜平大枣 2.5kg", "阜平县 阜平大枣 2.5kg/箱", 69, {"净含量": "2.5kg"}),
        ("A07030100", "小米 5kg", "阜平县 太行山小米 5kg/袋", 65, {"净含量": "5kg"}),
    ]),
    "513431": ("大凉山", [
        ("A07030100", "苦荞米 2.5kg", "昭觉县 大凉山苦荞米 2.5kg/袋", 49, {"净含量": "2.5kg"}),
        ("A07060000", "黑苦荞茶 500g", "昭觉县 大凉山黑苦荞茶 500g/罐", 68, {"净含量": "500g"}),
        ("A07030200", "高山马铃薯 25kg", "昭觉县 大凉山高山马铃薯 25kg/袋", 68, {"净含量": "25kg"}),
        ("A07030103", "高山糯玉米 10穗", "昭觉县 大凉山高山糯玉米 真空装 10穗/箱", 59, {"规格": "10穗/箱"}),
    ]),
    "622926": ("东乡", [
        ("A07060000", "手抓羊肉 2kg", "东乡县 东乡手抓羊肉 冷冻 2kg/袋", 238, {"净含量": "2kg", "储存": "-18℃冷冻"}),
        ("A07060000", "羊肉卷 2.5kg", "东乡县 东乡羊羊肉卷 2.5kg/袋", 189, {"净含量": "2.5kg", "储存": "-18℃冷冻"}),
        ("A07030200", "高原马铃薯 25kg", "东乡县 高原马铃薯 洋芋 25kg/袋", 65, {"净含量": "25kg"}),
        ("A07030102", "石磨面粉 10kg", "东乡县 高原石磨面粉 10kg/袋", 69, {"净含量": "10kg"}),
    ]),
    "433124": ("十八洞", [
        ("A07030000", "红心猕猴桃 5kg", "花垣县 十八洞村 红心猕猴桃 5kg/箱", 88, {"净含量": "5kg", "规格": "单果80–100g"}),
        ("A07060000", "十八洞山泉水 550ml×24", "花垣县 十八洞山泉水 550ml×24瓶/箱", 36, {"规格": "550ml×24瓶"}),
        ("A07060000", "湘西腊肉 1kg", "花垣县 十八洞村 湘西腊肉 1kg/袋", 98, {"净含量": "1kg"}),
        ("A07030101", "苗寨大米 10kg", "花垣县 十八洞村 苗寨大米 10kg/袋", 99, {"净含量": "10kg", "等级": "一级"}),
    ]),
    "520526": ("威宁高原", [
        ("A07030200", "洋芋 25kg", "威宁县 高原洋芋 马铃薯 25kg/袋", 62, {"净含量": "25kg"}),
        ("A07030000", "大白菜 10kg", "威宁县 高原大白菜 10kg/箱", 29, {"净含量": "10kg"}),
        ("A07030000", "白萝卜 10kg", "威宁县 高原白萝卜 10kg/箱", 26, {"净含量": "10kg"}),
        ("A07030000", "甘蓝 10kg", "威宁县 高原甘蓝 莲花白 10kg/箱", 32, {"净含量": "10kg"}),
        ("A07030100", "苦荞麦 5kg", "威宁县 高山苦荞麦 5kg/袋", 52, {"净含量": "5kg"}),
    ]),
}


def _it_items() -> list[Item]:
    out = []
    for brand, series, cpus, (os_name, os_short) in DESKTOPS:
        memory = DESKTOP_MEMORY if os_short == "Win11" else XINCHUANG_MEMORY
        for cpu, base in cpus:
            for mem, disk, extra in memory:
                out.append(Item(
                    "A02010105", brand, f"{series} {cpu}/{mem.split()[0]}/{disk}",
                    f"{brand} {series} 台式计算机（{cpu}/{mem}/{disk}/23.8英寸显示器/{os_short}）",
                    base + extra,
                    {"CPU": cpu_name(cpu), "内存": mem, "硬盘": disk, "操作系统": os_name,
                     "显示器": "23.8英寸 IPS 1920×1080", "显卡": "集成显卡",
                     "接口": "USB 3.2×4，USB 2.0×4，HDMI，DP，千兆网口"},
                    "商用台式计算机，原厂三年上门保修，含键盘鼠标和23.8英寸显示器。"))
    for brand, series, cpus, screen, weight, (os_name, os_short) in LAPTOPS:
        for cpu, base in cpus:
            memory = LAPTOP_MEMORY if os_short == "Win11" else LAPTOP_MEMORY[1:3]
            for mem, disk, extra in memory:
                out.append(Item(
                    "A02010108", brand, f"{series} {cpu}/{mem}/{disk}",
                    f"{brand} {series} 笔记本电脑（{cpu}/{mem}/{disk}/{screen.split()[0]}/{os_short}）",
                    base + extra,
                    {"CPU": cpu_name(cpu), "内存": mem, "硬盘": disk, "屏幕尺寸": screen,
                     "操作系统": os_name, "重量": weight, "电池": "57Wh"},
                    "商用轻薄笔记本电脑，原厂保修，适合移动办公。"))
    for brand, series, form, base, platform in SERVERS:
        for cpu, mem, disk, extra in SERVER_CONFIGS[platform]:
            out.append(Item(
                "A02010104", brand, f"{series} {cpu.split()[0]}/{mem.split()[0]}",
                f"{brand} {series} {form}服务器（{cpu}/{mem}/{disk}）", base + extra,
                {"CPU": cpu, "内存": mem, "硬盘": disk, "规格": form, "RAID": "RAID 0/1/5/10，2GB缓存",
                 "电源": "2×800W 冗余电源", "网卡": "4×千兆电口"},
                "机房部署，含原厂上门安装和三年（或五年）7×24 原厂服务。"))
    for brand, model, storage, screen, chip, price in TABLETS:
        out.append(Item("A02010109", brand, f"{model} {storage}",
                        f"{brand} {model} 平板电脑 {storage}", price,
                        {"处理器": chip, "存储": storage, "屏幕尺寸": screen}, "移动办公平板电脑。"))
    return out


def _office_items() -> list[Item]:
    out = []
    for code, brand, model, kind, feature, price in PRINTERS:
        out.append(Item(code, brand, model, f"{brand} {model} {kind}（{feature.split('，')[0]}）",
                        price, {"类型": kind, "性能": feature}, f"{kind}，{feature}。"))
    for brand, model, kind, feature, price in ROUTERS:
        out.append(Item("A02010201", brand, model, f"{brand} {model} {kind}", price,
                        {"类型": kind, "端口": feature}, f"{kind}，{feature}。"))
    for brand, series, sizes, kind in STORAGE:
        for size, price in sizes:
            out.append(Item("A02010508", brand, f"{series} {size}", f"{brand} {series} {size} {kind}",
                            price, {"容量": size, "接口": kind.split()[-2]}, kind))
    for brand, model, size, price in MEETING_SCREENS:
        out.append(Item("A02091104", brand, model, f"{brand} {model} {size} 会议交互智能屏",
                        price, {"尺寸": size, "分辨率": "4K 3840×2160", "触控": "20点红外触控"},
                        "会议室交互智能屏，含移动支架和无线传屏器。"))
    return out


def _consumable_items() -> list[Item]:
    out = []
    for code, name, pages, fits, price in HP_TONER:
        out.append(Item("A05040201", "惠普", code, f"惠普（HP）{code} {name} 原装硒鼓（约{pages}页）",
                        price, {"颜色": "黑色", "打印页数": f"约{pages}页（5%覆盖率）",
                                "适用机型": f"惠普 {fits}"}, "原装硒鼓。"))
    for brand, factor in COMPATIBLE_TONER:
        for code, _name, pages, fits, price in HP_TONER[:10]:
            out.append(Item("A05040201", brand, code,
                            f"{brand} {code} 硒鼓 适用惠普 {fits}（约{pages}页）", price * factor,
                            {"颜色": "黑色", "打印页数": f"约{pages}页（5%覆盖率）",
                             "适用机型": f"惠普 {fits}"}, "兼容硒鼓，带芯片，即装即用。"))
    for brand, model, kind, pages, fits, price in OTHER_TONER:
        out.append(Item("A05040201", brand, model, f"{brand} {model} 原装{kind}（约{pages}页）", price,
                        {"颜色": "黑色", "打印页数": f"约{pages}页", "适用机型": f"{brand} {fits}"},
                        "原装硒鼓。"))
    for brand, line, factor in PAPER_LINES:
        for size, gsm, pack, price in PAPER_SIZES:
            brand_line = f"{brand} {line}" if line else brand
            model = f"{line} {size} {gsm} {pack.split('，')[1]}".strip()
            out.append(Item("A05040101", brand, model,
                            f"{brand_line} {size} 复印纸 {gsm} {pack.replace('，', ' ')}",
                            price * factor, {"规格": size, "克重": gsm, "包装": pack,
                                             "白度": "≥102%"}, "静电复印纸，适用激光打印机和复印机。"))
    for code, brand, model, name, price, specs in STATIONERY:
        out.append(Item(code, brand, model, f"{brand} {model} {name}", price, dict(specs), name))
    return out


def _appliance_items() -> list[Item]:
    out = []
    for brand, series, model, size, watts, kind, grade, price in AIR_CONDITIONERS:
        out.append(Item(
            "A02061804", brand, model,
            f"{brand} {series} {model} {size} {kind}变频冷暖空调 {grade}能效", price,
            {"制冷量": f"{watts}W", "能效等级": f"{grade}能效", "匹数": size, "类型": kind,
             "变频": "直流变频", "冷暖": "冷暖两用"},
            "含标准安装（3米铜管），整机六年保修。"))
    for brand, model, volume, grade, doors, price in FRIDGES:
        out.append(Item("A02061801", brand, model, f"{brand} {model} {volume} {doors}电冰箱 {grade}能效",
                        price, {"容积": volume, "能效等级": f"{grade}能效", "门体": doors,
                                "制冷方式": "风冷无霜" if "W" in model else "直冷"},
                        "送货入户。"))
    for brand, model, size, resolution, price in TVS:
        out.append(Item("A02091001", brand, model, f"{brand} {model} {size} 4K超高清液晶电视", price,
                        {"屏幕尺寸": size, "分辨率": resolution, "能效等级": "二级能效"},
                        "会议室和值班室用电视机，含挂架。"))
    for brand, model, kind, spec, price in LIGHTS:
        out.append(Item("A02061900", brand, model, f"{brand} {model} LED照明", price,
                        {"类型": kind, "参数": spec}, "办公照明灯具。"))
    return out


def _furniture_items() -> list[Item]:
    out = []
    for brand, prefix in FURNITURE_BRANDS:
        for (name, material, base), (size, factor) in [
                (m, s) for m in DESK_MATERIALS for s in DESK_SIZES]:
            if name == "实木贴皮" and size.startswith("12"):
                continue
            w = size.split("×")[0]
            out.append(Item("A05010201", brand, f"{prefix}-BGZ{w}-{name}",
                            f"{brand} {name}办公桌 {size}mm", base * factor,
                            {"尺寸": f"{size}mm", "材质": material, "环保等级": "E1级"},
                            "含送货安装，带三层活动柜。"))
    for brand, model, name, material, price in CHAIRS:
        out.append(Item("A05010301", brand, model, f"{brand} {model} {name} 办公椅", price,
                        {"材质": material, "功能": "升降、后仰锁定", "气杆": "三级气杆"}, name))
    for brand, model, name, price in MEETING_CHAIRS:
        out.append(Item("A05010303", brand, model, f"{brand} {model} {name}", price,
                        {"材质": "网布靠背+海绵坐垫，钢制电镀框架"}, name))
    for brand, prefix in CABINET_BRANDS:
        for i, (name, size, material, price) in enumerate(CABINETS):
            out.append(Item("A05010502", brand, f"{prefix}-WJG{i + 1:02d}",
                            f"{brand} 钢制{name} {size}mm", price * (1.15 if brand in ("震旦", "圣奥") else 1.0),
                            {"尺寸": f"{size}mm", "材质": material, "结构": name},
                            "钢制文件柜，含送货上楼。"))
    for brand, prefix in FURNITURE_BRANDS[:4]:
        for i, (size, price) in enumerate(MEETING_TABLES):
            out.append(Item("A05010202", brand, f"{prefix}-HYZ{i + 1:02d}", f"{brand} 会议桌 {size}",
                            price, {"尺寸": size, "材质": "E1级三聚氰胺饰面板"}, "会议桌，含送货安装。"))
        for i, (name, size, price) in enumerate(BOOKCASES):
            out.append(Item("A05010501", brand, f"{prefix}-SG{i + 1:02d}", f"{brand} {name} {size}mm",
                            price, {"尺寸": f"{size}mm", "材质": "E1级三聚氰胺饰面板，玻璃门"},
                            "书柜，含送货安装。"))
    return out


def _food_items() -> list[Item]:
    return [Item(code, brand, model, title, price, {**specs, "保质期": "12个月"}, "食堂食材。")
            for code, brand, model, title, price, specs in FOODS]


def _farm_items(region: str) -> list[Item]:
    """The 832 supplier's own county products (a generic pair for an unlisted county)."""
    if region in FARM:
        brand, rows = FARM[region]
    else:
        c = county(region)
        name = c.county if c else region
        brand = name.rstrip("县")
        rows = [("A07030200", "马铃薯 25kg", f"{name}马铃薯 25kg/袋", 60, {"净含量": "25kg"}),
                ("A07030101", "大米 10kg", f"{name}大米 10kg/袋", 85, {"净含量": "10kg"})]
    c = county(region)
    origin = f"{c.province}{c.prefecture}{c.county}" if c else region
    return [Item(code, brand, model, title, price,
                 {"产地": origin, **specs, "保质期": "见包装"},
                 f"脱贫地区农副产品，产自{origin}，产地直供。", owner=region)
            for code, model, title, price, specs in rows]


def catalogue() -> list[Item]:
    return (_it_items() + _office_items() + _consumable_items() + _appliance_items()
            + _furniture_items() + _food_items())


# --- seeding --------------------------------------------------------------------------------

def money(value: float) -> Decimal:
    """A shop price: whole yuan from ¥500, ten fen below."""
    if value >= 500:
        return Decimal(round(value)).quantize(CENT)
    if value >= 20:
        return Decimal(str(round(value, 1))).quantize(CENT)
    return Decimal(str(round(value, 2))).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Listed:
    """A product in the demo with what its offers share (market reference, certificate)."""

    item: Item
    product: object
    trait: Trait
    market: Decimal | None
    source: str | None
    cert: dict | None  # kind, number, certifier, scope, valid_until
    sellers: set[int] = field(default_factory=set)
    active: list[Decimal] = field(default_factory=list)
    active_sellers: list[int] = field(default_factory=list)


class _Seeder:
    def __init__(self, session: Session, suppliers: list, rng: random.Random, today: date):
        self.session = session
        self.rng = rng
        self.today = today
        self.now = utcnow()
        self.month = f"{today:%Y-%m}"
        self.suppliers = [s for s in suppliers if can_trade(s, today)]
        self.groups = {s.id: supplier_groups(s) for s in self.suppliers}
        self.categories = {c.code: c for c in session.scalars(select(Category))}
        self.listed: list[Listed] = []
        self.planned: list[tuple[Offer, list[tuple[str, str, str | None, str | None]]]] = []

    # products ----------------------------------------------------------------------------
    def product(self, item: Item, code: str | None = None):
        return offers.find_or_create_product(
            self.session, category=self.categories[code or item.code], brand=item.brand,
            model=item.model, name=item.title, specs=item.specs, description=item.description)

    def certificate(self, trait: Trait, mandatory: bool) -> dict | None:
        rng = self.rng
        roll, expired_roll = rng.random(), rng.random()
        days = rng.randint(365, 3 * 365)
        serial = rng.randint(0, 10**6 - 1)
        if trait.cert is None or roll >= trait.cert_share:
            return None
        expired = expired_roll < (MANDATORY_EXPIRED_SHARE if mandatory else 0.03)
        valid_until = (self.today - timedelta(days=days % 200 + 5) if expired
                       else self.today + timedelta(days=days))
        issued = valid_until.year - 5
        if trait.cert == CertificateKind.ENERGY:
            number = f"CQC{issued % 100:02d}{701 + serial % 2}{serial:06d}"
            certifier = ENERGY_CERTIFIER
        else:
            number = f"CEC{issued}ELP{serial:07d}"
            certifier = ENV_CERTIFIER
        return {"kind": trait.cert, "number": number, "certifier": certifier,
                "scope": trait.scope, "valid_until": valid_until}

    def list_products(self) -> None:
        items = catalogue()
        for s in self.suppliers:
            if s.is_832:
                items.extend(_farm_items(s.region_code))
        seen = set()
        for item in items:
            key = (item.code, offers.match_key(item.brand, item.model))
            if key in seen or item.code not in self.categories:
                continue
            seen.add(key)
            trait = FARM_TRAIT if item.owner else TRAITS[item.code]
            market_roll, source = self.rng.uniform(1.05, 1.16), self.rng.choice(MARKET_SOURCES)
            if item.owner:
                market, source = None, None
            else:
                market = money(item.price * market_roll)
                source = f"{source} {self.month}"
            cert = self.certificate(trait, self.categories[item.code].mandatory_green)
            self.listed.append(Listed(item, self.product(item), trait, market, source, cert))

    # offers -------------------------------------------------------------------------------
    def regions(self, supplier, trait: Trait) -> list[str]:
        roll = self.rng.random()
        province = supplier.region_code[:2]
        if supplier.is_832:
            value = ["*"] if roll < 0.7 else [province, "31", "32", "33"]
        elif province == "33":
            local = trait.group in ("furniture", "food")
            if roll < (0.15 if local else 0.4):
                value = ["*"]
            elif roll < (0.6 if local else 0.75):
                value = ["33"]
            elif roll < 0.9:
                value = ["31", "32", "33", "34"]
            else:
                value = [supplier.region_code[:4]]
        else:
            value = ["*"] if roll < 0.6 else [province, "31", "32", "33"]
        return offers.parse_regions(value)

    def refreshed(self, created: datetime, age: int, hours: int) -> datetime:
        """When the supplier last confirmed the price: old listings were re-confirmed within
        the last 150 days, so `mall jobs` (180-day expiry) leaves the demo catalogue on sale."""
        updated = min(created + timedelta(hours=hours), self.now)
        if age > 150:
            updated = self.now - timedelta(days=age % 150, hours=hours)
        return updated

    def offer(self, listed: Listed, supplier, *, price: Decimal, status: S, title: str | None = None,
              claims_green: bool | None = None, cert: dict | None | bool = True,
              recent: bool = False, path: list | None = None, product=None) -> Offer:
        rng, trait = self.rng, listed.trait
        age = rng.randint(0, 3) if recent else rng.randint(10, 420)
        created = self.now - timedelta(days=age, seconds=rng.randint(0, 86399))
        stock = rng.randint(*trait.stock)
        lead = rng.randint(*trait.lead)
        warranty = rng.choice(trait.warranty)
        min_qty = 1 if rng.random() < 0.9 or trait.group not in ("paper", "toner", "food", "farm") \
            else rng.choice((2, 5))
        regions = self.regions(supplier, trait)
        upload_cert = rng.random() < 0.97
        if cert is True:
            use_cert = listed.cert if upload_cert else None
        else:
            use_cert = cert or None
        market = listed.market
        o = Offer(product=product or listed.product, supplier_id=supplier.id,
                  title=title or listed.item.title, price=price, market_price=market,
                  market_price_source=listed.source if market is not None else None,
                  stock=stock, min_order_qty=min_qty, delivery_regions=regions,
                  lead_time_days=lead, warranty_months=warranty,
                  claims_green=bool(use_cert) if claims_green is None else claims_green,
                  status=status.value, created_at=created,
                  updated_at=self.refreshed(created, age, rng.randint(1, 72)))
        if use_cert:
            o.certificates.append(Certificate(**use_cert))
        self.session.add(o)
        self.planned.append((o, path if path is not None else self.path(o, status)))
        return o

    def path(self, offer: Offer, status: S) -> list[tuple[str, str, str | None, str | None]]:
        """The transitions that led to the status: (action, new status, reason, note)."""
        rng = self.rng
        steps = [] if status == S.DRAFT else [("submit", S.PENDING.value, None, None)]
        if status == S.REJECTED:
            code, note = rng.choice([
                ("price_too_high", "报价高于同款商品市场价，请核实后重新提交"),
                ("missing_specs", "请补充完整的规格参数"),
                ("invalid_title", "标题请按“品牌+型号+品名+关键参数”填写"),
                ("invalid_certificate", "请上传有效的节能/环境标志认证证书")])
            steps.append(("reject", S.REJECTED.value, code, note))
        if status in (S.ACTIVE, S.DELISTED, S.EXPIRED):
            steps.append(("approve", S.ACTIVE.value, None, None))
        if status == S.DELISTED:
            if rng.random() < 0.6:
                steps.append(("delist", S.DELISTED.value, None,
                              rng.choice(["型号停产", "暂时缺货", "调整经营范围"])))
            else:
                code, note = rng.choice([("price_too_high", "价格监测：明显高于同款报价"),
                                         ("quality_complaint", "采购人投诉质量问题，经核实属实")])
                steps.append(("takedown", S.DELISTED.value, code, note))
        if status == S.EXPIRED:
            steps.append(("expire", S.EXPIRED.value, None, "报价有效期届满"))
        if steps and steps[-1][2] is not None:
            offer.status_reason_code = steps[-1][2]
        if steps and steps[-1][3] is not None:
            offer.status_note = steps[-1][3]
        return steps

    def regular_status(self) -> S:
        r = self.rng.random()
        for limit, status in ((0.012, S.DRAFT), (0.027, S.REJECTED), (0.050, S.DELISTED),
                              (0.055, S.EXPIRED), (0.060, S.PENDING)):
            if r < limit:
                return status
        return S.ACTIVE

    def eligible(self, listed: Listed) -> list:
        if listed.item.owner:
            return [s for s in self.suppliers if s.region_code == listed.item.owner]
        return [s for s in self.suppliers if listed.trait.group in self.groups[s.id]]

    def list_offers(self) -> None:
        rng = self.rng
        for listed in self.listed:
            pool = self.eligible(listed)
            lo, hi = listed.trait.sellers
            count = min(len(pool), rng.randint(lo, hi))
            for supplier in rng.sample(pool, count):
                price = money(listed.item.price * rng.uniform(0.93, 1.07))
                status = self.regular_status()
                self.offer(listed, supplier, price=price, status=status)
                listed.sellers.add(supplier.id)
                if status == S.ACTIVE:
                    listed.active.append(price)
                    listed.active_sellers.append(supplier.id)

    # the review queue ----------------------------------------------------------------------
    def free_pair(self, want=lambda listed: True, min_active: int = 0):
        """A product and an eligible supplier that does not offer it yet."""
        rng = self.rng
        for _ in range(400):
            listed = rng.choice(self.listed)
            if listed.item.owner or len(listed.active) < min_active or not want(listed):
                continue
            pool = [s for s in self.eligible(listed) if s.id not in listed.sellers]
            if pool:
                supplier = rng.choice(pool)
                listed.sellers.add(supplier.id)
                return listed, supplier
        raise RuntimeError("demo catalogue too small for the review queue")

    def pending(self, listed: Listed, supplier, **kw) -> Offer:
        price = kw.pop("price", None) or money(listed.item.price * self.rng.uniform(0.95, 1.05))
        return self.offer(listed, supplier, price=price, status=S.PENDING, recent=True,
                          path=[("submit", S.PENDING.value, None, None)], **kw)

    def review_queue(self) -> None:
        rng = self.rng
        words = ["全网最低", "全网最低价", "假一赔十", "领导专用", "机关专用", "特供", "顶级",
                 "第一品牌", "最便宜", "返现"]
        for i in range(16):  # sensitive words
            listed, supplier = self.free_pair()
            word = words[i % len(words)]
            title = (f"【{word}】{listed.item.title}" if i % 2 else f"{listed.item.title} {word}")
            self.pending(listed, supplier, title=title)
        for _ in range(16):  # far above the median of the other offers
            listed, supplier = self.free_pair(min_active=3)
            median = Decimal(statistics.median(listed.active))
            self.pending(listed, supplier, price=money(float(median) * rng.uniform(1.38, 1.5)))
        green_cats = ("A02061804", "A02010105", "A02010108", "A02061801")
        for _ in range(10):  # green claim without a certificate
            listed, supplier = self.free_pair(lambda x: x.item.code in green_cats)
            self.pending(listed, supplier, title=f"{listed.item.title} 节能产品", claims_green=True,
                         cert=False)
        for i in range(8):  # expired or unrecognised certificate
            listed, supplier = self.free_pair(lambda x: x.cert is not None)
            bad = dict(listed.cert)
            if i < 5:
                bad["valid_until"] = self.today - timedelta(days=rng.randint(10, 300))
            else:
                bad["certifier"] = DUBIOUS_CERTIFIER
            self.pending(listed, supplier, cert=bad, claims_green=True)
        for _ in range(6):  # the same supplier lists the same product again
            listed = rng.choice([x for x in self.listed if x.active and not x.item.owner])
            supplier = next(s for s in self.suppliers if s.id == listed.active_sellers[0])
            self.pending(listed, supplier, title=f"{listed.item.title} 现货")
        self.wrong_category()
        self.missing_specs()
        for _ in range(6):  # clean new listings
            listed, supplier = self.free_pair()
            self.pending(listed, supplier)

    def wrong_category(self) -> None:
        """Titles that name another category's goods (复印纸 under 台式计算机 …)."""
        mistakes = [("A05040101", "A02010105"), ("A05040101", "A02010108"),
                    ("A05040201", "A02010105"), ("A02061804", "A02061801"),
                    ("A05010301", "A05010201"), ("A05010502", "A05010301"),
                    ("A02010108", "A02010105"), ("A05040101", "A05040201"),
                    ("A07030101", "A07030102"), ("A02061801", "A02061804")]
        for real, chosen in mistakes:
            listed, supplier = self.free_pair(lambda x, real=real: x.item.code == real)
            product = self.product(listed.item, code=chosen)
            self.pending(listed, supplier, product=product, cert=False)

    def missing_specs(self) -> None:
        """Lesser-known models whose supplier left key parameters out (one offer each)."""
        rows = [
            ("A02010105", "方正", "文祥E520", "方正 文祥E520 台式计算机", 3599, {"CPU": "i5-12400"}),
            ("A02010105", "神舟", "新瑞X20", "神舟 新瑞X20 商用台式机", 3299, {"CPU": "i5-12400", "内存": "8GB"}),
            ("A02010105", "宝德", "PT620", "宝德 PT620 台式计算机", 3899, {}),
            ("A02010108", "机械革命", "无界14 Pro", "机械革命 无界14 Pro 笔记本电脑", 4299, {"CPU": "i5-13500H"}),
            ("A02010108", "神舟", "优雅X5", "神舟 优雅X5 笔记本电脑", 3699, {"内存": "16GB"}),
            ("A05040101", "华邦", "A4 70g 5包", "华邦 A4 复印纸 5包/箱", 118, {"规格": "A4"}),
            ("A05040101", "天章", "乐活 A4", "天章 乐活 A4 复印纸", 122, {}),
            ("A02061804", "志高", "KFR-35GW/A1", "志高 1.5匹 壁挂式空调", 1699, {"匹数": "1.5匹"}),
            ("A02061801", "奥马", "BCD-206", "奥马 206L 三门电冰箱", 999, {"门体": "三门"}),
            ("A05010201", "华盛", "HS-BGZ14", "华盛 办公桌 1400mm", 960, {"材质": "钢木"}),
            ("A05010301", "联友", "LY-ZY09", "联友 职员办公椅", 480, {}),
            ("A02010104", "宝德", "PR2715P", "宝德 PR2715P 2U机架式服务器", 28000, {"CPU": "2×至强银牌4314"}),
        ]
        groups = {c: t.group for c, t in TRAITS.items()}
        for code, brand, model, title, price, specs in rows:
            item = Item(code, brand, model, title, price, specs)
            trait = TRAITS[code]
            product = self.product(item)
            listed = Listed(item, product, trait, money(price * 1.1), f"京东政企 {self.month}", None)
            pool = [s for s in self.suppliers if groups[code] in self.groups[s.id]]
            self.pending(listed, self.rng.choice(pool), cert=False)

    # records -------------------------------------------------------------------------------
    def record(self) -> None:
        self.session.flush()
        for offer, steps in self.planned:
            snap = offers.snapshot(offer)
            self.session.add(OfferVersion(offer_id=offer.id, number=1, state="applied",
                                          data=snap, created_at=offer.created_at))
            audit.record(self.session, None, "offer.create", "offer", offer.id,
                         after={**snap, "via": "seed-demo"})
            status = S.DRAFT.value
            for action, new, reason, note in steps:
                audit.record(self.session, None, f"offer.{action}", "offer", offer.id,
                             before={"status": status},
                             after={"status": new, "reason_code": reason, "note": note,
                                    "via": "seed-demo"})
                status = new
        self.session.flush()
        product_ids = sorted({offer.product_id for offer, _ in self.planned})
        for product_id in product_ids:
            pricewatch.recompute(self.session, product_id)
        self.session.flush()


def seed_offers(session: Session, suppliers: list, rng: random.Random, today: date) -> dict:
    """Add the demo catalogue's offers for the suppliers that may trade; returns counts by status.

    Suppliers that are pending, suspended or banned are skipped: only active suppliers list.
    """
    seeder = _Seeder(session, suppliers, rng, today)
    seeder.list_products()
    seeder.list_offers()
    seeder.review_queue()
    seeder.record()
    counts = {s.value: 0 for s in S}
    for offer, _ in seeder.planned:
        counts[offer.status] += 1
    return counts
