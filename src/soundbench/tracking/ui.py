"""``mlflow ui --app-name soundbench``: MLflow's own server and UI, opening experiments on
their training runs.

MLflow 3's UI has one switch for the whole browser, "GenAI" or "Model training", kept in
localStorage and GenAI in a browser that never set it; the home page's experiment links
follow it, so a newcomer clicking an experiment lands on a GenAI overview of traces with a
"Detect Issues" pop-up, whatever the experiment's kind tag says. MLflow has no server
setting for it, so this app adds a few lines to the UI's page that make "Model training"
the default of a browser that has not chosen (a choice made with the switch stays) and keep
MLflow's assistant panel from opening by itself. Everything else is MLflow's app unchanged.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

#: MLflow UI settings (localStorage keys, as of MLflow 3.17) and the values a training
#: tool's users want in a browser that has not set them
BROWSER_DEFAULTS = {
    "mlflow.workflowType_v1": "machine_learning",
    "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": True,
}


def defaults_script() -> bytes:
    settings = json.dumps({key: json.dumps(value) for key, value in BROWSER_DEFAULTS.items()})
    return (
        f"<script>(function(d){{for(var k in d)if(localStorage.getItem(k)===null)localStorage.setItem(k,d[k]);}})"
        f"({settings});</script>"
    ).encode()


def with_training_defaults(response: Response) -> Response:
    """The UI's page (index.html, served for "/") with :func:`defaults_script` run first."""
    if request.path.rstrip("/") != _index_path() or response.status_code != 200 or response.mimetype != "text/html":
        return response
    response.direct_passthrough = False  # a file response: read it to change it
    page = response.get_data()
    if b"<head>" in page and b"mlflow.workflowType_v1" not in page:
        response.set_data(page.replace(b"<head>", b"<head>" + defaults_script(), 1))
    return response


def _index_path() -> str:
    from mlflow.server import _add_static_prefix

    return _add_static_prefix("/").rstrip("/")


def add_training_defaults(app: Flask) -> Flask:
    app.after_request(with_training_defaults)
    return app


def create_app():
    """The ``mlflow.app`` entry point: MLflow's Flask app with the defaults, under FastAPI
    when MLflow serves with uvicorn (its default), as MLflow's own basic-auth app does."""
    from mlflow.environment_variables import _MLFLOW_SGI_NAME
    from mlflow.server import app
    from mlflow.server.fastapi_app import create_fastapi_app

    add_training_defaults(app)
    return create_fastapi_app(app) if _MLFLOW_SGI_NAME.get() == "uvicorn" else app
