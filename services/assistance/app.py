"""The assistance service: policies as data and (next issues) the calculation. Stateless."""

from fastapi import FastAPI

from services.assistance.calculation.router import router as calculations_router
from services.assistance.policies.book import PolicyBook
from services.assistance.policies.router import router as policies_router
from services.assistance.settings import AssistanceSettings
from shared.app import build_service_app


def create_app(settings: AssistanceSettings | None = None) -> FastAPI:
    settings = settings or AssistanceSettings()
    book = PolicyBook.load(settings.policy_dir)  # raises, so the service refuses to start

    app = build_service_app(
        service="assistance",
        title="Assistance 医疗救助政策与计算",
        description="救助政策（数据文件，含生效日期）与一次结算的计算。"
        " Assistance policies as dated data files, and the settlement calculation.",
        settings=settings,
        routers=[policies_router, calculations_router],
        readiness={},
    )
    app.state.policy_book = book
    app.state.allow_unverified = settings.allow_unverified
    return app
