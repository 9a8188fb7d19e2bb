"""Official SDK clients configured for the emulator and one test's API key.

``max_retries=0``: a fault a test forces shows up at once instead of being retried away (build
your own client when the retries are what you test). ``telnyx`` clients validate responses
strictly, so a response the SDK's models would not accept fails the test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai
    import telnyx

    from emulator.testing.session import Emulator


def telnyx_client(emulator: Emulator) -> telnyx.Telnyx:
    import telnyx  # noqa: PLC0415 - only tests that ask for the client need the SDK

    return telnyx.Telnyx(api_key=emulator.api_key, base_url=emulator.base_url, public_key=emulator.public_key, _strict_response_validation=True, max_retries=0)


def async_telnyx_client(emulator: Emulator) -> telnyx.AsyncTelnyx:
    import telnyx  # noqa: PLC0415

    return telnyx.AsyncTelnyx(api_key=emulator.api_key, base_url=emulator.base_url, public_key=emulator.public_key, _strict_response_validation=True, max_retries=0)


def openai_client(emulator: Emulator) -> openai.OpenAI:
    """The OpenAI SDK on Telnyx's OpenAI-compatible endpoints (``/v2/ai/openai``)."""
    import openai  # noqa: PLC0415

    return openai.OpenAI(api_key=emulator.api_key, base_url=f"{emulator.base_url}/ai/openai", max_retries=0)
