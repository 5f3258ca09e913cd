"""The merged ``/openapi.json``, and Swagger UI at ``/docs`` and ReDoc at ``/redoc`` reading it, with their scripts,
styles and icon served by the gateway itself from the ``fastapi-offline`` package: the pages work on a machine
without internet, and nothing is fetched from a CDN."""

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, JSONResponse

ASSETS_URL = "/docs-assets"
OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
TITLE = "cobranza API"
# Swagger UI would otherwise show a badge loaded from validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None, "persistAuthorization": True}

# The pages may load only what the gateway serves. ReDoc's menu credits Redocly with an image it always asks
# cdn.redoc.ly for: the policy stops the browser before it asks. The pages' own start-up scripts and ReDoc's
# styles are inline; ReDoc's search runs in a blob worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'self'"
)

router = APIRouter(include_in_schema=False)


def _self_contained(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


@router.get(OPENAPI_URL)
async def openapi_document(request: Request) -> JSONResponse:
    """The merged document (``openapi.MergedOpenAPI``): the gateway's own routes and every service's."""
    return JSONResponse(await request.app.state.merged_openapi.document(request.app.openapi()))


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )
    return _self_contained(page)


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} - ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
    return _self_contained(page)


def install_docs(app: FastAPI) -> None:
    """The document, the two pages and their assets (``fastapi_offline/static``: swagger-ui-bundle.js, swagger-ui.css,
    redoc.standalone.js, favicon.png)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")
