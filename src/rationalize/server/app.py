"""The FastAPI viewer app: example list, example page, summary page.

Safety: the app only serves the dataset split and results files it was built with (examples by id,
looked up in the precomputed index) and a fixed list of its own static files, never a path from a
request. Query parameters are validated (ranges, labels, sort keys, metric names) and bad ones get a
400 page that says which parameter is wrong. Templates escape everything; pages carry a
Content-Security-Policy that only allows the app's own scripts.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from rationalize.server.state import ViewerState

PER_PAGE_CHOICES = (25, 50, 100, 200)
MAX_QUERY_LENGTH = 200
MAX_CHAT_LENGTH = 2000
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class BadParameter(HTTPException):
    """HTTP 400 for a bad query parameter, naming it."""
    def __init__(self, name: str, message: str):
        super().__init__(status_code=400, detail=f"query parameter {name!r} {message}")
        self.name = name


def _static_files() -> dict[str, tuple[str, str]]:
    """The only files under /static: name -> (media type, loader key)."""
    return {
        "app.css": ("text/css; charset=utf-8", "pkg"),
        "app.js": ("text/javascript; charset=utf-8", "pkg"),
        "plotly.min.js": ("text/javascript; charset=utf-8", "plotly"),
    }


def create_app(state: ViewerState, conversation: Any = None) -> FastAPI:
    """The viewer for one :class:`ViewerState` (build it with ``ViewerState.from_paths``); with a
    :class:`~rationalize.dialogue.Conversation` it also serves the chat page (``/chat``, ``POST /api/chat``)."""
    from rationalize.server.plots import plotly_js, summary_figures
    from rationalize.server.render import HEADLINE, example_context, headline_rows, score_rows
    from rationalize.server.templating import environment, static_text

    app = FastAPI(title="rationalize viewer", docs_url=None, redoc_url=None, openapi_url=None)
    env = environment()
    cache: dict[str, Any] = {}

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("inline_assets", False)
        context.setdefault("state", state)
        context.setdefault("chat", conversation is not None)
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP,
                                                                "X-Content-Type-Options": "nosniff",
                                                                "Referrer-Policy": "no-referrer"})

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page("error.html", status=exc.status_code, title=f"Error {exc.status_code}", message=str(exc.detail))

    def run_param(request: Request) -> int:
        return _int(request, "run", 0, 0, len(state.runs) - 1)

    # -- list ---------------------------------------------------------------------------------------
    def list_query(request: Request) -> dict[str, Any]:
        params = request.query_params
        allowed = {"q", "run", "gold", "pred", "correct", "sort", "desc", "page", "per_page"}
        run = run_param(request)
        metric_keys = state.runs[run].metric_keys
        for name in params:
            if name in allowed:
                continue
            if name.startswith(("min_", "max_")) and name[4:] in metric_keys:
                continue
            raise BadParameter(name, "is not a parameter of this page (or names an unknown metric)")
        q = params.get("q", "")
        if len(q) > MAX_QUERY_LENGTH:
            raise BadParameter("q", f"is longer than {MAX_QUERY_LENGTH} characters")
        gold = _choice(request, "gold", state.labels)
        pred_labels = sorted({r["pred"] for r in state.runs[run].rows if r["pred"] is not None} | set(state.labels))
        pred = _choice(request, "pred", pred_labels)
        correct_text = _choice(request, "correct", ["yes", "no"])
        correct = None if correct_text is None else correct_text == "yes"
        sort = params.get("sort", "id") or "id"
        if sort not in state.sort_keys(run):
            raise BadParameter("sort", f"must be one of: {', '.join(state.sort_keys(run))}")
        desc = _choice(request, "desc", ["0", "1"]) == "1"
        ranges: dict[str, tuple[float | None, float | None]] = {}
        for key in metric_keys:
            lo, hi = _float(request, f"min_{key}"), _float(request, f"max_{key}")
            if lo is not None or hi is not None:
                ranges[key] = (lo, hi)
        per_page = _int(request, "per_page", 50, 1, max(PER_PAGE_CHOICES))
        page_no = _int(request, "page", 1, 1, 10**9)
        return {"run": run, "q": q, "gold": gold, "pred": pred, "correct": correct, "correct_text": correct_text,
                "sort": sort, "desc": desc, "ranges": ranges, "per_page": per_page, "page": page_no,
                "pred_labels": pred_labels}

    def filtered(f: dict[str, Any]) -> list[dict[str, Any]]:
        return state.query(run=f["run"], q=f["q"], gold=f["gold"], pred=f["pred"], correct=f["correct"],
                           ranges=f["ranges"], sort=f["sort"], desc=f["desc"])

    @app.get("/", response_class=HTMLResponse)
    def example_list(request: Request) -> HTMLResponse:
        f = list_query(request)
        rows = filtered(f)
        pages = max(1, math.ceil(len(rows) / f["per_page"]))
        if f["page"] > pages:
            raise BadParameter("page", f"is past the last page ({pages})")
        start = (f["page"] - 1) * f["per_page"]
        current = {k: v for k, v in request.query_params.items() if v != ""}

        def url(**changes: Any) -> str:
            merged = {**current, **{k: str(v) for k, v in changes.items() if v is not None}}
            for k, v in changes.items():
                if v is None:
                    merged.pop(k, None)
            return "/?" + urlencode(merged)

        run = state.runs[f["run"]]
        shown_metrics = run.metric_keys[:5]
        return page("list.html", title="Examples", f=f, rows=rows[start:start + f["per_page"]], total=len(rows),
                    pages=pages, url=url, run=run, shown_metrics=shown_metrics, range_metrics=run.metric_keys[:4],
                    per_page_choices=PER_PAGE_CHOICES, start=start)

    @app.get("/api/examples")
    def api_examples(request: Request) -> JSONResponse:
        """The filtered, sorted list as JSON (ids and row values) for scripts."""
        f = list_query(request)
        rows = filtered(f)
        start = (f["page"] - 1) * f["per_page"]
        out = [{k: v for k, v in r.items() if k != "i"} for r in rows[start:start + f["per_page"]]]
        return JSONResponse(_no_nan({"total": len(rows), "rows": out}))

    # -- example ------------------------------------------------------------------------------------
    @app.get("/example/{annotation_id:path}", response_class=HTMLResponse)
    def example_page(request: Request, annotation_id: str) -> HTMLResponse:
        for name in request.query_params:
            if name not in {"layout"}:
                raise BadParameter(name, "is not a parameter of this page")
        layout = _choice(request, "layout", ["stacked", "columns"]) or "stacked"
        i = state.index.get(annotation_id)
        if i is None:
            raise HTTPException(404, f"no example with annotation id {annotation_id!r} in split {state.split!r}")
        ctx = example_context(state, i)
        prev_id = state.examples[i - 1].id if i > 0 else None
        next_id = state.examples[i + 1].id if i + 1 < len(state.examples) else None
        return page("example.html", title=f"Example {annotation_id}", layout=layout, prev_id=prev_id,
                    next_id=next_id, **ctx)

    # -- summary ------------------------------------------------------------------------------------
    @app.get("/summary", response_class=HTMLResponse)
    def summary(request: Request) -> HTMLResponse:
        for name in request.query_params:
            raise BadParameter(name, "is not a parameter of this page")
        if state.scoring and not all(r.scores_ready for r in state.runs):
            done = sum(r.scores_ready for r in state.runs)
            return page("waiting.html", status=503, title="Summary",
                        message=f"Computing the scores of the results files ({done} of {len(state.runs)} done)...")
        if "figures" not in cache:
            cache["figures"] = summary_figures(state)
            cache["scores"] = score_rows([r.scores for r in state.runs])
            cache["headline"] = headline_rows([r.scores for r in state.runs])
        return page("summary.html", title="Summary", figures=cache["figures"], score_rows=cache["scores"],
                    headline=cache["headline"], headline_titles=[t for t, _ in HEADLINE])

    # -- chat ---------------------------------------------------------------------------------------
    if conversation is not None:
        import threading

        lock = threading.Lock()  # one conversation, one turn at a time

        @app.get("/chat", response_class=HTMLResponse)
        def chat_page(request: Request) -> HTMLResponse:
            for name in request.query_params:
                raise BadParameter(name, "is not a parameter of this page")
            return page("chat.html", title="Chat", suggestions=conversation.suggestions()[:8],
                        workspace=conversation.workspace)

        @app.post("/api/chat")
        async def chat_api(request: Request) -> JSONResponse:
            """One turn: ``{"question": text}`` (or ``{"program": text}``, an edited parse) -> the reply as
            JSON, with ``html``: the answer rendered by the template (everything escaped)."""
            try:
                body = await request.json()
            except ValueError:
                raise HTTPException(400, "the body must be JSON: {\"question\": \"...\"}") from None
            if not isinstance(body, dict):
                raise HTTPException(400, "the body must be a JSON object")
            question, program = body.get("question"), body.get("program")
            text = program if program is not None else question
            if not isinstance(text, str) or not text.strip():
                raise HTTPException(400, "give a non-empty 'question' (or 'program') string")
            if len(text) > MAX_CHAT_LENGTH:
                raise HTTPException(400, f"the question is longer than {MAX_CHAT_LENGTH} characters")
            from starlette.concurrency import run_in_threadpool

            def turn() -> Any:
                with lock:
                    return conversation.run(text) if program is not None else conversation.ask(text)

            reply = await run_in_threadpool(turn)
            html = env.get_template("_chat_answer.html").render(reply=reply, answer=reply.answer,
                                                                uid=len(conversation.history))
            return JSONResponse(_no_nan({**reply.to_dict(), "html": html}))

    # -- static -------------------------------------------------------------------------------------
    @app.get("/static/{name}")
    def static(name: str) -> Response:
        files = _static_files()
        if name not in files:
            raise HTTPException(404, "no such static file")
        media, source = files[name]
        if name not in cache:
            cache[name] = plotly_js() if source == "plotly" else static_text(name)
        return Response(cache[name], media_type=media, headers={"Cache-Control": "max-age=3600",
                                                                "X-Content-Type-Options": "nosniff"})

    app.state.viewer = state
    return app


def _no_nan(value: Any) -> Any:
    """JSON has no NaN: undefined per-example metrics become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise BadParameter(name, f"must be one of: {', '.join(choices)}")
    return value


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadParameter(name, f"must be an integer, got {text[:40]!r}") from None
    if not lo <= value <= hi:
        raise BadParameter(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _float(request: Request, name: str) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(name, f"must be a number, got {text[:40]!r}") from None
    if math.isnan(value):
        raise BadParameter(name, "must be a number, not NaN")
    return value
