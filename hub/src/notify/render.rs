//! One template per channel kind: a [`Notification`] in the form each
//! service takes. Pure: what to send, not sending it.
//!
//! - email: subject (the title) and plain text.
//! - Slack: an incoming-webhook body (`text` in Slack's mrkdwn, escaped).
//! - Discord: a webhook body with one embed (coloured by state), mentions off.
//! - Telegram: Bot API `sendMessage` with HTML (escaped).
//! - ntfy: a JSON publish (topic, title, message, priority from severity, tags, click).
//! - Gotify: `POST /message` with the application token, priority from severity.
//! - PagerDuty: Events API v2, one event per alert: `trigger` on fire,
//!   `resolve` on resolve, `dedup_key` = the alert's id.
//! - webhook: `{"state", "alert", "rule", "alerts", "group"}`, signed when the
//!   channel has a secret (see [`super::sign`]).

use serde_json::{json, Value};

use super::message::{labels_text, Notification};
use crate::alerts::channel::Settings;
use crate::alerts::engine::AlertState;
use crate::alerts::rule::Severity;

/// Telegram refuses longer messages.
const TELEGRAM_MAX: usize = 4096;
/// Discord's limits: embed title and description.
const DISCORD_TITLE_MAX: usize = 256;
const DISCORD_DESCRIPTION_MAX: usize = 4096;
/// PagerDuty's longest summary.
const PAGERDUTY_SUMMARY_MAX: usize = 1024;

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOut {
    pub url: String,
    /// Besides `content-type: application/json` and the user agent.
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Sign the body with this secret when sending.
    pub sign_with: Option<String>,
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq)]
pub struct MailOut {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Http(HttpOut),
    Mail(MailOut),
}

/// `text` cut to at most `max` bytes at a character boundary, with `…`.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn http(url: impl Into<String>, body: Value) -> Outgoing {
    Outgoing::Http(HttpOut { url: url.into(), headers: Vec::new(), body: body.to_string(), sign_with: None })
}

/// Slack's mrkdwn wants `&`, `<` and `>` escaped.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The colour of a state and severity (Discord embeds).
fn colour(n: &Notification) -> u32 {
    match (n.state, n.severity()) {
        (AlertState::Resolved, _) => 0x2e_a0_43,
        (AlertState::Firing, Severity::Warning) => 0xd2_99_22,
        (AlertState::Firing, Severity::Critical) => 0xcf_22_2e,
    }
}

/// ntfy's priority (1–5) and Gotify's (0–10).
fn priorities(n: &Notification) -> (u8, u8) {
    match (n.test, n.state, n.severity()) {
        (true, _, _) => (3, 5),
        (false, AlertState::Resolved, _) => (3, 4),
        (false, AlertState::Firing, Severity::Warning) => (4, 7),
        (false, AlertState::Firing, Severity::Critical) => (5, 10),
    }
}

fn slack(n: &Notification) -> Value {
    let mut text = format!("*{}*", slack_escape(&n.title()));
    for alert in &n.alerts {
        let lines: Vec<String> = n.alert_lines(alert).iter().map(|l| slack_escape(l)).collect();
        text.push_str(&format!("\n{}", lines.join("\n")));
        if let Some(link) = n.link(&alert.machine_id) {
            text.push_str(&format!("\n<{link}|open {}>", slack_escape(&alert.machine_id)));
        }
    }
    if n.test {
        text.push_str(&format!("\n{}", slack_escape(&n.text())));
    }
    json!({ "text": text })
}

fn discord(n: &Notification) -> Value {
    let description = if n.test {
        n.text()
    } else {
        n.alerts.iter().map(|a| n.alert_lines(a).join("\n")).collect::<Vec<_>>().join("\n\n")
    };
    let mut embed = json!({
        "title": clip(&n.title(), DISCORD_TITLE_MAX),
        "description": clip(&description, DISCORD_DESCRIPTION_MAX),
        "color": colour(n),
    });
    if let Some(link) = n.main_link() {
        embed["url"] = json!(link);
    }
    json!({ "username": "sysmonstm", "embeds": [embed], "allowed_mentions": { "parse": [] } })
}

fn telegram(n: &Notification, chat_id: i64) -> Value {
    let mut text = format!("<b>{}</b>\n{}", html_escape(&n.title()), html_escape(&n.text()));
    if let Some(link) = n.main_link() {
        text.push_str(&format!("\n<a href=\"{}\">open in sysmonstm</a>", html_escape(&link)));
    }
    json!({
        "chat_id": chat_id,
        "text": clip(&text, TELEGRAM_MAX),
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    })
}

/// The server and topic of an ntfy topic URL (`https://ntfy.sh/alerts` →
/// `https://ntfy.sh`, `alerts`).
fn ntfy_parts(url: &str) -> (String, String) {
    let trimmed = url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((server, topic)) => (server.to_owned(), topic.to_owned()),
        None => (trimmed.to_owned(), String::new()),
    }
}

