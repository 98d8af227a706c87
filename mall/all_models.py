"""Imports every model module so `Base.metadata` is complete (Alembic, tests, create_app)."""

from catalog import models as catalog_models  # noqa: F401
from mall import accounts, audit, outbox  # noqa: F401
from mall.db import Base
from orders import models as orders_models  # noqa: F401
from suppliers import models as suppliers_models  # noqa: F401

metadata = Base.metadata
