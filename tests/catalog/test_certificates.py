"""Green certificates (catalog/certificates.py): labels and buyability, checked at read time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from catalog import certificates
from catalog.models import Certificate
from tests import factories

TODAY = date.today()
DAY = timedelta(days=1)
PC_SPECS = {"CPU": "i5-12500", "内存": "16GB", "硬盘": "512GB SSD", "操作系统": "统信UOS"}


def cert(valid_until: date, *, kind: str = "energy", certifier: str = "中国质量认证中心",
         number: str = "CQC24701234567") -> dict:
    return {"kind": kind, "number": number, "certifier": certifier, "scope": "台式计算机",
            "valid_until": valid_until}


def desktop(db, *, certs: list[dict] | None = None, status: str = "active"):
    """An offer in 台式计算机 (A02010105, mandatory green)."""
    return factories.offer(db, status=status, category_code="A02010105", brand="联想",
                           title="联想 启天M437 台式计算机", price=Decimal("4999.00"),
                           market_price=Decimal("5299.00"), specs=PC_SPECS, certificates=certs)


def test_valid_certificate_from_cqc_gives_the_green_label(db):
    offer = factories.offer(db, certificates=[cert(TODAY + 365 * DAY)])
    assert certificates.is_green(offer, TODAY)
    assert certificates.green_kinds(offer, TODAY) == ["energy"]
    assert certificates.green_labels(offer, TODAY) == ["节能"]


def test_environment_label_from_cec(db):
    offer = factories.offer(db, certificates=[cert(TODAY + DAY, kind="environment",
                                                   certifier="中环联合（北京）认证中心有限公司")])
    assert certificates.green_labels(offer, TODAY) == ["环境标志"]


def test_expired_certificate_loses_the_label_at_read_time_without_a_job(db):
    yesterday = TODAY - DAY
    offer = factories.offer(db, certificates=[cert(yesterday)])
    db.flush()
    assert certificates.is_green(offer, yesterday)  # it was green on its last valid day
    assert not certificates.is_green(offer, TODAY)
    assert certificates.green_labels(offer, TODAY) == []
    # nothing was written: the certificate row is still there, unchanged
    (row,) = db.scalars(select(Certificate).where(Certificate.offer_id == offer.id))
    assert row.valid_until == yesterday
    assert row not in db.dirty


def test_certificate_from_an_unrecognised_certifier_is_not_green(db):
    offer = factories.offer(db, certificates=[cert(TODAY + 365 * DAY, certifier="某某认证公司")])
    assert not certificates.is_green(offer, TODAY)
    assert certificates.green_labels(offer, TODAY) == []
    assert any("某某认证公司" in m for m in certificates.invalid_claims(offer, TODAY))


def test_mandatory_green_offer_without_certificate_is_not_buyable(db):
    offer = desktop(db)
    assert offer.product.category.mandatory_green
    ok, message = certificates.buyable(offer, TODAY)
    assert ok is False
    assert "台式计算机" in message


def test_mandatory_green_offer_with_a_valid_certificate_is_buyable(db):
    offer = desktop(db, certs=[cert(TODAY + 30 * DAY)])
    assert certificates.buyable(offer, TODAY) == (True, None)


def test_mandatory_green_offer_becomes_unbuyable_the_day_after_expiry(db):
    last_day = TODAY + 10 * DAY
    offer = desktop(db, certs=[cert(last_day)])
    assert certificates.buyable(offer, last_day) == (True, None)
    ok, message = certificates.buyable(offer, last_day + DAY)
    assert ok is False
    assert "台式计算机" in message


def test_mandatory_green_offer_with_an_unrecognised_certifier_is_not_buyable(db):
    offer = desktop(db, certs=[cert(TODAY + 30 * DAY, certifier="某某认证公司")])
    assert certificates.buyable(offer, TODAY)[0] is False


def test_non_mandatory_category_is_buyable_without_certificate(db):
    offer = factories.offer(db, status="active")  # 复印纸 A05040101
    assert not offer.product.category.mandatory_green
    assert certificates.buyable(offer, TODAY) == (True, None)


def test_an_offer_not_on_sale_is_not_buyable(db):
    offer = factories.offer(db, status="delisted")
    assert certificates.buyable(offer, TODAY)[0] is False
