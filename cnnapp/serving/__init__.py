"""Serving: predictions, explanations and exports of trained models."""
