"""Ingest: turn raw meter readings into clean interval energy with data-quality issues."""
