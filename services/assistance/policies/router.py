from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.assistance.policies.book import PolicyBook
from services.assistance.policies.catalog import PolicyInfo
from shared.auth import Principal, require
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/policies", tags=["policies 救助政策"])


@router.get("", summary="政策目录 (the policies, optionally those in force on a date)")
async def list_policies(
    request: Request,
    _: Annotated[Principal, Depends(require())],
    on: Annotated[BusinessDate | None, Query(description="只列出该日有效的政策 (only those in force)")] = None,
) -> list[PolicyInfo]:
    book: PolicyBook = request.app.state.policy_book
    return [p for p in book.index if on is None or p.in_force(on)]
