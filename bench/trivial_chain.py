"""The yardstick for the settlement bench: a front service making the same three downstream calls
as a settlement (two look-ups at once, then one POST) to a backend that returns a fixed answer,
with the same HTTP client. Run: python -m bench.trivial_chain backend|front --port P [--backend URL]."""

import argparse
import asyncio
from typing import Any

import uvicorn
from fastapi import FastAPI

from shared.http_client import ServiceClient

FIXED = {"ok": True, "amount": "8814.40"}


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def backend_app() -> FastAPI:
    app = FastAPI()
    app.get("/healthz")(healthz)

    @app.get("/lookup/{key}")
    async def lookup(key: str) -> dict[str, Any]:
        return {"key": key, **FIXED}

    @app.post("/calculate")
    async def calculate(body: dict[str, Any]) -> dict[str, Any]:
        return FIXED

    return app


def front_app(backend_url: str) -> FastAPI:
    client = ServiceClient("backend", backend_url)
    app = FastAPI(on_shutdown=[client.close])
    app.get("/healthz")(healthz)

    @app.post("/v1/settlements", status_code=201)
    async def settle(body: dict[str, Any]) -> dict[str, Any]:
        await asyncio.gather(client.get("/lookup/person"), client.get("/lookup/hospital"))
        return await client.post("/calculate", body, idempotent=True)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["backend", "front"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", default="")
    args = parser.parse_args()
    app = backend_app() if args.role == "backend" else front_app(args.backend)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
