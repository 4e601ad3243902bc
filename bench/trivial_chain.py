"""The yardsticks of the settlement bench, on the services' own framework, HTTP client and database
pool, each a front that the bench posts discharges to and a backend that answers it:

- the trivial chain: the front makes a settlement's three downstream calls (two look-ups at once,
  then one POST) to a backend that returns a fixed answer;
- the floor (`--database URL`): the hops and statements no settlement can do without, and none of
  its work. The front claims the serial (one INSERT), makes one look-up, for which the backend
  reads one row (the registry's eligibility; settlement caches the hospital), posts one calculation
  and records (one statement: five ledger rows and the statement text), as settlement does.

Run: python -m bench.trivial_chain backend|front --port P [--backend URL] [--database URL]
(`--database` on both roles); `FLOOR_SCHEMA` must exist first.
"""

import argparse
import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from shared.app import FASTAPI_TELEMETRY_OFF
from shared.db import Database
from shared.http_client import ServiceClient

FIXED = {"ok": True, "amount": "8814.40"}
FLOOR_SCHEMA = """
CREATE TABLE floor_persons (id_number text PRIMARY KEY, region_code text NOT NULL);
CREATE TABLE floor_settlements (id text PRIMARY KEY, his_serial text NOT NULL UNIQUE, statement text);
CREATE TABLE floor_ledger (id bigserial PRIMARY KEY, settlement_id text NOT NULL, accumulator text NOT NULL,
    amount numeric(14, 2) NOT NULL);
"""
_CLAIM = "INSERT INTO floor_settlements (id, his_serial) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id"
_LOOKUP = "SELECT * FROM floor_persons WHERE id_number = $1"
_RECORD = """
WITH entries AS (INSERT INTO floor_ledger (settlement_id, accumulator, amount)
    SELECT $1, name, 100.00 FROM unnest($2::text[]) AS name)
UPDATE floor_settlements SET statement = $3 WHERE id = $1
"""
_ACCUMULATORS = ["policy_range", "personal_burden", "assistance", "re_assistance", "critical_illness"]
_STATEMENT = "x" * 3000  # about the size of a settlement's statement with its trace


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _closing(database: Database | None, client: ServiceClient | None = None) -> Any:
    """A lifespan that closes the front's client and the database pool at shutdown."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if client is not None:
            await client.close()
        if database is not None:
            await database.dispose()

    return lifespan


def backend_app(database: Database | None = None) -> FastAPI:
    app = FastAPI(lifespan=_closing(database), telemetry=FASTAPI_TELEMETRY_OFF)
    app.get("/healthz")(healthz)

    @app.get("/lookup/{key}")
    async def lookup(key: str) -> dict[str, Any]:
        if database is not None:
            async with database.driver_connection() as connection:
                await connection.fetchrow(_LOOKUP, key)
        return {"key": key, **FIXED}

    @app.post("/calculate")
    async def calculate(body: dict[str, Any]) -> dict[str, Any]:
        return FIXED

    return app


def front_app(backend_url: str, database: Database | None = None) -> FastAPI:
    client = ServiceClient("backend", backend_url)
    app = FastAPI(lifespan=_closing(database, client), telemetry=FASTAPI_TELEMETRY_OFF)
    app.get("/healthz")(healthz)

    if database is None:
        @app.post("/v1/settlements", status_code=201)
        async def settle(body: dict[str, Any]) -> dict[str, Any]:
            await asyncio.gather(client.get("/lookup/person"), client.get("/lookup/hospital"))
            return await client.post("/calculate", body, idempotent=True)

        return app

    @app.post("/v1/settlements", status_code=201)
    async def settle_floor(body: dict[str, Any]) -> dict[str, Any]:
        settlement_id = uuid.uuid4().hex
        async with database.driver_connection() as connection:
            await connection.fetchrow(_CLAIM, settlement_id, body["his_serial"])
        await client.get(f"/lookup/{body['id_number']}")
        answer = await client.post("/calculate", body, idempotent=True)
        async with database.driver_connection() as connection:
            await connection.execute(_RECORD, settlement_id, _ACCUMULATORS, _STATEMENT)
        return answer

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["backend", "front"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", default="")
    parser.add_argument("--database", default="", help="the floor's PostgreSQL database")
    args = parser.parse_args()
    database = Database(args.database) if args.database else None
    app = backend_app(database) if args.role == "backend" else front_app(args.backend, database)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
