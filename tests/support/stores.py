"""A service's database on either store the services run on: PostgreSQL (production) or SQLite
(`make run`)."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared.migrations import upgrade

STORES = ["postgresql", "sqlite"]


def migrated_url(store: str, service_dir: Path, migrated_database: Callable[[str], str], tmp_dir: Path) -> str:
    """A fresh database of the service on `store`, migrated to head."""
    if store == "postgresql":
        return migrated_database(service_dir.name)
    url = f"sqlite:///{tmp_dir / service_dir.name}.db"
    with ThreadPoolExecutor(max_workers=1) as worker:  # alembic runs its own event loop
        worker.submit(upgrade, service_dir, url).result()
    return url
