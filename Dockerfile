# Tocsin hub: a static binary on a small image, run as a non-root user.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tocsin ./cmd/tocsin \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tocsin /usr/local/bin/tocsin
# The embedded store's directory, used only when TOCSIN_MONGO_URI is empty.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV TOCSIN_ADDR=0.0.0.0:8080 \
	TOCSIN_DATA_DIR=/data
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/tocsin"]
CMD ["serve"]
