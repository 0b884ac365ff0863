//! The slog logger of every sysmonstm binary: human-readable text on a
//! terminal, one JSON object per line with `--log-format json`.

use slog::Drain;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Builds the root logger, writing to standard error.
pub fn logger(format: LogFormat, component: &'static str) -> slog::Logger {
    let drain = match format {
        LogFormat::Text => {
            let decorator = slog_term::TermDecorator::new().stderr().build();
            let drain = slog_term::FullFormat::new(decorator).build().fuse();
            slog_async::Async::new(drain).build().fuse()
        }
        LogFormat::Json => {
            let drain = slog_json::Json::new(std::io::stderr()).add_default_keys().build().fuse();
            slog_async::Async::new(drain).build().fuse()
        }
    };
    slog::Logger::root(drain, slog::o!("component" => component))
}

/// A logger that discards everything (tests, library callers without logs).
pub fn discard() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}
