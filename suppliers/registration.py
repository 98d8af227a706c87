"""Supplier self-registration (供应商注册) and profile validation."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_std
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from mall import audit
from mall.errors import Conflict, field_error
from suppliers.counties import is_832_county
from suppliers.models import Supplier, SupplierSize, SupplierStatus

REGION_CODE = re.compile(r"^[1-8]\d{5}$")


def validate_uscc(value: str) -> str:
    """Return the compact USCC or raise a 400 that names the field `uscc`."""
    try:
        return uscc_std.validate(value)
    except InvalidChecksum:
        raise field_error("uscc", "统一社会信用代码校验位错误，请核对营业执照",
                          code="uscc_checksum") from None
    except InvalidLength:
        raise field_error("uscc", "统一社会信用代码应为 18 位", code="uscc_invalid") from None
    except (InvalidFormat, InvalidComponent):
        raise field_error("uscc", "统一社会信用代码格式不正确（不含 I、O、Z、S、V）",
                          code="uscc_invalid") from None


def validate_region(region_code: str) -> str:
    if not REGION_CODE.match(region_code or ""):
        raise field_error("region_code", "行政区划代码应为 6 位数字，如 522727")
    return region_code


def register(session: Session, actor, *, uscc: str, name: str, region_code: str, size: str,
             contact_name: str, contact_phone: str, bank_name: str, bank_account: str,
             contact_email: str | None = None) -> Supplier:
    """Create a pending supplier. The 832 flag follows from the registered county."""
    code = validate_uscc(uscc)
    validate_region(region_code)
    SupplierSize(size)
    if session.scalar(select(Supplier.id).where(Supplier.uscc == code)) is not None:
        raise Conflict("该统一社会信用代码已注册", code="supplier_exists",
                       errors={"uscc": ["该统一社会信用代码已注册"]})
    supplier = Supplier(uscc=code, name=name, region_code=region_code, size=size,
                        is_832=is_832_county(region_code), contact_name=contact_name,
                        contact_phone=contact_phone, contact_email=contact_email,
                        bank_name=bank_name, bank_account=bank_account,
                        status=SupplierStatus.PENDING.value)
    session.add(supplier)
    session.flush()
    audit.record(session, actor, "supplier.register", "supplier", supplier.id,
                 after=supplier.public())
    return supplier
