# Builds every Vigil executable; one image runs any of them (docker-compose.yml
# picks the command).
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev librdkafka-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Verifiers ./Verifiers
COPY Schemas ./Schemas
COPY Tests ./Tests
RUN swift build -c release --product vigil && \
    for p in vigil-node vigil-frontend vigil-master vigil-dev-broker vigil-disk-scrubber vigil-metadata-scanner \
             vigil-trash-inspector vigil-extent-referee vigil-storage-watcher vigil-cross-zone-verifier; do \
        swift build -c release --product "$p"; done && \
    mkdir /out && cp .build/release/vigil* /out/ && cp -r .build/release/*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 librdkafka1 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/lib/swift/linux/*.so /usr/lib/swift/linux/
COPY --from=build /out/ /usr/local/bin/
ENV LD_LIBRARY_PATH=/usr/lib/swift/linux
USER nobody
