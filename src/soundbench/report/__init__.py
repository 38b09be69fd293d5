"""Figures and tables made from run results."""
