"""Run-time settings from the environment (prefix ``ZEROPARK_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One settings object for the CLI and the API.

    Attributes
    ----------
    store_path : pathlib.Path
        DuckDB file (``ZEROPARK_STORE_PATH``), default ``./data/zeropark.duckdb``.
    store_url : str or None
        Store back-end as one URL (``ZEROPARK_STORE_URL``): ``duckdb:///abs/path.duckdb``
        (embedded, the default, built from ``store_path`` when unset) or
        ``postgresql://user:pass@host:5432/db`` (server mode, see ``docs/scale.md``).
    data_dir : pathlib.Path or None
        Folder laid out like ``shared/data`` with one sub-folder per data set
        (``ZEROPARK_DATA_DIR``); when unset, demo data are downloaded into
        ``cache_dir``.
    cache_dir : pathlib.Path
        Download cache (``ZEROPARK_CACHE_DIR``), default ``~/.cache/zeropark``.
    secret_key : pydantic.SecretStr or None
        Key that signs the API's access tokens (``ZEROPARK_SECRET_KEY``, HS256). When
        unset, ``zeropark serve`` and ``zeropark demo`` generate one and keep it in
        ``secret_key`` beside the store file (mode 0600); there is no built-in key.
    token_ttl_s : int
        Lifetime of an access token (``ZEROPARK_TOKEN_TTL_S``), default 8 h. [s]
    """

    model_config = SettingsConfigDict(env_prefix="ZEROPARK_")

    store_path: Path = Path("data/zeropark.duckdb")
    store_url: str | None = None
    data_dir: Path | None = None
    cache_dir: Path = Path.home() / ".cache" / "zeropark"
    secret_key: SecretStr | None = None
    token_ttl_s: int = 8 * 3600

    def resolved_store_url(self) -> str:
        """``store_url`` if set, else ``duckdb:///`` + the absolute ``store_path``."""
        if self.store_url:
            return self.store_url
        return "duckdb:///" + str(self.store_path.expanduser().absolute()).lstrip("/")