fn ntfy(n: &Notification, url: &str, token: Option<&str>) -> Outgoing {
    let (server, topic) = ntfy_parts(url);
    let tag = match (n.test, n.state, n.severity()) {
        (true, _, _) => "test_tube",
        (false, AlertState::Resolved, _) => "white_check_mark",
        (false, AlertState::Firing, Severity::Warning) => "warning",
        (false, AlertState::Firing, Severity::Critical) => "rotating_light",
    };
    let mut body = json!({
        "topic": topic,
        "title": n.title(),
        "message": n.text(),
        "priority": priorities(n).0,
        "tags": [tag],
    });
    if let Some(link) = n.main_link() {
        body["click"] = json!(link);
    }
    let Outgoing::Http(mut out) = http(format!("{server}/"), body) else { unreachable!("http() makes Http") };
    if let Some(token) = token {
        out.headers.push(("authorization", format!("Bearer {token}")));
    }
    Outgoing::Http(out)
}

fn gotify(n: &Notification, url: &str, token: &str) -> Outgoing {
    let mut extras = json!({ "client::display": { "contentType": "text/plain" } });
    if let Some(link) = n.main_link() {
        extras["client::notification"] = json!({ "click": { "url": link } });
    }
    let body = json!({ "title": n.title(), "message": n.text(), "priority": priorities(n).1, "extras": extras });
    Outgoing::Http(HttpOut {
        url: format!("{url}/message"),
        headers: vec![("x-gotify-key", token.to_owned())],
        body: body.to_string(),
        sign_with: None,
    })
}

