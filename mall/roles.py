"""The roles (角色) and their Chinese names."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"  # 采购人 / 预算单位
    SUPPLIER = "supplier"  # 供应商
    OPERATOR = "operator"  # 平台运营
    AGENCY = "agency"  # 集中采购机构
    REGULATOR = "regulator"  # 财政监管
    ADMIN = "admin"  # 系统管理员
    FINANCE = "finance"  # 财政支付（国库集中支付）


ROLE_LABELS = {
    Role.BUYER: "采购人（预算单位）",
    Role.SUPPLIER: "供应商",
    Role.OPERATOR: "平台运营",
    Role.AGENCY: "集中采购机构",
    Role.REGULATOR: "财政监管",
    Role.ADMIN: "系统管理员",
    Role.FINANCE: "财政支付",
}

# Roles that oversee every unit's and supplier's records (read across units).
OVERSEERS = frozenset({Role.OPERATOR, Role.REGULATOR, Role.ADMIN})
