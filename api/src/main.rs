//! The `seatwise` command: see [`seatwise_api::cli`].

/// mimalloc instead of glibc's malloc: a GraphQL answer is built from many
/// short-lived allocations (values, maps, strings), and under the
/// benchmark's load glibc's `malloc`/`free` and their consolidation took
/// about 20 % of the server's CPU (`perf`, license-details screen).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    seatwise_api::cli::run().await
}
