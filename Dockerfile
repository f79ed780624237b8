# stacklint in a small image: built in the official Rust image, run on distroless as a
# non-root user. The release workflow builds and publishes it; to build it yourself:
#
#   docker build -t stacklint .
#   docker run --rm -v "$PWD:/src" stacklint            # lints the current directory
#   docker run --rm -v "$PWD:/src" stacklint deploy/ --format sarif > stacklint.sarif
#
# The build stage's Rust is the crate's minimum (Cargo.toml `rust-version`); the full
# image, not `-slim`, because the jemalloc allocator is compiled from C with make.
FROM rust:1.88-bookworm AS build
WORKDIR /build
COPY . .
RUN cargo build --release --locked --bin stacklint

# glibc and libgcc, nothing else: no shell, no package manager. Debian 12, like the
# build stage, so the binary finds the glibc it was linked against.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /build/target/release/stacklint /usr/local/bin/stacklint
WORKDIR /src
USER nonroot
ENTRYPOINT ["/usr/local/bin/stacklint"]
CMD ["."]
