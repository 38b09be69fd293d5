"""Cross-validation as one command: parent + child MLflow runs, mean ± std, resume."""

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from soundbench.config_check import ConfigError
from soundbench.training.cv import FoldProgress, run_cv
from tests.conftest import compose_config


def cv_config(tmp_path, demo_root, folds="[1,2]"):
    return compose_config(
        [
            "cv=all",
            f"cv.folds={folds}",
            f"dataset.root={demo_root}",
            "trainer.max_epochs=2",
            f"paths.root_dir={tmp_path}",
            f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        ]
    )


@pytest.mark.slow
def test_two_fold_cv_logs_a_parent_with_children_and_a_rerun_skips_finished_folds(tmp_path, demo_root, capsys):
    summary = run_cv(cv_config(tmp_path, demo_root), tmp_path / "out")
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    parent = client.get_run(summary.parent_run_id)
    assert parent.info.status == "FINISHED"
    metrics = parent.data.metrics
    accs = [metrics["cv/fold1/test_clip_acc"], metrics["cv/fold2/test_clip_acc"]]
    assert metrics["cv/test_clip_acc_mean"] == pytest.approx(sum(accs) / 2)
    assert metrics["cv/test_clip_acc_std"] == pytest.approx(abs(accs[0] - accs[1]) / 2)
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert sorted(c.data.params["dataset/fold"] for c in children) == ["1", "2"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "cv")}
    assert {"cv/folds.csv", "cv/confusion_matrix_summed.png", "cv/confusion_matrix_summed.csv"} <= artifacts
    summed = pd.read_csv(
        client.download_artifacts(parent.info.run_id, "cv/confusion_matrix_summed.csv", str(tmp_path)), index_col=0
    )
    assert summed.shape == (8, 8) and summed.to_numpy().sum() == 2 * 64  # every test clip of both folds

    capsys.readouterr()
    again = run_cv(cv_config(tmp_path, demo_root, folds="[1,2,3]"), tmp_path / "out2")
    printed = capsys.readouterr().out
    assert "fold 1: already finished" in printed and "fold 2: already finished" in printed
    assert "fold 3: already finished" not in printed
    assert "== CV fold 3 (3 of 3)" in printed  # which fold of how many
    assert list(again.folds["fold"]) == [1, 2, 3]
    assert again.folds["test_clip_acc"][:2].tolist() == accs  # reused, not retrained


def test_cv_refuses_list_protocol_datasets(tmp_path, speechcommands):
    cfg = compose_config(
        [
            "cv=all",
            "dataset=speechcommands",
            f"dataset.root={speechcommands}",
            f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        ]
    )
    with pytest.raises(ValueError, match="official split lists"):
        run_cv(cfg, tmp_path)


def test_cv_progress_says_which_fold_and_the_time_left(monkeypatch):
    clock = iter([0.0, 0.0, 100.0, 100.0, 160.0, 160.0])  # folds of 100 s and 60 s
    monkeypatch.setattr("soundbench.training.cv.time.monotonic", lambda: next(clock))
    progress = FoldProgress(4)
    assert progress.starting("fold 1") == "== CV fold 1 (1 of 4)"  # nothing to estimate from yet
    progress.finished()
    progress.skipped()  # fold 2 had finished in an earlier run
    assert progress.starting("fold 3") == "== CV fold 3 (3 of 4); 1 min 40 s so far, about 3 min 20 s left"
    progress.finished()
    assert progress.starting("fold 4") == "== CV fold 4 (4 of 4); 2 min 40 s so far, about 1 min 20 s left"


@pytest.mark.slow
def test_cv_over_folds_and_seeds_reports_both_spreads(tmp_path, demo_root):
    cfg = cv_config(tmp_path, demo_root)
    cfg.cv.seeds = [0, 1]
    summary = run_cv(cfg, tmp_path / "out")
    table = summary.folds
    assert sorted(zip(table["fold"], table["seed"])) == [(1, 0), (1, 1), (2, 0), (2, 1)]  # folds × seeds
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    parent = client.get_run(summary.parent_run_id)
    metrics = parent.data.metrics
    assert metrics["cv/n_seeds"] == 2 and parent.data.params["cv/seeds"] == "0,1"
    assert metrics["cv/test_clip_acc_mean"] == pytest.approx(table["test_clip_acc"].mean())
    fold1 = table[table["fold"] == 1]["test_clip_acc"]
    assert metrics["cv/fold1/test_clip_acc"] == pytest.approx(fold1.mean())  # each fold: its seeds' mean
    fold_means = table.groupby("fold")["test_clip_acc"].mean()
    assert metrics["cv/test_clip_acc_std_between_folds"] == pytest.approx(fold_means.std(ddof=0))
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert sorted(c.info.run_name for c in children)[:2] == [
        "sbcnn-logmel-demo-fold1-seed0",
        "sbcnn-logmel-demo-fold1-seed1",
    ]
    assert {c.data.params["seed"] for c in children} == {"0", "1"}


def test_cv_seeds_must_be_distinct_whole_numbers(tmp_path, demo_root):
    cfg = cv_config(tmp_path, demo_root)
    cfg.cv.seeds = [1, 1]
    with pytest.raises(ConfigError, match=r"cv.seeds=\[1, 1\]: give distinct whole numbers"):
        run_cv(cfg, tmp_path)
