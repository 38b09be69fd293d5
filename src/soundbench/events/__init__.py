"""Streaming detection, measured: soundscapes with ground truth built from real clips, event
scores (sed_eval), and the event decision layer tuned on validation soundscapes
(``python -m soundbench.events build | tune | score``)."""
