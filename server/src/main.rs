use leptos::config::get_configuration;
use server::{build, config::Config, serve, startup::StartError};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,server=info"));
    // These crates log whole frames and headers (tokens, cookies) at debug and
    // trace: whatever RUST_LOG says, they stay at info.
    for quiet in QUIET_TARGETS {
        filter = filter.add_directive(format!("{quiet}=info").parse().expect("a static directive"));
    }
    // LOG_FORMAT=json: one JSON object a line, for log pipelines.
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    if let Err(e) = run().await {
        tracing::error!(error = %e, "server failed");
        std::process::exit(1);
    }
}

const QUIET_TARGETS: [&str; 8] = [
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "engineioxide",
    "socketioxide",
    "reqwest",
];

async fn run() -> Result<(), StartError> {
    let config = Config::from_env()?;
    let leptos_options = get_configuration(None)
        .expect("leptos configuration from the environment")
        .leptos_options;
    let addr = leptos_options.site_addr;
    let (router, io, chat) = build(config, leptos_options).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Tests and scripts wait for this exact line.
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, router, io, chat, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
