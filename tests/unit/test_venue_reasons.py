"""A venue's failure reason is worded when shown, in the reader's language and decimal sign,
reasons inside reasons included; the venue's own words stay as it sent them."""

from __future__ import annotations

import pytest

from bot.i18n import N_, use_language
from bot.i18n.languages import BY_CODE
from bot.market.http import VenueError
from bot.market.reasons import VENUE_SAID, duration, reason
from bot.market.venues import binance, bybit

SLOW = reason(
    N_("{slow}, retrying after {reason}"),
    slow=reason(N_("slow: no answer after {seconds}s"), seconds=duration(12.34, 1)),
    reason=reason(N_("timed out after {seconds}s"), seconds=duration(10.0, 1)),
)


def test_a_nested_reason_in_english_russian_and_chinese() -> None:
    assert str(SLOW) == "slow: no answer after 12.3s, retrying after timed out after 10s"
    with use_language(BY_CODE["ru"]):
        assert str(SLOW) == "тормозит: нет ответа уже 12,3 с, повтор после сбоя: таймаут через 10 с"
    with use_language(BY_CODE["zh"]):
        assert str(SLOW) == "响应慢：12.3 秒仍无应答，重试原因：10 秒后超时"


def test_the_venues_own_words_are_quoted_as_sent() -> None:
    said = reason(VENUE_SAID, code=10001, message="params error")
    with use_language(BY_CODE["es"]):
        assert f"bybit ({said})" == "bybit (error 10001: params error)"


def test_a_broken_envelope_is_named_never_error_none() -> None:
    # Was: "error None: OK", Bybit's retCode of null read as an error code.
    with pytest.raises(VenueError) as bybit_null:
        bybit.check_bybit(200, {"retCode": None, "retMsg": "OK", "result": {}})
    assert str(bybit_null.value.reason) == "answer not as documented: retCode is null"
    with use_language(BY_CODE["ru"]):
        assert str(bybit_null.value.reason) == "ответ не по документации: retCode = null"
    with use_language(BY_CODE["pt"]):
        assert str(bybit_null.value.reason) == ("resposta diferente da documentada: retCode é null")
    # Binance's error body with a code of null: "error None" too.
    with pytest.raises(VenueError) as binance_null:
        binance.check_binance(400, {"code": None, "msg": "x"})
    assert str(binance_null.value.reason) == "answer not as documented: code is null"
