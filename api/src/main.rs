//! The `seatwise` command: see [`seatwise_api::cli`].

#[tokio::main]
async fn main() -> std::process::ExitCode {
    seatwise_api::cli::run().await
}
