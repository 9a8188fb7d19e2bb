# telnyx-emulator: a local, offline emulator of the Telnyx API v2.
#   docker build -t telnyx-emulator . && docker run --rm -p 4010:4010 -v telnyx-state:/data telnyx-emulator
#   docker compose up          (docker-compose.yml: the emulator plus an app receiving its webhooks)
# Build without MP3/Opus speech (a smaller image, WAV only): docker build --build-arg EXTRAS= .
#
# The base is pinned to a patch release on the Python minor CI runs (tests/test_docker.py checks
# the minor), so an image built today and one built next month run the same interpreter.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ARG EXTRAS=audio

WORKDIR /src
# Layer 1, the dependencies: rebuilt only when pyproject.toml changes, not on every code edit.
# The requirement list is read from pyproject.toml itself (dependencies + the chosen extras + the
# build backend), so there is no second list to keep in step.
COPY pyproject.toml ./
RUN python -c "import os, tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); p = d['project']; extras = [e for e in os.environ.get('EXTRAS', '').split(',') if e]; print('\n'.join(d['build-system']['requires'] + p['dependencies'] + [r for e in extras for r in p['optional-dependencies'][e]]))" > /tmp/requirements.txt && pip install -r /tmp/requirements.txt
# Layer 2, the code: no dependency resolution, no download; pip check fails the build if layer 1 missed one.
COPY README.md LICENSE ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install --no-deps --no-build-isolation . && pip check
# The state dir (signing key, spec cache, state.sqlite3 with --persist) is a volume: the webhook
# signing key stays the same across container restarts and upgrades, so receivers keep verifying.
RUN useradd --create-home --uid 10001 emulator && mkdir -p /data && chown emulator:emulator /data

USER emulator
WORKDIR /home/emulator
# Inside a container the emulator must listen on every interface to be reachable.
ENV TELNYX_EMULATOR_HOST=0.0.0.0 \
    TELNYX_EMULATOR_PORT=4010 \
    TELNYX_EMULATOR_STATE_DIR=/data
VOLUME ["/data"]

EXPOSE 4010
# /_emulator/health is public (no admin token needed), so this stays healthy with --admin-token.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('TELNYX_EMULATOR_PORT', '4010'), timeout=2)"]

CMD ["telnyx-emulator"]
