"""Contract numbers, amounts in Chinese capitals, and the PDF."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest

from orders.contracts import (
    ContractDoc,
    ContractLine,
    amount_in_words,
    contract_number,
    render_pdf,
)


@pytest.mark.parametrize("amount, words", [
    ("0.05", "伍分"),
    ("10.00", "壹拾元整"),
    ("1000000.00", "壹佰万元整"),
    ("100200.30", "壹拾万零贰佰元叁角"),
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("10.05", "壹拾元零伍分"),
    ("1010.01", "壹仟零壹拾元零壹分"),
    ("0.00", "零元整"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize("bad", [Decimal("-1.00"), Decimal("NaN"), 12.5])
def test_amount_in_words_refuses_non_amounts(bad):
    with pytest.raises(ValueError):
        amount_in_words(bad)


def test_contract_number_format():
    assert contract_number(2026, "330100002", 7) == "HT-2026-330100002-00007"


def _doc(**kw) -> ContractDoc:
    data = dict(
        number="HT-2026-330100002-00001", signed_on=date(2026, 11, 21),
        order_number="DD20261121-000001", buyer_name="杭州市教育局", buyer_code="330100002",
        supplier_name="杭州联创信息技术有限公司", supplier_uscc="91330106MA2XXXXXX0",
        supplier_size="中型企业", payee_bank="中国工商银行", payee_account="1202000000000001",
        payment_method="公务卡",
        lines=[ContractLine("联想 启天M450 台式计算机", "A02010105 台式计算机",
                            Decimal("4999.00"), 2, Decimal("9998.00")),
               ContractLine("得力 A4 复印纸 70g 500张/包", "A05040101 复印纸",
                            Decimal("25.00"), 40, Decimal("1000.00"))],
        total=Decimal("10998.00"), payment_term_days=30,
        delivery_address="杭州市上城区解放东路18号", contact_name="王晓燕",
        contact_phone="13800000000")
    return ContractDoc(**(data | kw))


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(m: re.Match) -> bytes:
    esc = m[1]
    if esc[:1].isdigit():
        return bytes([int(esc, 8)])
    return _ESCAPES.get(esc, esc)


def pdf_text(pdf: bytes) -> str:
    """Text drawn with the UCS-2 CID font: inflate each content stream and decode the hex
    or literal strings of the text operators as UTF-16BE."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\s*endstream", pdf, re.S):
        try:  # ReportLab writes content streams as /ASCII85Decode /FlateDecode
            data = zlib.decompress(base64.a85decode(raw.strip(), adobe=True))
        except (ValueError, zlib.error):
            continue
        for hexstr in re.findall(rb"<([0-9a-fA-F\s]+)>\s*Tj", data):
            out.append(bytes.fromhex(hexstr.decode()).decode("utf-16-be", "replace"))
        for lit in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data):
            unescaped = re.sub(rb"\\([0-7]{1,3}|.)", _unescape, lit, flags=re.S)
            out.append(unescaped.decode("utf-16-be", "replace"))
    return "".join(out)


def test_pdf_is_a_pdf_with_the_cjk_font_and_the_contract_text():
    pdf = render_pdf(_doc())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/STSong-Light" in pdf
    text = pdf_text(pdf)
    for expected in ("政府采购合同", "HT-2026-330100002-00001", "杭州市教育局",
                     "杭州联创信息技术有限公司", "91330106MA2XXXXXX0", "1202000000000001",
                     "壹万零玖佰玖拾捌元整", "10,998.00", "30", "联想 启天M450 台式计算机",
                     "公务卡"):
        assert expected in text, expected
    assert "政采贷" not in text


def test_financed_contract_says_the_payee_account_is_locked():
    text = pdf_text(render_pdf(_doc(financed=True, financier="中国建设银行杭州分行")))
    assert "政采贷" in text and "收款账户已锁定" in text and "中国建设银行杭州分行" in text
