"""The application layer: what a command does, once, for every caller (Telegram handlers,
inline mode, `oiwatch ask`, the CLI). Each use case takes plain words or values, calls the core
(bot.risk, bot.rules, bot.market, storage) and returns frozen dataclasses, never ORM rows or
Telegram objects; a mistake the user can fix is a `bot.errors.UserError`.

- market_data: MarketService, an asset by the name a user typed, its live marks and the /oi
  table, on top of the core's MarketFeed (bot.feed)
- quotes: /liq and /funding, typed or from live marks and rates
- watches: WatchService, the chats' watch rules
- settings: /settings, a chat's quiet hours, zone, cooldown and language
- positions: PositionService, /pos: add, list, edit and close guarded positions
"""
