"""Named FastAPI dependencies: the store and the park of a request."""

from typing import Annotated

from fastapi import Depends, Query, Request

from zeropark.errors import ParkError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore


class NotFoundError(ParkError, LookupError):
    """A park or resource that does not exist (HTTP 404)."""


def get_store(request: Request) -> DuckDBStore:
    """The application's store."""
    store: DuckDBStore = request.app.state.store
    return store


StoreDep = Annotated[DuckDBStore, Depends(get_store)]


def get_park(park_id: str, request: Request, store: StoreDep) -> Park:
    """The park named in the path, rebuilt from the store once and cached.

    Raises
    ------
    NotFoundError
        If the store has no such park.
    """
    if park_id not in store.park_ids():
        raise NotFoundError(f"no park {park_id!r}")
    cache: dict[str, Park] = request.app.state.parks
    if park_id not in cache:
        cache[park_id] = store.load_park(park_id)
    return cache[park_id]


ParkDep = Annotated[Park, Depends(get_park)]
YearQuery = Annotated[int | None, Query(ge=1900, le=2200,
                                        description="Local calendar year; default the "
                                                    "latest year with data.")]
