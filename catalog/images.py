"""Product images: type checked by content (not by file name), size capped, stored under
instance/images by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from catalog.models import Offer
from mall import audit
from mall.errors import field_error

MAX_BYTES = 2 * 1024 * 1024
MAX_IMAGES = 8
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))


def image_kind(content: bytes) -> str | None:
    for magic, ext in SIGNATURES:
        if content.startswith(magic):
            return ext
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    return None


def add_image(session: Session, actor, offer: Offer, content: bytes, image_dir: Path) -> str:
    """Validate and store one image of the offer's product; returns its stored name."""
    if not content:
        raise field_error("file", "请选择图片文件", code="image_invalid")
    if len(content) > MAX_BYTES:
        raise field_error("file", f"图片不能超过 {MAX_BYTES // 1024 // 1024} MB",
                          code="image_too_large")
    kind = image_kind(content)
    if kind is None:
        raise field_error("file", "只支持 PNG、JPEG、WebP 格式的图片", code="image_invalid")
    product = offer.product
    if len(product.images or []) >= MAX_IMAGES:
        raise field_error("file", f"每个商品最多 {MAX_IMAGES} 张图片", code="image_limit")
    name = f"{hashlib.sha256(content).hexdigest()}.{kind}"
    image_dir.mkdir(parents=True, exist_ok=True)
    path = image_dir / name
    if not path.exists():
        path.write_bytes(content)
    if name not in (product.images or []):
        product.images = [*(product.images or []), name]
    audit.record(session, actor, "product.image_add", "product", product.id,
                 after={"image": name, "offer_id": offer.id})
    return name
