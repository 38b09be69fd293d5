"""The deploy report in words: a Markdown summary (printed and saved), and the same
numbers as MLflow metrics and artifacts on the training run."""

from __future__ import annotations

from pathlib import Path

from soundbench.deploy.results import DeployReport, KernelPlacement


def _kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def to_markdown(r: DeployReport) -> str:
    int8_fp, lat, fw, acc = r.footprint.int8, r.latency, r.firmware, r.accuracy
    lines = [
        f"# Deploy report: {r.model} on {r.target} ({r.board})",
        "",
        f"Source: {r.run_id or r.checkpoint}; test split of {r.dataset}"
        + (f" fold {r.fold}" if r.fold else "")
        + f": {acc.test_clips} clips, {acc.test_windows} windows.",
        "",
        "| check | result |",
        "|---|---|",
        f"| ONNX vs PyTorch | max abs diff {r.onnx_parity.max_abs_diff:.2e}, "
        f"argmax agreement {r.onnx_parity.argmax_agreement:.1%} |",
        f"| clip accuracy float32 / int8 | {acc.float32:.3f} / {acc.int8:.3f} "
        f"({(acc.int8 - acc.float32) * 100:+.1f} points) |",
        f"| int8 vs float32 windows | argmax agreement {r.int8_vs_float.argmax_agreement:.1%} |",
        f"| parameters | {int8_fp.n_parameters:,} |",
        f"| MACC per window | {int8_fp.macc:,} |",
    ]
    for fp in (r.footprint.float32, int8_fp):
        lines += [f"| {b.what} | {_kib(b.need)} of {_kib(b.budget)}: {b.verdict} |" for b in fp.budgets]
    if fw.skipped:
        lines.append(f"| firmware / emulator | skipped: {fw.skipped} |")
    else:
        lines.append(f"| linker, model alone (budget as FLASH/RAM regions) | {fw.linker_verdict} |")
        if fw.run:
            run = fw.run
            lines += [
                f"| emulator vs onnxruntime int8 | {run.windows} windows, "
                f"max abs diff {run.max_abs_diff_vs_onnxruntime:g}, "
                f"argmax agreement {run.argmax_agreement:.0%}{' (bit-exact)' if run.bit_exact else ''} |",
                f"| instructions | {run.instructions_per_window:,.0f} per window, "
                f"{run.instructions_per_macc:.1f} per MACC |",
                f"| cycles (modelled) | {run.cycles_per_window_m4:,.0f} per window with {lat.memory_model}; "
                f"{run.zero_wait_cycles_per_window_m4:,.0f} zero-wait "
                f"(+{run.cycles_per_window_m4 / max(run.zero_wait_cycles_per_window_m4, 1) - 1:.0%} from flash) |",
            ]
    lines += _front_end_lines(r)
    lines += [
        f"| network latency per window | {lat.window_ms:,.1f} ms at {lat.cpu_mhz:g} MHz "
        f"({lat.cycles_per_macc:.1f} cycles/MACC, {lat.cycles_per_macc_source}) |",
        f"| network latency per clip | {lat.clip_ms:,.0f} ms ({lat.windows_per_clip} windows) |",
        f"| CPU duty cycle | {_duty(lat)} |",
    ]
    lines += _kernel_lines(r)
    lines += [
        "",
        f"**Verdict: {'fits' if r.fits else 'does NOT fit'} the {r.target} memory budget; "
        f"{'keeps up' if lat.keeps_up else 'does NOT keep up'} with a live stream "
        f"(duty cycle {lat.duty_cycle:.0%}, modelled; the verdict asks for {lat.duty_cycle * (1 + lat.margin):.0%} "
        f"< 100 % with a {lat.margin:.0%} safety margin).**",
        "",
    ]
    return "\n".join(lines)


def _duty(lat) -> str:
    hop = f"one window every {lat.window_hop_ms:.0f} ms"
    if lat.frontend_ms is None:
        return f"{lat.duty_cycle:.1%} ({hop}; network only, front end {lat.frontend_source})"
    return (
        f"{lat.duty_cycle:.1%} = (front end {lat.frontend_ms:,.1f} ms + network {lat.window_ms:,.1f} ms) / "
        f"{lat.window_hop_ms:.0f} ms window hop"
    )


