"""Green certificates (节能 / 环境标志) and what they allow, checked at read time.

An offer carries the green label while one of its certificates is unexpired and from a
recognised certifier; once it expires the label disappears by itself, and in a
mandatory-green category (强制采购) the offer can no longer be bought.
"""

from __future__ import annotations

from datetime import date

from catalog.models import CERT_LABELS, Certificate, CertificateKind, Offer

# Certification bodies recognised for the government green lists (财库〔2019〕9号 lists the
# bodies announced by 市场监管总局; these are the two principal ones).
RECOGNISED_CERTIFIERS = {
    CertificateKind.ENERGY: {"中国质量认证中心", "CQC"},
    CertificateKind.ENVIRONMENT: {"中环联合（北京）认证中心有限公司", "中环联合(北京)认证中心有限公司",
                                  "中环联合认证中心", "CEC"},
}


def is_valid(cert: Certificate, today: date) -> bool:
    kind = CertificateKind(cert.kind)
    return cert.valid_until >= today and cert.certifier in RECOGNISED_CERTIFIERS[kind]


def green_kinds(offer: Offer, today: date) -> list[str]:
    """The labels the offer may show today, e.g. ["energy"]."""
    return sorted({c.kind for c in offer.certificates if is_valid(c, today)})


def green_labels(offer: Offer, today: date) -> list[str]:
    return [CERT_LABELS[CertificateKind(k)] for k in green_kinds(offer, today)]


def is_green(offer: Offer, today: date) -> bool:
    return bool(green_kinds(offer, today))


def buyable(offer: Offer, today: date) -> tuple[bool, str | None]:
    """Whether a buyer may order the offer today, with the reason when not."""
    if offer.status != "active":
        return False, "商品未在售"
    category = offer.product.category
    if category.mandatory_green and not is_green(offer, today):
        return False, (f"“{category.name}”属于节能产品强制采购品目，该商品无有效节能/环境标志认证证书，"
                       "不能采购")
    return True, None


def invalid_claims(offer: Offer, today: date) -> list[str]:
    """Messages about certificates that are expired or from an unrecognised certifier."""
    out = []
    for c in offer.certificates:
        kind = CertificateKind(c.kind)
        if c.valid_until < today:
            out.append(f"{CERT_LABELS[kind]}证书 {c.number} 已于 {c.valid_until} 过期")
        elif c.certifier not in RECOGNISED_CERTIFIERS[kind]:
            out.append(f"{CERT_LABELS[kind]}证书 {c.number} 的认证机构“{c.certifier}”不在认可名单内")
    return out
