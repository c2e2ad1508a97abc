"""From market data and rules to alert messages: observations, texts, the per-tick pipeline."""
