"""Product carbon footprints: matrix LCA engine, contributions, Monte Carlo, ISO 14067 reports."""
