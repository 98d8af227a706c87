"""Region names (行政区划) for display: province-level codes of GB/T 2260 and how a delivery
region list (`"*"`, or code prefixes such as 33, 3301, 330106) reads to a person."""

from __future__ import annotations

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}


def region_label(code: str) -> str:
    """`33` → 浙江省; a city or county prefix keeps its code after the province name
    (浙江省 3301), since only province names are held here."""
    if code == "*":
        return "全国"
    province = PROVINCES.get(code[:2])
    if province is None:
        return code
    return province if len(code) == 2 else f"{province} {code}"


def regions_label(codes) -> str:
    """A delivery region list as a person reads it: 全国, or 上海市、江苏省、浙江省."""
    codes = list(codes or [])
    if "*" in codes:
        return "全国"
    return "、".join(region_label(c) for c in codes) or "—"