def _front_end_lines(r: DeployReport) -> list[str]:
    fe, e2e = r.front_end, r.end_to_end
    if fe is None:
        return [f"| front end on the device | not on the device: {r.front_end_not_on_device} |"]
    scratch = "its FFT scratch shares the model's arena" if fe.scratch_in_arena else "its FFT scratch has its own RAM"
    lines = [
        f"| front end on the device | {fe.features}; planned {_kib(fe.planned_ram_bytes)} RAM ({scratch}), "
        f"{_kib(fe.table_bytes)} flash tables |"
    ]
    if fe.linker_verdict:
        measured = (
            f"; its share: +{_kib(fe.linker_flash_bytes)} flash, +{_kib(fe.linker_ram_bytes)} RAM"
            if fe.linker_fits
            else ""
        )
        lines.append(f"| linker, front end + model | {fe.linker_verdict}{measured} |")
    if fe.cycles_per_hop is not None:
        lines.append(
            f"| front-end cycles (Cortex-M4, modelled) | {fe.cycles_per_hop:,.0f} per hop of {fe.hop_ms:.1f} ms, "
            f"{fe.cycles_per_window:,.0f} per window, {fe.cycles_per_window_hop:,.0f} per window hop |"
        )
    elif fe.skipped:
        lines.append(f"| front end + model firmware | skipped: {fe.skipped} |")
    if e2e:
        lines.append(
            f"| device (PCM in, probabilities out) vs host predict | {e2e.windows} windows of "
            f"{e2e.recording_s:.1f} s ({e2e.recording}): argmax agreement {e2e.argmax_agreement:.1%}, "
            f"max abs diff of the top probability {e2e.max_abs_diff_probability:.1e} |"
        )
        lines.append(f"| device event decision layer vs host predict | {_event_line(e2e)} |")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _event_line(e2e) -> str:
    if not e2e.decision.startswith("{"):
        return e2e.decision
    return (
        f"{_count(e2e.device_events, 'event')} on the device, {e2e.host_events} on the host: agreement "
        f"{e2e.event_agreement:.1%} (label, first and last window), max abs diff of an event's probability "
        f"{e2e.event_max_abs_diff_probability:.1e}; {e2e.decision_cycles_per_window:,.0f} cycles per window "
        f"(softmax + decision, modelled), {e2e.decision_ram_bytes} B of RAM; settings {e2e.decision}"
    )


def _staging_line(kernels: KernelPlacement) -> str:
    """Which convolutions read their weights from SRAM (``kernels.stage_weights``) and which could not."""
    line = f"Weights staged in SRAM before their layer runs: {'; '.join(kernels.staged) or 'none'}."
    if kernels.weights_in_flash:
        line += " Left in flash: " + "; ".join(kernels.weights_in_flash) + "."
    return line


def _kernel_lines(r: DeployReport) -> list[str]:
    """Which layers run on the int8 kernels, and where the time goes."""
    kernels = r.kernels
    lines = [
        "",
        f"Layers on the Cortex-M4 int8 kernels: {len(kernels.on_kernels)}; on portable generated C: "
        f"{len(kernels.portable)}" + (" (" + "; ".join(kernels.portable) + ")" if kernels.portable else "") + ".",
        _staging_line(kernels),
        "",
        f"Slowest layers ({r.latency.cycles_per_macc_source}):",
        "",
        "| layer | op | runs on | cycles/window | share | MACC | cycles/MACC |",
        "|---|---|---|---|---|---|---|",
    ]
    for layer in r.slowest_layers:
        per_macc = f"{layer.cycles_per_macc:.2f}" if layer.cycles_per_macc else "-"
        lines.append(
            f"| {layer.node} | {layer.op_type} | {layer.runs_on} | {layer.cycles:,.0f} | "
            f"{layer.share:.0%} | {layer.macc:,} | {per_macc} |"
        )
    return lines


def metrics(r: DeployReport) -> dict[str, float]:
    int8_fp, fw, lat = r.footprint.int8, r.firmware, r.latency
    out = {
        "deploy/onnx_max_abs_diff": r.onnx_parity.max_abs_diff,
        "deploy/float32_clip_acc": r.accuracy.float32,
        "deploy/int8_clip_acc": r.accuracy.int8,
        "deploy/macc": int8_fp.macc,
        "deploy/n_parameters": int8_fp.n_parameters,
        "deploy/flash_float32_bytes": r.footprint.float32.flash_bytes,
        "deploy/ram_float32_bytes": r.footprint.float32.ram_bytes,
        "deploy/flash_int8_bytes": int8_fp.flash_bytes,
        "deploy/ram_int8_bytes": int8_fp.ram_bytes,
        "deploy/latency_window_ms": lat.window_ms,
        "deploy/duty_cycle": lat.duty_cycle,
        "deploy/compute_per_window_hop_ms": lat.total_ms,
        "deploy/fits": float(r.fits),
    }
    if fw.flash_bytes is not None:
        out.update({"deploy/firmware_flash_bytes": fw.flash_bytes, "deploy/firmware_ram_bytes": fw.ram_bytes})
    if lat.frontend_ms is not None:
        out["deploy/frontend_ms_per_window_hop"] = lat.frontend_ms
    if r.end_to_end:
        out["deploy/device_vs_predict_argmax_agreement"] = r.end_to_end.argmax_agreement
        if r.end_to_end.host_events or r.end_to_end.device_events:
            out["deploy/device_vs_predict_event_agreement"] = r.end_to_end.event_agreement
    if fw.run:
        out.update(
            {
                "deploy/firmware_instructions_per_macc": fw.run.instructions_per_macc,
                "deploy/firmware_max_abs_diff_vs_onnxruntime": fw.run.max_abs_diff_vs_onnxruntime,
            }
        )
    return out


def log_to_mlflow(r: DeployReport, out_dir: Path, tracking_uri: str) -> None:
    """Attach the report to the training run it came from (metrics prefixed ``deploy/``,
    files under ``deploy/<target>/``)."""
    from soundbench.tracking.mlflow import log_to_run  # only a tracked deploy loads MLflow

    names = ("report.md", "report.json", "layers.csv", "model.onnx", "model_int8.onnx", "memory_plan.png")
    log_to_run(
        tracking_uri,
        r.run_id,
        {key.replace("deploy/", f"deploy/{r.target}/"): value for key, value in metrics(r).items()},
        [out_dir / name for name in names if (out_dir / name).is_file()],
        f"deploy/{r.target}",
    )
