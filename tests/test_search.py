"""Hardware-aware search: the search space, the loop's rules (a trial that does not fit or
keep up never trains; repeats are reused; a failed job does not end the search), the board
check of untrained models, and the whole `train.py -m hparams_search=mcu` on the demo, whose
front's members must fit when they are really deployed."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from dataclasses import replace

import optuna
import pytest
from mlflow import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

from soundbench.deploy import codegen, emulator
from soundbench.deploy.feasibility import DeviceCosts, Feasibility, check_untrained
from soundbench.deploy.targets import load_target
from soundbench.features import LogMel
from soundbench.models import create_model
from soundbench.plots import pareto_front_2d
from soundbench.search.loop import REJECTED_COST, JobOutcome, SearchSettings, run_search
from soundbench.search.run import SearchOptions, search
from soundbench.search.space import SearchSpace
from soundbench.tracking.summary import RunSummary
from tests.conftest import ROOT, compose_config

optuna.logging.set_verbosity(optuna.logging.WARNING)

FITS = Feasibility(
    "stm32l476",
    1000,
    10_000,
    20_000,
    30_000,
    524_288,
    65_536,
    model_ms=10.0,
    frontend_ms=20.0,
    window_hop_ms=360.0,
    max_duty_cycle=0.8,
    model_source="test",
    frontend_source="test",
    linker_verdict=None,
    seconds=0.1,
)


# --- the search space ----------------------------------------------------------------------


def test_each_family_suggests_only_its_own_parameters():
    space = SearchSpace.from_config(
        {
            "strided_ds": {"model.filters": "choice(12, 24)"},
            "sbcnn": {"model.filters": "choice([12,24,24], [24,48,48])"},
        },
        {"features.n_mels": "choice(40, 60)", "trainer.max_epochs": 5},
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(20):
        overrides = space.suggest(study.ask())
        family = overrides[0].split("=")[1]
        seen.add(family)
        filters = overrides[1].split("=")[1]
        assert filters in (["12", "24"] if family == "strided_ds" else ["[12,24,24]", "[24,48,48]"])
        assert overrides[2] in ("features.n_mels=40", "features.n_mels=60") and overrides[3] == "trainer.max_epochs=5"
    assert seen == {"strided_ds", "sbcnn"}
    # a trial's overrides are what Hydra composes: sbcnn's list-valued choice becomes a list
    cfg = compose_config(["model=sbcnn", "model.filters=[12,24,24]"])
    assert list(cfg.model.filters) == [12, 24, 24]


def test_command_line_sweeps_join_the_space_and_bad_syntax_names_the_key():
    space = SearchSpace.from_config({}, {"optimizer.lr": "tag(log, interval(0.001, 0.01))"})
    space = space.with_command_line(["features.hop_length=choice(256,512)"])
    overrides = space.suggest(optuna.create_study().ask())
    assert overrides[1] in ("features.hop_length=256", "features.hop_length=512")
    assert 0.001 <= float(overrides[0].split("=")[1]) <= 0.01
    with pytest.raises(ValueError, match=r"families\.sbcnn\.model\.filters"):
        SearchSpace.from_config({"sbcnn": {"model.filters": "choice(12,"}}, {})


# --- the loop ------------------------------------------------------------------------------


class FakeJobs:
    """Trains nothing: records what was launched and answers with an accuracy per model."""

    def __init__(self, accuracy: dict[str, float], fail: str | None = None):
        self.accuracy, self.fail, self.launched = accuracy, fail, []

    def __call__(self, batch):
        self.launched += [job.overrides for job in batch]
        outcomes = []
        for overrides in (job.overrides for job in batch):
            model = overrides[0].split("=")[1]
            if model == self.fail:
                outcomes.append(JobOutcome(None, None, "RuntimeError: out of memory"))
            else:
                outcomes.append(
                    JobOutcome(self.accuracy[model], RunSummary(0.7, 0.5, 0.5, 0.25, run_id=f"run-{model}"))
                )
        return outcomes


def check_by_model(ram: dict[str, int]):
    """A board check where each model family has a RAM size (budget 64 KiB)."""
    return lambda cfg: replace(FITS, ram_bytes=ram[cfg["model"]])


def compose(overrides):
    return dict(o.split("=", 1) for o in overrides)


def space_of(*models: str) -> SearchSpace:
    return SearchSpace.from_config({m: {"model.width": "choice(1, 2, 3, 4, 5, 6)"} for m in models}, {})


def test_a_trial_that_does_not_fit_is_rejected_with_its_reason_and_never_trained():
    jobs = FakeJobs({"small": 0.8})
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=1))
    result = run_search(
        space_of("small", "huge"),
        SearchSettings(4, 50, 1, ("accuracy", "ram")),
        study,
        compose,
        check_by_model({"small": 30_000, "huge": 200_000}),
        jobs,
        log=lambda _: None,
    )
    assert result.rejected, "the sampler never proposed the model that does not fit"
    assert all("RAM 195.3 KiB > budget 64 KiB" in t.rejected for t in result.rejected)
    assert not any("model=huge" in o for batch in jobs.launched for o in batch)
    assert all(t.test_accuracy is None for t in result.trials)  # sealed while the search runs
    assert len(result.trained) == len(jobs.launched) == 4  # repeats of trained configurations reuse their result
    # the sampler hears of each rejection as the worst result, with the reason
    told = {t.number: t for t in study.trials}
    for t in result.rejected:
        assert told[t.number].values == [0.0, REJECTED_COST]
        assert told[t.number].user_attrs["rejected"] == t.rejected
    assert all(t.trained for t in result.front)


def test_repeats_are_reused_and_an_exhausted_space_ends_the_search():
    jobs = FakeJobs({"only": 0.7})
    space = SearchSpace.from_config({"only": {}}, {})  # one configuration in all
    study = optuna.create_study(directions=["maximize", "minimize"])
    result = run_search(
        space,
        SearchSettings(5, 3, 1, ("accuracy", "latency")),
        study,
        compose,
        lambda cfg: FITS,
        jobs,
        log=lambda _: None,
    )
    assert len(jobs.launched) == 1  # trained once; every later proposal reuses it
    assert [t.repeat_of for t in result.trials[1:]] == [0, 0, 0]
    assert result.front == [result.trials[0]]


def test_a_failed_trial_is_recorded_and_the_search_goes_on():
    jobs = FakeJobs({"good": 0.9}, fail="bad")
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0))
    result = run_search(
        space_of("good", "bad"),
        SearchSettings(6, 50, 2, ("accuracy", "ram")),
        study,
        compose,
        lambda cfg: FITS,
        jobs,
        log=lambda _: None,
    )
    failed = [t for t in result.trials if t.failed]
    assert failed and all("out of memory" in t.failed for t in failed)
    assert result.winner is not None and "model=good" in result.winner.overrides


def test_the_front_holds_only_trials_no_other_beats_on_every_objective():
    jobs = FakeJobs({"a": 0.9, "b": 0.8, "c": 0.7})
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0))
    ram = {"a": 60_000, "b": 20_000, "c": 40_000}  # c: less accurate than b and larger: dominated
    result = run_search(
        SearchSpace.from_config({m: {} for m in ram}, {}),
        SearchSettings(12, 50, 1, ("accuracy", "ram")),
        study,
        compose,
        check_by_model(ram),
        jobs,
        log=lambda _: None,
    )
    assert {t.overrides[0] for t in result.front} == {"model=a", "model=b"}
    assert result.winner.overrides == ["model=a"]


def test_an_unbuildable_trial_is_rejected_with_the_error():
    def check(cfg):
        raise ValueError("features=waveform: sbcnn takes spectrograms")

    study = optuna.create_study(directions=["maximize", "minimize"])
    result = run_search(
        space_of("x"),
        SearchSettings(1, 2, 1, ("accuracy", "ram")),
        study,
        compose,
        check,
        FakeJobs({}),
        log=lambda _: None,
    )
    assert result.trials[0].rejected == "cannot build: features=waveform: sbcnn takes spectrograms"
    assert not result.trained


def test_settings_refuse_objectives_without_accuracy_first():
    with pytest.raises(ValueError, match="start with accuracy"):
        SearchSettings(4, 10, 1, ("latency", "accuracy"))
    with pytest.raises(ValueError, match="start with accuracy"):
        SearchSettings(4, 10, 1, ("accuracy", "speed"))


@pytest.mark.parametrize(
    "overrides, advice", [([], "add target=<name>"), (["hparams_search=mcu", "cv=all"], "hydra.sweeper.final.cv=true")]
)
def test_a_search_without_a_board_or_with_cv_on_every_trial_is_refused_with_what_to_do(tmp_path, overrides, advice):
    options = SearchOptions(
        SearchSettings(2, 5, 1, ("accuracy", "ram")),
        space_of("x"),
        0.8,
        optuna.samplers.RandomSampler(),
        final_cv=False,
        final_deploy=False,
    )
    with pytest.raises(ValueError, match=re.escape(advice)):
        search(compose_config(overrides), options, compose, FakeJobs({}), ROOT, tmp_path)


def test_a_duty_cycle_at_the_limit_or_a_failed_link_is_rejected():
    slow = replace(FITS, model_ms=300.0)  # 320 ms per 360 ms hop: 89 %
    assert "duty cycle 89% >= 80%" in slow.reason
    assert FITS.feasible and FITS.duty_cycle == pytest.approx(30 / 360)
    unlinked = replace(FITS, linker_fits=False, linker_verdict="does not fit: flash by 1,024 B")
    assert unlinked.reason == "the model's firmware does not link: does not fit: flash by 1,024 B"


# --- the board check of untrained models ---------------------------------------------------


#: the thesis log-mel's compute per window hop on the L476, modelled with its flash (26.4 zero-wait)
FRONT_END_MS = 28.3


@pytest.mark.slow
def test_the_board_check_gives_the_deploy_reports_numbers_before_training():
    """SB-CNN on the thesis log-mel on the L476, untrained: the deploy report's int8 RAM
    (63.4 KiB with the front end, the event decision layer and stack), flash (188.3 KiB) and, with the toolchain, the
    network's 180.9 ms (zero-wait + the L476's flash stalls; the weight tables the RAM holds staged
    in SRAM) and the front end's time per
    window hop, modelled in QEMU (docs/deploy.md); a wider SB-CNN is rejected on RAM, without
    its firmware being built."""
    target = load_target("stm32l476", ROOT)
    frontend = LogMel(framing="stream")
    costs = DeviceCosts(ROOT)
    sbcnn = check_untrained(
        create_model("sbcnn", input_shape=frontend.output_shape(), n_classes=10), frontend, target, 0.8, costs
    )
    assert sbcnn.feasible, sbcnn.reason
    assert sbcnn.ram_bytes / 1024 == pytest.approx(63.4, abs=0.1)
    assert sbcnn.flash_bytes / 1024 == pytest.approx(188.3, abs=0.5)
    if not (codegen.toolchain_missing() or emulator.emulator_missing()):
        modelled = "modelled: QEMU instruction trace + Cortex-M4 timings + flash/cache model"
        assert sbcnn.model_source.startswith(modelled) and sbcnn.linker_fits
        assert sbcnn.linker_verdict.startswith("fits")
        assert sbcnn.model_ms == pytest.approx(180.9, rel=0.02)
        assert sbcnn.frontend_source.startswith(modelled)
        assert sbcnn.frontend_ms == pytest.approx(FRONT_END_MS, rel=0.05)
    wide = check_untrained(
        create_model("sbcnn", input_shape=frontend.output_shape(), n_classes=10, filters=[32, 64, 64]),
        frontend,
        target,
        0.8,
        costs,
    )
    assert "RAM 79.7 KiB > budget 64 KiB" in wide.reason
    assert "the memory does not fit" in wide.model_source and wide.linker_verdict is None


def test_without_the_toolchain_time_is_estimated_and_says_so(monkeypatch):
    from soundbench.deploy.frontend_c import DeviceFrontEnd

    monkeypatch.setattr(codegen, "toolchain_missing", lambda: "arm-none-eabi-gcc is not installed")
    device = DeviceFrontEnd.of(LogMel(framing="stream").eval())
    cycles = DeviceCosts(ROOT).front_end(device, load_target("stm32l476", ROOT))
    assert "not measured: arm-none-eabi-gcc is not installed" in cycles.source
    # the thesis front end itself: 16 frames per window hop + the window's own work
    assert cycles.cycles_per_window_hop == pytest.approx(16 * 124_900 + 114_700)
    frontend = LogMel(framing="stream")
    small = check_untrained(
        create_model("strided_ds", input_shape=frontend.output_shape(), n_classes=10),
        frontend,
        load_target("stm32l476", ROOT),
        0.8,
        DeviceCosts(ROOT),
    )
    assert small.model_source.startswith("estimated") and "arm-none-eabi-gcc is not installed" in small.model_source
    assert small.linker_verdict is None and small.feasible


# --- the whole search ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_search_on_the_demo_trains_only_what_fits_and_its_front_fits_when_deployed(tmp_path, demo_root):
    """Two trials trained side by side by the joblib launcher (the SLURM launcher: test_slurm.py)."""
    command = [
        sys.executable,
        "train.py",
        "-m",
        "hparams_search=mcu",
        "target=stm32l476",
        f"dataset.root={demo_root}",
        "trainer.max_epochs=1",
        "data.windows_per_clip=1",
        f"paths.root_dir={tmp_path}",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.seed=3",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweeper.n_jobs=2",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sweep = next((tmp_path / "logs" / "multiruns").iterdir())
    rows = list(csv.DictReader((sweep / "trials.csv").open()))
    trained = [r for r in rows if r["status"] == "trained"]
    rejected = [r for r in rows if r["status"] == "rejected"]
    assert len(trained) == 2
    # each trained trial's job folder is named after its number (also when trials before it were rejected)
    assert all((sweep / r["trial"] / "summary.json").is_file() for r in trained), [p.name for p in sweep.iterdir()]
    assert all(r["rejected_reason"] for r in rejected) and all(not r["run_id"] for r in rejected)
    # MLflow: one parent run, the trained trials nested under it, nothing for rejected trials
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parents = [r for r in runs if r.data.tags.get("soundbench.search")]
    assert len(parents) == 1
    children = [r for r in runs if r.data.tags.get(MLFLOW_PARENT_RUN_ID) == parents[0].info.run_id]
    assert {r.info.run_id for r in children} == {r["run_id"] for r in trained}
    # test accuracy is in the table for the front's members only: nothing else could be chosen by it
    assert all(bool(r["test_accuracy"]) == bool(r["deployed_fits"]) for r in trained)
    artifacts = {a.path for a in client.list_artifacts(parents[0].info.run_id, "search")}
    assert {"search/report.md", "search/trials.csv", "search/pareto_latency.png", "search/pareto_ram.png"} <= artifacts
    # the front's members, really deployed (int8 export, memory plan, linker when installed), fit
    front = [r for r in rows if r["deployed_fits"]]
    assert front and all(r["deployed_fits"] == "True" for r in front)
    for r in front:
        assert float(r["deployed_ram_kib"]) == pytest.approx(float(r["ram_kib"]), rel=0.01)
    report = (sweep / "report.md").read_text()
    assert "python -m soundbench.deploy run=" in report and "rejected before training" in report

    # the same search again (as after a kill): its journal is replayed, nothing trains again,
    # and it continues its parent run
    again = subprocess.run(
        [*command, "hydra.sweeper.final.deploy=false"], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "resuming from" in again.stdout and " trains: " not in again.stdout, again.stdout[-3000:]
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert [r.info.run_id for r in runs if r.data.tags.get("soundbench.search")] == [parents[0].info.run_id]
    assert len(runs) == len(children) + 1


def test_the_plotted_front_keeps_each_point_more_accurate_than_every_cheaper_one():
    points = [(10, 0.5), (20, 0.7), (15, 0.4), (30, 0.7), (40, 0.9), (10, 0.6)]
    assert pareto_front_2d(points, lambda p: p[0], lambda p: p[1]) == [(10, 0.6), (20, 0.7), (40, 0.9)]


# --- a killed search resumes from its journal ------------------------------------------------


class Killed(BaseException):
    """Stands in for kill -9: nothing after it runs (BaseException, as KeyboardInterrupt)."""


def test_a_killed_search_resumes_from_its_journal_and_trains_nothing_twice(tmp_path):
    from soundbench.search.journal import SearchJournal

    space, settings = space_of("small", "huge"), SearchSettings(6, 50, 2, ("accuracy", "ram"))
    check = check_by_model({"small": 30_000, "huge": 200_000})
    journal = tmp_path / "journal.jsonl"
    first = FakeJobs({"small": 0.8})

    def dies_in_the_third_batch(batch):
        if len(first.launched) >= 4:
            raise Killed
        return first(batch)

    study = optuna.create_study(directions=settings.directions, sampler=optuna.samplers.RandomSampler(seed=3))
    with pytest.raises(Killed):
        run_search(
            space, settings, study, compose, check, dies_in_the_third_batch, lambda _: None, SearchJournal(journal)
        )
    finished = SearchJournal(journal).entries
    trained_before = [
        e["record"]["overrides"]
        for e in finished
        if e["record"]["val_accuracy"] is not None and e["record"]["repeat_of"] is None
    ]
    assert len(trained_before) == 4 and first.launched == trained_before

    again = FakeJobs({"small": 0.8})
    study = optuna.create_study(directions=settings.directions, sampler=optuna.samplers.RandomSampler(seed=4))
    logged = []
    result = run_search(space, settings, study, compose, check, again, logged.append, SearchJournal(journal))
    assert any("resuming from" in line and "4 trained" in line for line in logged)
    assert len(result.trained) == 6 and len(again.launched) == 2  # the 4 finished ones were not trained again
    assert not any(o in trained_before for o in again.launched)
    assert [t.number for t in result.trials] == list(range(len(result.trials)))  # renumbered, no gaps
    assert {t.number for t in study.trials} >= {t.number for t in result.trials}
    assert result.front and all(t.trained for t in result.front)


def test_a_journal_line_cut_by_the_kill_is_dropped_and_that_trial_proposed_again(tmp_path):
    from soundbench.search.journal import SearchJournal

    settings = SearchSettings(2, 50, 1, ("accuracy", "ram"))
    journal = tmp_path / "journal.jsonl"
    study = optuna.create_study(directions=settings.directions, sampler=optuna.samplers.RandomSampler(seed=0))
    run_search(
        space_of("small"),
        settings,
        study,
        compose,
        lambda cfg: FITS,
        FakeJobs({"small": 0.5}),
        lambda _: None,
        SearchJournal(journal),
    )
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])  # the last write was cut short
    assert len(SearchJournal(journal).entries) == len(lines) - 1
    fresh = SearchJournal.fresh(journal)
    assert not fresh.entries and journal.with_suffix(".jsonl.old").is_file()


def test_a_killed_searchs_parent_run_is_closed_or_resumed(tmp_path):
    """A search parent left RUNNING by a dead process is marked KILLED with its trial runs;
    the same search run again continues the journal's parent run."""
    import socket

    from soundbench.search.journal import SearchJournal
    from soundbench.search.run import _start_parent_run
    from soundbench.search.trials import TrialRecord
    from soundbench.tracking.mlflow import HOST_TAG, PID_TAG
    from soundbench.tracking.search_run import SEARCH_TAG

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    base = compose_config([f"paths.root_dir={tmp_path}", f"logger.tracking_uri={uri}", "logger.experiment_name=s"])
    options = SearchOptions(
        SearchSettings(2, 5, 1, ("accuracy", "ram")),
        space_of("small"),
        0.8,
        optuna.samplers.RandomSampler(seed=0),
        final_cv=False,
        final_deploy=False,
    )
    target = load_target("stm32l476", ROOT)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = {HOST_TAG: socket.gethostname(), PID_TAG: str(dead.pid)}
    client = MlflowClient(uri)
    experiment = client.create_experiment("s")
    orphan = client.create_run(experiment, tags={SEARCH_TAG: "hardware-aware", **gone}).info.run_id
    orphan_trial = client.create_run(experiment, tags={MLFLOW_PARENT_RUN_ID: orphan, **gone}).info.run_id

    journal = SearchJournal(tmp_path / "journal.jsonl")
    first = _start_parent_run(base, target, options, "demo", journal, log=lambda _: None)
    assert client.get_run(orphan).info.status == client.get_run(orphan_trial).info.status == "KILLED"
    assert first.run_id != orphan and journal.parent_run == first.run_id
    journal.record(
        optuna.trial.create_trial(params={}, distributions={}, values=[0.5, 1.0]), TrialRecord(0, ["model=small"])
    )
    client.set_terminated(first.run_id, "KILLED")  # as the next start finds it after a kill

    resumed = _start_parent_run(
        base, target, options, "demo", SearchJournal(tmp_path / "journal.jsonl"), log=lambda _: None
    )
    assert resumed.run_id == first.run_id and client.get_run(first.run_id).info.status == "RUNNING"
    assert client.get_run(first.run_id).data.tags["soundbench.resumed_from"].endswith("journal.jsonl")


