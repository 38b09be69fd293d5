"""Deployment checks: memory planner, fit decisions, int8 accuracy, and (with the Arm
toolchain and QEMU installed) the firmware built into a board budget and run bit-exact."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import soundfile as sf
import torch
from onnx import TensorProto, helper

from soundbench.artifacts.trained import SourceError, load_trained
from soundbench.data.audio import read_audio
from soundbench.deploy import codegen, emulator
from soundbench.deploy.fit import ModelFootprint
from soundbench.deploy.graph import Graph, UnsupportedModelError
from soundbench.deploy.macc import total_macc
from soundbench.deploy.memory_plan import plan_memory
from soundbench.deploy.results import DeployReport, FirmwareResult
from soundbench.deploy.run import deploy
from soundbench.deploy.targets import Target, available_targets, load_target
from soundbench.experiment import CONFIG_KEY
from soundbench.predict.decision import EventDecision
from soundbench.training.run import run
from tests.conftest import ROOT, compose_config, deploy_settings

needs_toolchain = pytest.mark.skipif(
    bool(codegen.toolchain_missing() or emulator.emulator_missing()),
    reason="Arm toolchain / QEMU not installed (make toolchain installs gcc-arm-none-eabi, "
    "libnewlib-arm-none-eabi, qemu-system-arm)",
)
#: the decision layer the deploy fixture compiles in: it reports this briefly trained model's events
DEPLOYED_DECISION = EventDecision(smooth_windows=2, threshold=0.3, release=0.8, max_gap_windows=1)


def tiny_cnn(path, relu_input_reused: bool = False):
    """x(1,1,8,8) → Conv 4×3×3 → ReLU → MaxPool 2 → Flatten → Gemm 64→10."""
    rng = np.random.default_rng(0)
    init = [
        helper.make_tensor("w", TensorProto.FLOAT, [4, 1, 3, 3], rng.standard_normal(36).tolist()),
        helper.make_tensor("fc", TensorProto.FLOAT, [64, 10], rng.standard_normal(640).tolist()),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["conv"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc"], ["y"], name="dense"),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])]
    if relu_input_reused:  # the conv output is still needed after the ReLU: no in-place
        outputs.append(helper.make_tensor_value_info("conv_copy", TensorProto.FLOAT, [1, 4, 8, 8]))
        nodes.append(helper.make_node("Identity", ["conv"], ["conv_copy"], name="keep"))
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])], outputs, init
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)
    return path


def test_memory_plan_of_a_hand_built_graph_equals_the_hand_computation(tmp_path):
    # Buffers (16-byte aligned): x 256 B alive [0,0]; conv+relu (ReLU in place) 1024 B
    # [0,2]; pool+flatten (Flatten in place) 256 B [2,4]; y 40→48 B [4,4].
    # Largest first: conv@0; x overlaps it in time → @1024; pool overlaps conv at step 2
    # → @1024 (x is dead by then); y overlaps only pool → @0. Arena = 1024 + 256.
    plan = plan_memory(Graph(tiny_cnn(tmp_path / "tiny.onnx")))
    assert {tuple(b.tensors): (b.offset, b.size) for b in plan.buffers} == {
        ("x",): (1024, 256),
        ("conv", "relu"): (0, 1024),
        ("pool", "flat"): (1024, 256),
        ("y",): (0, 48),
    }
    assert plan.arena_bytes == 1280 == plan.peak_live_bytes


def test_no_in_place_when_the_input_is_still_needed(tmp_path):
    plan = plan_memory(Graph(tiny_cnn(tmp_path / "tiny.onnx", relu_input_reused=True)))
    conv = next(b for b in plan.buffers if "conv" in b.tensors)
    # the ReLU gets its own buffer; the final Identity may reuse conv's, as conv dies there
    assert "relu" not in conv.tensors and conv.last == 5
    # conv (1024) + relu (1024) live together at the ReLU; the arena can't be smaller
    assert plan.arena_bytes >= 2048 and plan.arena_bytes == plan.peak_live_bytes


def test_macc_per_layer(tmp_path):
    graph = Graph(tiny_cnn(tmp_path / "tiny.onnx"))
    # conv: 4·8·8 outputs × 9; pool: reads 256 values; dense: 64 × 10
    assert total_macc(graph) == 4 * 64 * 9 + 256 + 640


def test_fit_decisions_against_a_small_board(tmp_path):
    footprint = ModelFootprint.of(Graph(tiny_cnn(tmp_path / "tiny.onnx")), "float32")
    roomy = Target("roomy", "b", "cortex-m4", 80, flash_bytes=1 << 20, ram_bytes=128 << 10, budget_fraction=0.5)
    tiny = Target("tiny", "b", "cortex-m0", 16, flash_bytes=4096, ram_bytes=2048, budget_fraction=0.5)
    assert footprint.fits(roomy)
    flash, ram = footprint.budgets(tiny)
    assert footprint.weight_bytes == (36 + 640) * 4 == 2704
    assert not flash.fits and flash.margin == 2048 - 2704 and "does NOT fit by 656 B" in flash.verdict()
    assert not ram.fits and ram.margin == 1024 - 1280 - 4096  # the arena and the firmware's stack


def test_dynamic_shapes_are_refused_with_the_tensor_name(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="act")],
        "dyn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    )
    onnx.save(helper.make_model(graph), tmp_path / "dyn.onnx")
    with pytest.raises(UnsupportedModelError, match="'x' has a dynamic shape"):
        Graph(tmp_path / "dyn.onnx")


def test_deploy_settings_carry_the_safety_margin_and_weight_staging():
    """conf/deploy.yaml's latency.margin decides keeps-up on the modelled duty cycle (10 % by
    default); kernels.stage_weights reaches the kernel plan (auto by default), and a value that
    is neither auto nor a number of bytes is refused before anything runs."""
    from soundbench.deploy.results import Latency

    default, chosen = deploy_settings([]), deploy_settings(["latency.margin=0.2", "kernels.stage_weights=4096"])
    assert (default.timing_margin, default.stage_weights) == (0.1, "auto")
    assert (chosen.timing_margin, chosen.stage_weights) == (0.2, 4096)
    with pytest.raises(ValueError, match="kernels.stage_weights='lots': give auto"):
        deploy_settings(["kernels.stage_weights=lots"])
    latency = Latency("kernels", 2.0, "modelled", 2.0, 80, 300.0, 900.0, 3, 320.0, 300.0 / 320.0)
    assert latency.keeps_up and not dataclasses.replace(latency, margin=0.1).keeps_up  # 94 % × 1.1 > 100 %


def test_board_profiles_and_unknown_target():
    assert {"stm32l476", "stm32l4r5", "stm32u585", "stm32f746", "stm32h743"} <= set(available_targets(ROOT))
    l476 = load_target("stm32l476", ROOT)
    assert (l476.flash_budget, l476.ram_budget, l476.cpu_mhz) == (512 * 1024, 64 * 1024, 80)
    # the flash model of each Cortex-M4 board (RM0351 / RM0432); the others say they have none
    assert (l476.memory.wait_states, l476.memory.icache_bytes, l476.memory.dcache_bytes) == (4, 1024, 256)
    l4r5 = load_target("stm32l4r5", ROOT)
    assert (l4r5.cpu_mhz, l4r5.memory.wait_states) == (120, 5) and l4r5.core == "cortex-m4"
    # the board firmware's clock is the modelled one: 80 MHz on the L476, 120 MHz boost on the L4R5
    assert (l476.clock.mhz(), l476.clock.boost, l4r5.clock.mhz(), l4r5.clock.boost) == (80, False, 120, True)
    from soundbench.deploy.targets import target_from_config

    with pytest.raises(ValueError, match="gives 100 MHz .* but cpu_mhz is 120"):
        target_from_config(
            {**dataclasses.asdict(l4r5), "memory": None, "clock": {**dataclasses.asdict(l4r5.clock), "plln": 50}}
        )
    assert load_target("stm32h743", ROOT).memory is None
    with pytest.raises(ValueError, match="unknown target 'stm32xyz'; available: .*stm32l476"):
        load_target("stm32xyz", ROOT)


def test_deploy_cli_names_the_available_targets():
    done = subprocess.run(
        [sys.executable, "-m", "soundbench.deploy", "run=x", "target=stm32xyz"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "stm32xyz" in done.stderr and "stm32l476" in done.stderr


def test_a_run_without_checkpoint_says_so(tmp_path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("x")).info.run_id
    with pytest.raises(SourceError, match=f"run {run_id} has no checkpoint"):
        load_trained(run_id, uri)
    with pytest.raises(SourceError, match="does not exist"):
        load_trained(str(tmp_path / "missing.ckpt"), uri)


@pytest.fixture(scope="module")
def trained_checkpoint(tmp_path_factory, demo_root):
    """Stride-DS-24 trained briefly on demo fold 1, saved as a training run folder."""
    out = tmp_path_factory.mktemp("run")
    cfg = compose_config(
        [
            f"dataset.root={demo_root}",
            "model=strided_ds",
            "logger=none",
            "trainer.max_epochs=12",
            f"paths.root_dir={out}",
        ]
    )
    run(cfg, out)
    return next((out / "checkpoints").glob("best*.ckpt"))


@pytest.mark.slow
def test_a_run_is_fetched_with_one_line_of_output_not_a_bar_per_file(trained_checkpoint, tmp_path, capfd):
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(uri)
    experiment = client.create_experiment("x", artifact_location=str(tmp_path / "artifacts"))  # not ./mlruns
    run_id = client.create_run(experiment).info.run_id
    client.log_artifact(run_id, str(trained_checkpoint), "checkpoints")
    client.log_text(run_id, "model: {}\n", "config/resolved.yaml")
    capfd.readouterr()
    assert load_trained(run_id, uri).run_id == run_id
    out, err = capfd.readouterr()
    assert "Downloading artifacts" not in out + err  # MLflow's bars: one per file
    assert out.count("Downloading") == 1 and "config/resolved.yaml" in out


@pytest.fixture(scope="module")
def deploy_report(trained_checkpoint, tmp_path_factory):
    trained = load_trained(str(trained_checkpoint))
    out = tmp_path_factory.mktemp("deploy")
    decision_file = DEPLOYED_DECISION.save(tmp_path_factory.mktemp("decision"))
    settings = deploy_settings(["emulator.windows=4", f"emulator.decision={decision_file}"])
    return deploy(trained, load_target("stm32l476", ROOT), out, ROOT, settings), out


@pytest.mark.slow
def test_int8_accuracy_within_two_points_of_float(deploy_report):
    report, out = deploy_report
    assert report.onnx_parity.max_abs_diff < 1e-4 and report.onnx_parity.argmax_agreement == 1.0
    acc = report.accuracy
    assert acc.float32 > 0.5  # trained: well above chance (0.125)
    assert abs(acc.int8 - acc.float32) <= 0.02
    int8 = onnx.load(out / "model_int8.onnx")
    assert "QLinearConv" in {n.op_type for n in int8.graph.node}  # QOperator: integer kernels


@pytest.mark.slow
def test_report_states_fit_and_latency(deploy_report):
    report, out = deploy_report
    fp, float_fp = report.footprint.int8, report.footprint.float32
    assert fp.macc == float_fp.macc > 400_000
    assert fp.flash_bytes < float_fp.flash_bytes
    assert fp.ram_bytes < float_fp.ram_bytes <= 64 * 1024
    assert report.fits
    latency = report.latency
    if report.firmware.run:  # the emulator's count, at the L476's 80 MHz
        assert latency.window_ms == pytest.approx(report.firmware.run.cycles_per_window_m4 / 80e3, rel=1e-6)
    front_end = report.front_end  # Stride-DS-24 takes the thesis log-mel: it runs on the device too
    assert front_end.features.startswith("logmel 22050 Hz, n_fft 1024, hop 512, 60 mels")
    # its tables and buffers count against the same budgets as the model
    flash, ram = fp.budgets
    assert flash.need == fp.flash_bytes + front_end.table_bytes
    assert ram.need == fp.ram_bytes + front_end.planned_ram_bytes + 4096  # + the firmware's stack
    if front_end.cycles_per_hop is not None:  # the duty cycle counts front end and network
        assert latency.frontend_ms == pytest.approx(front_end.cycles_per_window_hop / 80e3)
        assert latency.duty_cycle == pytest.approx((latency.frontend_ms + latency.window_ms) / latency.window_hop_ms)
    # report.json is the same report: it reads back field for field
    assert DeployReport.from_dict(json.loads((out / "report.json").read_text())) == report


@pytest.mark.slow
@needs_toolchain
def test_firmware_fits_and_runs_bit_exact_in_qemu(deploy_report):
    report, _ = deploy_report
    firmware, run_ = report.firmware, report.firmware.run
    assert firmware.linker_fits and "fits: linked into 524,288 B flash / 65,536 B RAM" in firmware.linker_verdict
    assert run_.windows == 4 and run_.bit_exact and run_.argmax_agreement == 1.0
    # Stride-DS-24 on the int8 kernels: ≈4 cycles/MACC measured (the portable C took ≈53);
    # a loose guard against the kernels silently falling back
    assert run_.cycles_per_macc < 8
    assert report.latency.cycles_per_macc_source == (
        "modelled: QEMU instruction trace + Cortex-M4 timings + flash/cache model, for this model"
    )
    # the flash model's stalls are on top of the zero-wait trace, and the report gives both
    assert run_.cycles_per_window_m4 > run_.zero_wait_cycles_per_window_m4 > 0
    assert "zero-wait" in (deploy_report[1] / "report.md").read_text()
    # every layer on the kernels, the average pooling too: one kernel reads the int8 map
    assert report.kernels.portable == ()
    assert "node_mean (ReduceMean): sb_mean_s8_f32" in report.kernels.on_kernels
    # kernels.stage_weights=auto: Stride-DS-24's small convolution tables all fit the RAM budget,
    # so every convolution reads its weights from SRAM, and the report says which
    assert len(report.kernels.staged) == 3 and report.kernels.weights_in_flash == ()
    assert "Weights staged in SRAM before their layer runs: node_" in (deploy_report[1] / "report.md").read_text()


@pytest.mark.slow
@needs_toolchain
def test_front_end_and_model_link_into_the_budget_as_planned(deploy_report):
    report, _ = deploy_report
    front_end = report.front_end
    assert front_end.linker_fits and front_end.scratch_in_arena  # the FFT buffers reuse the model's arena
    # the linker places what the plan counts (libm's few bytes of .data aside)
    assert 0 <= front_end.linker_ram_bytes - front_end.planned_ram_bytes <= 256
    # per hop: one 1024-point FFT, 60 bands, 60 logs; well inside a 23 ms hop at 80 MHz
    assert 50_000 < front_end.cycles_per_hop < 400_000 and front_end.cycles_per_window > 0
    # the model inside the application costs what it costs alone
    assert report.end_to_end.model_cycles_per_window == pytest.approx(
        report.firmware.run.cycles_per_window_m4, rel=1e-3
    )
    # the event decision layer after it: the host's events, its cycles and RAM counted
    e2e = report.end_to_end
    assert e2e.decision.startswith("{") and e2e.host_events > 0 and e2e.event_agreement >= 0.9
    assert 0 < e2e.decision_cycles_per_window < 50_000 and 0 < e2e.decision_ram_bytes < 1024


@pytest.mark.slow
@needs_toolchain
def test_the_device_application_agrees_with_host_predict_on_real_recordings(deploy_report, esc50, tmp_path):
    from soundbench.deploy.decision_c import compare_events
    from soundbench.deploy.device_app import pcm16, run_app
    from soundbench.deploy.frontend_c import DeviceFrontEnd
    from soundbench.predict import DecisionSettings, Predictor, load_bundle

    report, out = deploy_report
    assert report.end_to_end.windows >= 10 and report.end_to_end.argmax_agreement >= 0.99  # its own test clips
    # real recordings (ESC-50 clips back to back) streamed as int16 PCM, one hop per block
    bundle = load_bundle(out)
    device = DeviceFrontEnd.of(bundle.torch_frontend())
    audio = np.concatenate([read_audio(clip, 22050).numpy() for clip in sorted((esc50 / "audio").glob("*.wav"))[:3]])
    recording = tmp_path / "recording.wav"
    sf.write(recording, pcm16(audio), 22050, subtype="PCM_16")
    elf = out / "device_app" / "firmware.elf"
    run = run_app(elf, pcm16(audio), device, len(bundle.class_names), ROOT, tmp_path, decision=True)
    every_window = DecisionSettings(
        silence_db=float("-inf"), unknown_threshold=0.0, aggregate_windows=1, min_event_windows=1
    )
    prediction = Predictor(bundle, every_window, "int8", decision=EventDecision()).predict_file(
        recording, progress=False
    )
    host = prediction.windows
    assert run.windows == len(host) >= 30
    device_labels = np.asarray(bundle.class_names)[run.probabilities.argmax(axis=1)]
    assert np.mean(device_labels == host["label"].to_numpy()) >= 0.99
    assert np.abs(run.probabilities.max(axis=1) - host["probability"].to_numpy()).max() < 1e-2
    # the device's decision layer reports the host's events on the same PCM (these real
    # recordings are outside the demo model's classes: few or no confident events)
    agreement = compare_events(prediction.events, run.events, bundle.class_names)
    assert agreement.device_events == agreement.host_events and agreement.agreement >= 0.9, agreement


@pytest.mark.slow
@needs_toolchain
def test_layers_csv_has_measured_cycles_per_layer(deploy_report):
    report, out = deploy_report
    rows = [line.split(",") for line in (out / "layers.csv").read_text().splitlines()]
    header, int8 = rows[0], [dict(zip(rows[0], r)) for r in rows[1:] if r[0] == "int8"]
    assert header[-3:] == ["runs_on", "cycles", "cycles_per_macc"]
    convs = [r for r in int8 if r["op_type"] == "QLinearConv"]
    assert {r["runs_on"] for r in convs} == {"sb_conv_s8", "sb_depthwise_conv_s8"}
    # the layers' cycles add up to the whole window's
    total = sum(float(r["cycles"]) for r in int8)
    assert total == pytest.approx(report.firmware.run.cycles_per_window_m4, rel=1e-3)
    assert report.slowest_layers[0].runs_on == "sb_conv_s8"  # the strided stem dominates
    assert "Slowest layers" in (out / "report.md").read_text()


@pytest.mark.slow
def test_latency_without_the_emulator_uses_the_kernel_table(trained_checkpoint, tmp_path):
    trained = load_trained(str(trained_checkpoint))
    report = deploy(
        trained, load_target("stm32l476", ROOT), tmp_path, ROOT, deploy_settings(["emulator.enabled=false"])
    )
    assert report.firmware == FirmwareResult(skipped="emulator=false")
    assert report.latency.cycles_per_macc_source.startswith("estimated from conf/deploy.yaml")
    # the front end is planned but not measured, and the report says the duty cycle lacks it
    assert report.front_end.skipped == "emulator=false" and report.front_end.cycles_per_hop is None
    assert report.latency.frontend_ms is None and "network's only" in report.latency.frontend_source
    assert report.latency.duty_cycle == pytest.approx(report.latency.window_ms / report.latency.window_hop_ms)
    # between the fastest kernel and the portable C: most MACC run on the conv kernel
    assert 2 < report.latency.cycles_per_macc < 10


@pytest.mark.slow
@needs_toolchain
def test_linker_reports_an_overflow_in_bytes(deploy_report, tmp_path):
    _, out = deploy_report
    int8 = Graph(out / "model_int8.onnx")
    source = codegen.generate_c(out / "model_int8.onnx", tmp_path, plan_memory(int8))
    small = Target("small", "b", "cortex-m4", 80, flash_bytes=8 << 10, ram_bytes=8 << 10)
    link = codegen.build_firmware(source, small, ROOT, tmp_path)
    assert not link.fits and link.elf is None
    assert link.flash_overflow > 0 and link.ram_overflow > 0
    assert link.message.startswith("does not fit: flash by ")


@pytest.mark.slow
def test_deploy_output_and_checkpoints_serve_predict(deploy_report, trained_checkpoint, demo_root, tmp_path):
    from soundbench.predict import DecisionSettings, Predictor, load_bundle
    from soundbench.predict.decision import tuned_decision
    from soundbench.predict.run import resolve_model

    _, out = deploy_report
    assert tuned_decision(out) == DEPLOYED_DECISION  # the layer its device application runs
    assert load_bundle(out).frontend.runs_on == "onnxruntime"  # predict on a deploy bundle needs no torch
    clip = sorted((demo_root / "audio").glob("*.wav"))[0]
    settings = DecisionSettings(silence_db=-120, unknown_threshold=0.0)
    for bundle, precision in [
        (load_bundle(out), "int8"),
        (resolve_model(str(trained_checkpoint), tmp_path), "float32"),
    ]:
        prediction = Predictor(bundle, settings, precision).predict_file(clip, progress=False)
        assert set(prediction.windows["label"]) <= set(bundle.class_names)
        assert bundle.frontend.sample_rate == 22050 and bundle.info["model"] == "strided_ds"


@pytest.mark.slow
def test_a_checkpoint_becomes_a_bundle_without_its_training_data(trained_checkpoint, tmp_path):
    from soundbench.predict.run import resolve_model

    saved = torch.load(trained_checkpoint, weights_only=True)
    saved[CONFIG_KEY]["dataset"]["root"] = str(tmp_path / "moved_away")  # e.g. predicting on another machine
    torch.save(saved, tmp_path / "best.ckpt")  # the checkpoint alone: no run folder, no .hydra/
    bundle = resolve_model(str(tmp_path / "best.ckpt"), tmp_path / "out")
    assert len(bundle.class_names) == 8 and (tmp_path / "out" / "model" / "model.onnx").is_file()


@pytest.mark.slow
def test_a_second_prediction_on_the_same_checkpoint_reuses_its_bundle_until_the_checkpoint_changes(
    trained_checkpoint, tmp_path, monkeypatch
):
    from soundbench.predict import run as predict_run

    cache = tmp_path / "cache"
    first = predict_run.resolve_model(str(trained_checkpoint), tmp_path / "a", cache_dir=cache)
    exported = []
    real_export = predict_run.export_bundle
    monkeypatch.setattr(predict_run, "export_bundle", lambda *a: exported.append(a) or real_export(*a))
    again = predict_run.resolve_model(str(trained_checkpoint), tmp_path / "b", cache_dir=cache)
    assert again.folder == first.folder and not exported  # served from the cache, nothing exported
    assert [p.name for p in cache.iterdir()] == [first.folder.name]  # no half-written entry left

    # soundbench's export changes: the same checkpoint exports anew, keeping the decision layer tuned on it
    from soundbench.artifacts import bundle_cache

    tuned = EventDecision(threshold=0.8, smooth_windows=2)
    tuned.save(first.folder)
    monkeypatch.setattr(bundle_cache, "export_code_digest", lambda: "another exporter")
    reexported = predict_run.resolve_model(str(trained_checkpoint), tmp_path / "r", cache_dir=cache)
    assert reexported.folder != first.folder and len(exported) == 1
    assert EventDecision.load(reexported.folder / "decision.json") == tuned

    saved = torch.load(trained_checkpoint, weights_only=True)  # the same run, retrained: other weights
    for name, tensor in saved["state_dict"].items():
        if tensor.is_floating_point():
            tensor.add_(0.01)
    torch.save(saved, tmp_path / "retrained.ckpt")
    changed = predict_run.resolve_model(str(tmp_path / "retrained.ckpt"), tmp_path / "c", cache_dir=cache)
    assert changed.folder not in (first.folder, reexported.folder) and len(exported) == 2
    assert not (changed.folder / "decision.json").exists()  # tuned on other weights: not carried over


def test_the_c_generator_runs_in_this_process_reports_its_errors_and_leaves_logging_alone(tmp_path):
    import logging

    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    returncode, output = codegen._run_generator(
        ["compile", str(tmp_path / "missing.onnx"), str(tmp_path / "m.c"), "--color", "never"]
    )
    assert returncode != 0 and "missing.onnx" in output
    assert (list(root.handlers), root.level) == before
