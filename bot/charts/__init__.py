"""Pictures for chat: the market chart, the liquidation-cluster strip (matplotlib, Agg)."""
