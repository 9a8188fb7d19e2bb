# telnyx-emulator: a local, offline emulator of the Telnyx API v2.
#   docker build -t telnyx-emulator . && docker run --rm -p 4010:4010 telnyx-emulator
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install . && useradd --create-home --uid 10001 emulator

USER emulator
WORKDIR /home/emulator
# Inside a container the emulator must listen on every interface to be reachable.
ENV TELNYX_EMULATOR_HOST=0.0.0.0 \
    TELNYX_EMULATOR_PORT=4010 \
    TELNYX_EMULATOR_STATE_DIR=/home/emulator/.telnyx-emulator

EXPOSE 4010
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('TELNYX_EMULATOR_PORT', '4010'), timeout=2)"]

CMD ["telnyx-emulator"]
