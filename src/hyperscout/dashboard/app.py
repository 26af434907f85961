"""The dashboard's web app (Starlette): three pages, static assets and the JSON API.

Read-only: every route is a GET. Pages carry no user data: the browser fetches it from the API
and inserts it with ``textContent`` (never as HTML), and a Content-Security-Policy allows only
the app's own scripts, so a parameter name, attribute or error text cannot run script.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from hyperscout._imports import optional_import
from hyperscout.dashboard import api
from hyperscout.dashboard._store import DashboardStore
from hyperscout.storage.base import Storage

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'")


def _page(title: str, body_attrs: str, main: str) -> str:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
        # app.js loads plotly.js (3.5 MB, seconds to compile on a busy CPU) after the first data
        "<script src=\"/static/app.js\" defer></script></head>"
        f"<body {body_attrs}><header><a href=\"/\">hyperscout</a> dashboard "
        "<span id=\"status\" class=\"muted\"></span></header><main>" + main +
        "</main></body></html>"
    )


STUDIES_PAGE = _page("hyperscout studies", 'data-page="studies"',
                     "<h1>Studies</h1><table id=\"studies\"><thead><tr><th>name</th>"
                     "<th>directions</th><th>trials</th><th>best</th><th>started</th></tr>"
                     "</thead><tbody></tbody></table>")


def _study_page(study_id: int) -> str:
    tabs = "".join(f'<button class="tab" data-kind="{k}">{k}</button>' for k in api.PLOT_KINDS)
    return _page(
        "hyperscout study", f'data-page="study" data-study="{int(study_id)}"',
        "<h1 id=\"title\"></h1><div id=\"summary\"></div>"
        "<section><h2>Plots</h2><div id=\"tabs\">" + tabs +
        "<label>objective <select id=\"objective\"></select></label></div>"
        "<div id=\"plot\" class=\"plot\"></div></section>"
        "<section><h2>Trials <span id=\"total\" class=\"muted\"></span></h2>"
        "<form id=\"filters\"><span id=\"states\"></span>"
        "<label>param <select id=\"range-param\"><option value=\"\">-</option></select></label>"
        "<label class=\"numeric\">min <input id=\"range-min\" size=\"8\"></label>"
        "<label class=\"numeric\">max <input id=\"range-max\" size=\"8\"></label>"
        "<label class=\"choice\" hidden>value <select id=\"choice-value\"></select></label>"
        "<label>per page <select id=\"limit\"><option>50</option><option>100</option>"
        "<option>500</option></select></label>"
        "<button type=\"button\" id=\"prev\">&larr;</button>"
        "<button type=\"button\" id=\"next\">&rarr;</button></form>"
        "<table id=\"trials\"><thead></thead><tbody></tbody></table></section>")


def _trial_page(study_id: int, number: int) -> str:
    return _page(
        "hyperscout trial",
        f'data-page="trial" data-study="{int(study_id)}" data-number="{int(number)}"',
        "<p><a id=\"back\" href=\"/studies/" + str(int(study_id)) + "\">&larr; study</a></p>"
        "<h1 id=\"title\"></h1><table id=\"fields\"><tbody></tbody></table>"
        "<h2>Parameters</h2><table id=\"params\"><tbody></tbody></table>"
        "<h2>Learning curve</h2><div id=\"curve\" class=\"plot\"></div>"
        "<h2>User attributes</h2><table id=\"user_attrs\"><tbody></tbody></table>"
        "<h2>System attributes</h2><table id=\"system_attrs\"><tbody></tbody></table>"
        "<h2>Error</h2><pre id=\"error\"></pre>")


def create_app(storage: Storage) -> Any:
    """The Starlette application over ``storage`` (read-only).

    Example:
        >>> import hyperscout as hs
        >>> app = create_app(hs.create_study().storage)  # doctest: +SKIP
    """
    applications = optional_import("starlette.applications", extra="dashboard",
                                   feature="the dashboard")
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    store = DashboardStore(storage)
    plotly_js = _plotly_js_path()

    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data, allow_nan=False), status_code=status,
                        media_type="application/json")

    def _int(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise api.ApiError(400, f"{name}={raw!r}: must be an integer") from None

    def handle(fn):
        def endpoint(request: Request) -> Response:
            try:
                return fn(request)
            except api.ApiError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
        return endpoint

    def path_int(request: Request, name: str) -> int:
        return int(request.path_params[name])

    @handle
    def studies_page(request: Request) -> Response:
        return HTMLResponse(STUDIES_PAGE)

    @handle
    def study_page(request: Request) -> Response:
        return HTMLResponse(_study_page(path_int(request, "study_id")))

    @handle
    def trial_page(request: Request) -> Response:
        return HTMLResponse(_trial_page(path_int(request, "study_id"),
                                        path_int(request, "number")))

    @handle
    def api_studies(request: Request) -> Response:
        return _json(api.list_studies(store))

    @handle
    def api_study(request: Request) -> Response:
        return _json(api.study_summary(store, path_int(request, "study_id")))

    @handle
    def api_trials(request: Request) -> Response:
        q = request.query_params
        return _json(api.list_trials(
            store, path_int(request, "study_id"), states=q.getlist("state"),
            ranges=q.getlist("range"), choices=q.getlist("choice"), sort=q.get("sort", "number"),
            offset=_int(request, "offset", 0), limit=_int(request, "limit", 100)))

    @handle
    def api_trial(request: Request) -> Response:
        return _json(api.get_trial(store, path_int(request, "study_id"),
                                   path_int(request, "number")))

    @handle
    def api_plot(request: Request) -> Response:
        text = api.plot_json(store, path_int(request, "study_id"),
                             request.path_params["kind"],
                             objective=_int(request, "objective", 0))
        return Response(text, media_type="application/json")

    @handle
    def api_openapi(request: Request) -> Response:
        return _json(api.OPENAPI)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "plotly.min.js":
            return FileResponse(plotly_js, media_type="text/javascript")
        files = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in files:
            return JSONResponse({"error": f"no static file {name!r}"}, status_code=404)
        return FileResponse(STATIC / name, media_type=files[name])

    routes = [
        Route("/", studies_page),
        Route("/studies/{study_id:int}", study_page),
        Route("/studies/{study_id:int}/trials/{number:int}", trial_page),
        Route("/api/studies", api_studies),
        Route("/api/studies/{study_id:int}", api_study),
        Route("/api/studies/{study_id:int}/trials", api_trials),
        Route("/api/studies/{study_id:int}/trials/{number:int}", api_trial),
        Route("/api/studies/{study_id:int}/plots/{kind}", api_plot),
        Route("/api/openapi.json", api_openapi),
        Route("/static/{name}", static),
    ]  # Route's default methods are GET and HEAD only: the app cannot change the storage
    app = applications.Starlette(routes=routes)
    return _SecurityHeaders(app)


class _SecurityHeaders:
    """ASGI middleware adding CSP and related headers to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer")]
                if scope["path"].startswith("/static/"):  # versioned with the package
                    headers.append((b"cache-control", b"public, max-age=3600"))
                else:  # live data: never from a cache
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _plotly_js_path() -> Path:
    plotly = optional_import("plotly", extra="viz", feature="dashboard plots")
    # plotly is a regular installed package, so its __file__ (typed str | None) is set
    path = Path(cast(str, plotly.__file__)).parent / "package_data" / "plotly.min.js"
    if not path.exists():
        raise FileNotFoundError(f"plotly.min.js not found in the plotly package at {path}")
    return path


def serve(storage: Storage, *, host: str = "127.0.0.1", port: int = 8080,
          log_level: str = "warning") -> None:
    """Run the dashboard with uvicorn until interrupted (binds to localhost by default)."""
    uvicorn = optional_import("uvicorn", extra="dashboard", feature="the dashboard")
    uvicorn.run(create_app(storage), host=host, port=port, log_level=log_level)
