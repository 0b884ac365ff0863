//! Sending what [`super::render`] made: HTTP requests (every kind but
//! email) and mail over SMTP (lettre).
//!
//! Each request or mail is tried up to [`Retry::attempts`] times with a
//! timeout and a doubling pause; every try is reported to the caller (the
//! notifier logs it per alert). Before an HTTP request the host name is
//! resolved and, unless private addresses are allowed, refused when it
//! points at loopback, link-local or private space; the request then goes
//! to the address that was checked. SMTP servers are not held to that
//! guard: a relay on the hub's own machine or network is the usual set-up,
//! and a mail server is named by an administrator, not taken from a URL.
//! Errors never carry a URL (Telegram's holds the bot token).

use std::net::SocketAddr;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sysmonstm_protocol::backoff::Backoff;

use super::render::{HttpOut, MailOut, Outgoing};
use super::sign;
use crate::alerts::address::{check_url, is_private, Policy};
use crate::alerts::channel::{Channel, Settings, SmtpTls};

/// How long one attempt (an HTTP request, or a whole SMTP session) may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per alert notification.
pub const ATTEMPTS: u32 = 4;
/// Delay before the first retry; doubles after each.
pub const RETRY_FIRST: Duration = Duration::from_millis(500);
/// Longest pause between two attempts.
pub const RETRY_MAX: Duration = Duration::from_secs(8);

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Retry {
    /// Alert notifications: [`ATTEMPTS`] tries with backoff.
    pub const NOTIFY: Retry = Retry { attempts: ATTEMPTS, first: RETRY_FIRST, max: RETRY_MAX, timeout: SEND_TIMEOUT };
    /// A test from the dashboard: one try, its outcome shown at once.
    pub const ONCE: Retry = Retry { attempts: 1, first: RETRY_FIRST, max: RETRY_MAX, timeout: SEND_TIMEOUT };
}

/// One try, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Try {
    /// 1 for the first try of this channel's delivery.
    pub attempt: u32,
    /// When it ended (ms).
    pub at: i64,
    pub error: Option<String>,
}

/// Sends `outgoing` through `channel`, in order, each retried per `retry`;
/// `report` hears of every try. Fails with the last error when any part
/// could not be sent.
pub async fn deliver(
    channel: &Channel,
    outgoing: &[Outgoing],
    retry: Retry,
    policy: Policy,
    report: &mut (dyn FnMut(Try) + Send),
) -> Result<(), String> {
    let mut attempt = 0;
    for out in outgoing {
        let mut backoff = Backoff::new(retry.first, retry.max);
        let mut last = String::new();
        let mut sent = false;
        for n in 1..=retry.attempts.max(1) {
            if n > 1 {
                tokio::time::sleep(backoff.next_delay()).await;
            }
            attempt += 1;
            let result = match out {
                Outgoing::Http(http) => post(http, policy, retry.timeout).await,
                Outgoing::Mail(mail) => send_mail(&channel.settings, mail, retry.timeout).await,
            };
            report(Try { attempt, at: crate::now_ms(), error: result.as_ref().err().cloned() });
            match result {
                Ok(()) => {
                    sent = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        if !sent {
            let attempts = retry.attempts.max(1);
            return Err(if attempts > 1 { format!("{last} (after {attempts} attempts)") } else { last });
        }
    }
    Ok(())
}

/// An HTTP error with its causes ("error sending request: … connection
/// refused"), without the URL.
fn http_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

/// The address to send to, after checking where the name points.
async fn resolve(url: &reqwest::Url, policy: Policy) -> Result<(String, SocketAddr), String> {
    let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    if !policy.allow_private_webhooks && is_private(addr.ip()) {
        return Err(format!("{host} resolves to {}, a private address (see --allow-private-webhooks)", addr.ip()));
    }
    Ok((host, addr))
}

async fn post(out: &HttpOut, policy: Policy, timeout: Duration) -> Result<(), String> {
    let url = check_url(&out.url, policy).map_err(|_| "the channel's URL is refused".to_owned())?;
    let (host, addr) = resolve(&url, policy).await?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .resolve(&host, addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(http_error)?;
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", concat!("sysmonstm-hub/", env!("CARGO_PKG_VERSION")));
    for (name, value) in &out.headers {
        request = request.header(*name, value);
    }
    if let Some(secret) = &out.sign_with {
        let timestamp = crate::now_ms() / 1000;
        request = request
            .header(sign::TIMESTAMP_HEADER, timestamp.to_string())
            .header(sign::SIGNATURE_HEADER, sign::signature(secret, timestamp, out.body.as_bytes()));
    }
    let response = request.body(out.body.clone()).send().await.map_err(http_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // The service's own words help most ("chat not found", "invalid routing key").
    let said = response.text().await.unwrap_or_default();
    let said: String = said.chars().take(200).collect();
    Err(if said.trim().is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {}", said.trim()) })
}

async fn send_mail(settings: &Settings, mail: &MailOut, timeout: Duration) -> Result<(), String> {
    let Settings::Email { smtp_host, smtp_port, tls, username, password, from, to, ca_certificate } = settings else {
        return Err("not an email channel".into());
    };
    let mut message = Message::builder()
        .from(from.parse::<Mailbox>().map_err(|e| format!("from: {e}"))?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN);
    for address in to {
        message = message.to(address.parse::<Mailbox>().map_err(|e| format!("to: {e}"))?);
    }
    let message = message.body(mail.text.clone()).map_err(|e| e.to_string())?;
    let parameters = || -> Result<TlsParameters, String> {
        let mut builder = TlsParameters::builder(smtp_host.clone());
        if let Some(pem) = ca_certificate {
            let certificate = Certificate::from_pem(pem.as_bytes()).map_err(|e| format!("ca_certificate: {e}"))?;
            builder = builder.add_root_certificate(certificate);
        }
        builder.build_rustls().map_err(|e| format!("TLS: {e}"))
    };
    let tls = match tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => Tls::Required(parameters()?),
        SmtpTls::Tls => Tls::Wrapper(parameters()?),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp_host.as_str())
        .port(*smtp_port)
        .tls(tls)
        .timeout(Some(timeout));
    if let (Some(user), Some(password)) = (username, password) {
        transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = transport.build();
    match tokio::time::timeout(timeout, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("SMTP {smtp_host}:{smtp_port}: {e}")),
        Err(_) => {
            Err(format!("SMTP {smtp_host}:{smtp_port}: no answer within {}", humantime::format_duration(timeout)))
        }
    }
}