def test_the_plots_keep_rejected_trials_off_the_accuracy_axis_and_always_draw_the_duty_limit(tmp_path, monkeypatch):
    from soundbench.deploy.targets import load_target
    from soundbench.search import report
    from soundbench.search.loop import SearchResult
    from soundbench.search.trials import TrialRecord

    drawn = {}

    def capture(fig, ax, xlabel, ylabel, budget, budget_label, path, xlabel_axis=None):
        drawn[path.name] = (ax, xlabel_axis, xlabel, budget, budget_label)
        return path

    monkeypatch.setattr(report, "save_cost_accuracy_plot", capture)
    short_hop = replace(FITS, window_hop_ms=180.0)
    trials = [
        TrialRecord(0, ["model=a"], FITS, val_accuracy=0.9),
        TrialRecord(1, ["model=b"], short_hop, val_accuracy=0.8),
        TrialRecord(2, ["model=c"], replace(FITS, ram_bytes=900_000), rejected="RAM"),
    ]
    result = SearchResult(trials, optuna.create_study(), ("accuracy", "ram"), 1.0)
    report.write_report(result, load_target("stm32l476", ROOT), 0.8, tmp_path, None)

    ax, strip, xlabel, budget, label = drawn["pareto_latency.png"]
    # two window hops: no single ms limit, so the axis is the duty cycle and the limit 80 %
    assert xlabel.startswith("duty cycle") and budget == pytest.approx(80.0) and "80%" in label
    accuracies = sorted(y for c in ax.collections for _, y in c.get_offsets())
    assert accuracies == [0.8, 0.9]  # the rejected trial has no accuracy to draw
    assert [len(c.get_offsets()) for c in strip.collections] == [1]  # it is in the strip below
    assert "no accuracy" in strip.get_legend().get_texts()[0].get_text()
    _, _, _, ram_budget, _ = drawn["pareto_ram.png"]
    assert ram_budget == 64


def test_the_front_is_cross_validated_in_folders_of_its_own(monkeypatch):
    from soundbench.search.final import cross_validate_front
    from soundbench.search.loop import SearchResult
    from soundbench.search.trials import TrialRecord

    member = TrialRecord(3, ["model=a"], FITS, val_accuracy=0.9)
    monkeypatch.setattr(SearchResult, "front", property(lambda self: self.trials))
    launched = []

    def launch(jobs):
        launched.extend(jobs)
        return [JobOutcome(0.77, None)]

    cross_validate_front(SearchResult([member], optuna.create_study(), ("accuracy",), 1.0), launch, lambda _: None)
    # trial 3 trained in 3/; its cross-validation must not write over it
    assert launched[0].subdir == "3-cv" and launched[0].overrides[:2] == ["model=a", "cv=all"]
    assert member.cv_test_accuracy == 0.77
