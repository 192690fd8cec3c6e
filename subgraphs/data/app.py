"""The data subgraph (port 8008): health-data protection. Run: `manpasik subgraph data`.

Besides /graphql it serves GET /exports/{id}/download: the owner's export through a signed, short-lived link
(`DataExport.downloadUrl`), the download audited."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from libs.config import Settings, get_settings
from libs.errors import AppError
from libs.graphql.app import create_subgraph_app
from subgraphs.data.context import DataContext
from subgraphs.data.resources import DataResources, open_resources
from subgraphs.data.schema import schema
from subgraphs.data.service import ExportService
from subgraphs.data.settings import DataSettings
from subgraphs.data.worker import DataWorkers

STATUS = {"FORBIDDEN": 403, "NOT_FOUND": 404}


def create_app(settings: Settings | None = None, own: DataSettings | None = None) -> FastAPI:
    own = own or DataSettings()
    app = create_subgraph_app(
        "data",
        schema,
        partial(open_resources, own=own),
        settings=settings or get_settings(),
        context_class=DataContext,
        workers=DataWorkers if own.workers else None,
    )

    @app.get("/exports/{export_id}/download")
    async def download(
        export_id: str, request: Request, user: str = "", expires: str = "", sig: str = ""
    ) -> Response:
        res: DataResources = request.app.state.resources
        try:
            res.deps.links.verify(export_id, user, expires, sig, res.deps.clock())
            async with res.db.write() as repo:
                body, media, filename = await ExportService(repo, res.deps).download(export_id, user)
        except AppError as e:
            return JSONResponse({"error": e.message, "code": e.code}, status_code=STATUS.get(e.code, 400))
        return Response(
            body,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return app
