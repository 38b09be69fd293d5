"""The MLflow UI as users see it, in a real browser (headless Chromium via Playwright), served
as the README says (``mlflow ui --app-name soundbench``): from the home page, a click on the
experiment opens its training runs (not MLflow's GenAI overview), whose runs table shows the
dataset and source of every run, the CV parents with their fold children, metric columns,
and the chart view over a sweep."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.servers import mlflow_server

CHROMIUM = shutil.which("chromium")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make setup installs it)")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make toolchain installs it)"),
]


def test_the_runs_page_shows_datasets_sources_cv_children_metrics_and_charts(tmp_path, demo_root):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    done = subprocess.run(
        [
            sys.executable,
            "train.py",
            "-m",
            "model=sbcnn,strided_ds",
            "cv=all",
            "cv.folds=[1,2]",
            "trainer.max_epochs=2",
            "data.windows_per_clip=2",
            f"dataset.root={demo_root}",
            f"paths.root_dir={tmp_path}",
            f"logger.tracking_uri={uri}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("demo")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # not the GenAI view
    fingerprint = client.search_runs([experiment.experiment_id], max_results=1)[0].data.tags["dataset_fingerprint"]

    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with mlflow_server(uri, artifacts, app_name="soundbench") as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])  # a fresh profile
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        # the path a person takes: MLflow's home page, then the experiment's name
        page.goto(url)
        page.get_by_role("link", name="demo", exact=True).first.click()
        page.wait_for_url("**/experiments/*/runs*", timeout=60_000)  # the training view, not GenAI's overview
        assert "workflowType=genai" not in page.url
        parent = page.locator("[role=row]").filter(has_text="cv-sbcnn-logmel-demo").first
        parent.wait_for(timeout=60_000)
        assert {"Dataset", "Source"} <= set(page.locator("[role=columnheader]").all_inner_texts())
        # both CV parents' rows name the dataset (with its fingerprint as digest) and the source
        assert page.get_by_text(f"demo ({fingerprint})", exact=True).count() == 2
        assert page.get_by_text("train.py", exact=True).count() == 2

        parent.locator("button").first.click()  # expand the CV parent: its fold runs
        page.get_by_text("sbcnn-logmel-demo-fold2", exact=True).wait_for(timeout=10_000)

        page.get_by_role("button", name="Columns", exact=True).click()  # the metrics are there to show
        page.get_by_text("cv/test_clip_acc_mean", exact=True).click()
        page.keyboard.press("Escape")
        assert "cv/test_clip_acc_mean" in page.locator("[role=columnheader]").all_inner_texts()

        assert not page.get_by_placeholder("Ask a question").count()  # MLflow's assistant panel stays shut
        page.locator("label:has(input[value=CHART])").click()  # compare the sweep's runs in charts
        page.get_by_text("cv/test_clip_acc_mean", exact=True).first.wait_for(timeout=30_000)
        page.wait_for_timeout(2000)  # the charts draw after their titles
        page.screenshot(path=tmp_path / "mlflow_chart_view.png")
        browser.close()
    assert (tmp_path / "mlflow_chart_view.png").stat().st_size > 50_000