fn pagerduty(n: &Notification, url: &str, routing_key: &str) -> Vec<Outgoing> {
    let severity = match n.severity() {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    let event = |alert: &crate::alerts::engine::Alert, action: &str| {
        let mut event = json!({
            "routing_key": routing_key,
            "event_action": action,
            "dedup_key": alert.id,
        });
        if action == "trigger" {
            let summary = format!("{}: {} ({})", n.rule.name, alert.machine_id, n.reading(alert));
            event["payload"] = json!({
                "summary": clip(&summary, PAGERDUTY_SUMMARY_MAX),
                "source": alert.machine_id,
                "severity": if n.test { "info" } else { severity },
                "timestamp": humantime::format_rfc3339_millis(sysmonstm_protocol::clock::from_ms(alert.started_at))
                    .to_string(),
                "component": n.rule.metric,
                "group": labels_text(&alert.labels),
                "class": n.rule.name,
                "custom_details": {
                    "value": alert.value,
                    "threshold": alert.threshold,
                    "labels": alert.labels,
                    "top_processes": alert.top_processes,
                    "rule_id": n.rule.id,
                },
            });
            event["client"] = json!("sysmonstm");
            if let Some(link) = n.link(&alert.machine_id) {
                event["client_url"] = json!(link);
                event["links"] = json!([{ "href": link, "text": format!("{} in sysmonstm", alert.machine_id) }]);
            }
        }
        http(url, event)
    };
    let mut out = Vec::new();
    for alert in &n.alerts {
        match (n.test, n.state) {
            // A test opens an incident and closes it at once.
            (true, _) => out.extend([event(alert, "trigger"), event(alert, "resolve")]),
            (false, AlertState::Firing) => out.push(event(alert, "trigger")),
            (false, AlertState::Resolved) => out.push(event(alert, "resolve")),
        }
    }
    out
}

fn webhook(n: &Notification, url: &str, secret: Option<&str>) -> Outgoing {
    let alerts: Vec<&crate::alerts::engine::Alert> = n.alerts.iter().map(|a| &**a).collect();
    let body = json!({
        "state": n.state,
        "alert": alerts.first(),
        "rule": &*n.rule,
        "alerts": alerts,
        "group": n.group,
        "test": n.test,
    });
    Outgoing::Http(HttpOut {
        url: url.to_owned(),
        headers: Vec::new(),
        body: body.to_string(),
        sign_with: secret.map(str::to_owned),
    })
}

/// What to send through a channel with these settings, in order.
pub fn render(settings: &Settings, n: &Notification) -> Vec<Outgoing> {
    match settings {
        Settings::Email { .. } => vec![Outgoing::Mail(MailOut { subject: n.title(), text: n.text() })],
        Settings::Slack { url } => vec![http(url, slack(n))],
        Settings::Discord { url } => vec![http(url, discord(n))],
        Settings::Telegram { bot_token, chat_id, api_url } => {
            vec![http(format!("{api_url}/bot{bot_token}/sendMessage"), telegram(n, *chat_id))]
        }
        Settings::Ntfy { url, token } => vec![ntfy(n, url, token.as_deref())],
        Settings::Gotify { url, token } => vec![gotify(n, url, token)],
        Settings::Pagerduty { routing_key, url } => pagerduty(n, url, routing_key),
        Settings::Webhook { url, secret } => vec![webhook(n, url, secret.as_deref())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::tests::notification;

    fn one(settings: Settings, n: &Notification) -> HttpOut {
        match render(&settings, n).remove(0) {
            Outgoing::Http(out) => out,
            Outgoing::Mail(_) => panic!("http expected"),
        }
    }

    fn body(out: &HttpOut) -> Value {
        serde_json::from_str(&out.body).expect("JSON body")
    }

    #[test]
    fn chat_services_get_their_shapes_escaped() {
        let mut n = notification(AlertState::Firing, &["<web>&1"]);
        n.rule = std::sync::Arc::new(crate::alerts::rule::defaults(0).remove(2)); // critical disk rule
        let slack = body(&one(Settings::Slack { url: "https://hooks.slack.com/x".into() }, &n));
        let text = slack["text"].as_str().expect("text");
        assert!(text.starts_with("*[FIRING] Disk above 90 %: &lt;web&gt;&amp;1*"), "{text}");
        assert!(text.contains("<https://hub.example.com/#/machine/%3Cweb%3E%261|open &lt;web&gt;&amp;1>"), "{text}");
        let discord = body(&one(Settings::Discord { url: "https://discord.com/api/webhooks/1/x".into() }, &n));
        assert_eq!(discord["embeds"][0]["color"], json!(0xcf222e));
        assert_eq!(discord["allowed_mentions"], json!({"parse": []}));
        let telegram = one(
            Settings::Telegram { bot_token: "1:abc".into(), chat_id: -42, api_url: "https://api.telegram.org".into() },
            &n,
        );
        assert_eq!(telegram.url, "https://api.telegram.org/bot1:abc/sendMessage");
        let telegram = body(&telegram);
        assert_eq!((telegram["chat_id"].clone(), telegram["parse_mode"].clone()), (json!(-42), json!("HTML")));
        assert!(telegram["text"].as_str().expect("text").contains("&lt;web&gt;&amp;1"));
    }

    #[test]
    fn push_services_take_priority_from_severity() {
        let n = notification(AlertState::Firing, &["web-1"]);
        let ntfy = one(Settings::Ntfy { url: "https://ntfy.sh/ops-alerts".into(), token: Some("tk".into()) }, &n);
        assert_eq!(ntfy.url, "https://ntfy.sh/");
        assert_eq!(ntfy.headers, vec![("authorization", "Bearer tk".to_owned())]);
        let ntfy = body(&ntfy);
        assert_eq!((ntfy["topic"].clone(), ntfy["priority"].clone()), (json!("ops-alerts"), json!(4)));
        assert_eq!(ntfy["click"], json!("https://hub.example.com/#/machine/web-1"));
        let gotify = one(Settings::Gotify { url: "https://push.example.com".into(), token: "A1".into() }, &n);
        assert_eq!((gotify.url.as_str(), gotify.headers[0].1.as_str()), ("https://push.example.com/message", "A1"));
        assert_eq!(body(&gotify)["priority"], json!(7));
        let resolved = notification(AlertState::Resolved, &["web-1"]);
        assert_eq!(
            body(&one(Settings::Ntfy { url: "https://ntfy.sh/t".into(), token: None }, &resolved))["priority"],
            json!(3)
        );
    }

    #[test]
    fn pagerduty_triggers_and_resolves_by_alert_id() {
        let settings =
            Settings::Pagerduty { routing_key: "k".repeat(32), url: "https://events.pagerduty.com/v2/enqueue".into() };
        let fired = body(&one(settings.clone(), &notification(AlertState::Firing, &["web-1"])));
        assert_eq!((fired["event_action"].clone(), fired["dedup_key"].clone()), (json!("trigger"), json!("a-web-1")));
        assert_eq!(fired["payload"]["source"], json!("web-1"));
        assert_eq!(fired["payload"]["severity"], json!("warning"));
        let resolved = body(&one(settings.clone(), &notification(AlertState::Resolved, &["web-1"])));
        assert_eq!(
            (resolved["event_action"].clone(), resolved["dedup_key"].clone()),
            (json!("resolve"), json!("a-web-1"))
        );
        assert!(resolved.get("payload").is_none());
        assert_eq!(render(&settings, &notification(AlertState::Firing, &["a", "b"])).len(), 2, "one event per alert");
    }

    #[test]
    fn webhooks_keep_todays_body_and_mail_is_text() {
        let n = notification(AlertState::Firing, &["web-1"]);
        let hook = one(Settings::Webhook { url: "https://h.example/in".into(), secret: Some("s".repeat(16)) }, &n);
        assert_eq!(hook.sign_with.as_deref(), Some("ssssssssssssssss"));
        let hook = body(&hook);
        assert_eq!((hook["state"].clone(), hook["alert"]["machine_id"].clone()), (json!("firing"), json!("web-1")));
        assert_eq!(hook["rule"]["id"], json!("default-cpu"));
        let mail = render(
            &Settings::Email {
                smtp_host: "m".into(),
                smtp_port: 25,
                tls: crate::alerts::channel::SmtpTls::None,
                username: None,
                password: None,
                from: "a@b.c".into(),
                to: vec!["d@e.f".into()],
                ca_certificate: None,
            },
            &n,
        );
        assert_eq!(mail, vec![Outgoing::Mail(MailOut { subject: n.title(), text: n.text() })]);
        assert!(clip(&"é".repeat(10), 7).ends_with('…') && clip("short", 10) == "short");
    }
}
