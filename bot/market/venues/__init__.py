"""One module per venue, with everything about it: instruments, the poll, history, the
liquidation stream, klines and tier tables where it has them (docs/venues.md). `registry` is
the only list of venues; everything outside this package goes through `base.MarketVenue`."""
