//! Notification channels: where alerts are sent (`/api/channels`).
//!
//! A channel is `{"id", "name", "kind", …fields of its kind}`. Input is
//! checked field by field, so every refusal names its field (→ 422). Secrets
//! (passwords, tokens, routing keys, chat webhook URLs) are write-only: the
//! [`Channel::view`] a GET returns says only whether each is set
//! (`"password_set": true`). On a change, a secret left out keeps its value
//! and an empty string clears it (when the field is optional).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::address::{check_url, Policy};
use super::input::{number, object, only_known, refuse, required, string, strings};
use crate::field_error::FieldError;

/// Longest channel name, bytes.
pub const MAX_NAME: usize = 200;
/// Most recipients of one email channel.
pub const MAX_RECIPIENTS: usize = 20;
/// Shortest webhook signing secret, bytes.
pub const MIN_SECRET: usize = 16;
/// Longest secret or token, bytes.
pub const MAX_SECRET: usize = 512;
/// Largest CA certificate (PEM) of an email channel, bytes.
pub const MAX_CA_PEM: usize = 64 * 1024;
/// Telegram's Bot API, unless a channel names another server.
pub const TELEGRAM_API: &str = "https://api.telegram.org";
/// PagerDuty's Events API v2, unless a channel names another endpoint.
pub const PAGERDUTY_EVENTS: &str = "https://events.pagerduty.com/v2/enqueue";

/// What a channel delivers through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Email,
    Slack,
    Discord,
    Telegram,
    Ntfy,
    Gotify,
    Pagerduty,
    Webhook,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Email,
        Kind::Slack,
        Kind::Discord,
        Kind::Telegram,
        Kind::Ntfy,
        Kind::Gotify,
        Kind::Pagerduty,
        Kind::Webhook,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Telegram => "telegram",
            Kind::Ntfy => "ntfy",
            Kind::Gotify => "gotify",
            Kind::Pagerduty => "pagerduty",
            Kind::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == text)
    }

    /// Its place in [`Kind::ALL`] (counters are kept per kind).
    pub fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The fields of this kind, secrets included.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Email => &["smtp_host", "smtp_port", "tls", "username", "password", "from", "to", "ca_certificate"],
            Kind::Slack | Kind::Discord => &["url"],
            Kind::Telegram => &["bot_token", "chat_id", "api_url"],
            Kind::Ntfy => &["url", "token"],
            Kind::Gotify => &["url", "token"],
            Kind::Pagerduty => &["routing_key", "url"],
            Kind::Webhook => &["url", "secret"],
        }
    }

    /// The fields a GET never returns. A chat webhook URL carries its
    /// token in the path, so it is one.
    pub fn secrets(self) -> &'static [&'static str] {
        match self {
            Kind::Email => &["password"],
            Kind::Slack | Kind::Discord => &["url"],
            Kind::Telegram => &["bot_token"],
            Kind::Ntfy | Kind::Gotify => &["token"],
            Kind::Pagerduty => &["routing_key"],
            Kind::Webhook => &["secret"],
        }
    }
}

/// How an email channel talks to its SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same machine or network).
    None,
    /// Plain, then upgraded with STARTTLS (required, not opportunistic).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

impl SmtpTls {
    fn parse(text: &str) -> Option<SmtpTls> {
        Some(match text {
            "none" => SmtpTls::None,
            "starttls" => SmtpTls::Starttls,
            "tls" => SmtpTls::Tls,
            _ => return None,
        })
    }

    /// The port used when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// A channel's kind and the fields of that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Settings {
    Email {
        smtp_host: String,
        smtp_port: u16,
        tls: SmtpTls,
        username: Option<String>,
        password: Option<String>,
        from: String,
        to: Vec<String>,
        /// PEM of the CA that signed the server's certificate, when it is
        /// not one of the public ones.
        ca_certificate: Option<String>,
    },
    Slack {
        url: String,
    },
    Discord {
        url: String,
    },
    Telegram {
        bot_token: String,
        chat_id: i64,
        api_url: String,
    },
    Ntfy {
        /// The topic's URL (`https://ntfy.sh/ops-alerts`).
        url: String,
        token: Option<String>,
    },
    Gotify {
        /// The server's base URL.
        url: String,
        /// An application token.
        token: String,
    },
    Pagerduty {
        routing_key: String,
        url: String,
    },
    Webhook {
        url: String,
        /// Signs each body (`X-Sysmonstm-Signature`); None sends unsigned.
        secret: Option<String>,
    },
}

impl Settings {
    pub fn kind(&self) -> Kind {
        match self {
            Settings::Email { .. } => Kind::Email,
            Settings::Slack { .. } => Kind::Slack,
            Settings::Discord { .. } => Kind::Discord,
            Settings::Telegram { .. } => Kind::Telegram,
            Settings::Ntfy { .. } => Kind::Ntfy,
            Settings::Gotify { .. } => Kind::Gotify,
            Settings::Pagerduty { .. } => Kind::Pagerduty,
            Settings::Webhook { .. } => Kind::Webhook,
        }
    }
}

/// A stored channel (secrets included: see [`Channel::view`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub settings: Settings,
    /// Increases by one with every change; a change carrying another is refused (409).
    pub version: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields every channel has.
const COMMON: &[&str] = &["id", "name", "kind", "version", "created_at", "updated_at"];

impl Channel {
    pub fn kind(&self) -> Kind {
        self.settings.kind()
    }

    /// What a GET shows: every field but the secrets, and for each secret
    /// whether it is set (`"token_set": true`).
    pub fn view(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(map) = &mut value {
            for secret in self.kind().secrets() {
                let set = map.remove(*secret).is_some_and(|v| !v.is_null());
                map.insert(format!("{secret}_set"), Value::Bool(set));
            }
        }
        value
    }

    /// An unsigned webhook channel for one of a rule's `webhooks` URLs.
    pub fn legacy_webhook(rule_id: &str, index: usize, url: &str) -> Channel {
        Channel {
            id: format!("rule:{rule_id}:webhook:{index}"),
            name: format!("webhook {}", index + 1),
            settings: Settings::Webhook { url: url.to_owned(), secret: None },
            version: 1,
            created_at: 0,
            updated_at: 0,
        }
    }
}

/// When a channel is made or changed (the server's part of it).
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub version: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Builds a channel from JSON input. `current` is the channel being changed
/// (its secrets are kept where the input leaves them out, if the kind stays).
pub fn from_input(
    input: &Value,
    id: String,
    stamp: Stamp,
    current: Option<&Channel>,
    policy: Policy,
) -> Result<Channel, FieldError> {
    let map = object(input)?;
    let kind_text = required(map, "kind")?;
    let kind = Kind::parse(kind_text).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        refuse("kind", format!("`{kind_text}` is not a channel kind; known: {}", known.join(", ")))
    })?;
    let set_flags: Vec<String> = kind.secrets().iter().map(|s| format!("{s}_set")).collect();
    let known: Vec<&str> =
        COMMON.iter().chain(kind.fields()).copied().chain(set_flags.iter().map(String::as_str)).collect();
    only_known(map, &known)?;
    let name = required(map, "name")?;
    if name.len() > MAX_NAME {
        return Err(refuse("name", format!("is longer than {MAX_NAME} bytes")));
    }
    let kept = current.filter(|c| c.kind() == kind).map(|c| serde_json::to_value(c).unwrap_or_default());
    let fields = Fields { map, kept: kept.as_ref(), policy };
    let settings = match kind {
        Kind::Email => fields.email()?,
        Kind::Slack => Settings::Slack { url: fields.secret_url("url")? },
        Kind::Discord => Settings::Discord { url: fields.secret_url("url")? },
        Kind::Telegram => fields.telegram()?,
        Kind::Ntfy => fields.ntfy()?,
        Kind::Gotify => Settings::Gotify {
            url: fields.url("url")?.as_str().trim_end_matches('/').to_owned(),
            token: fields.secret("token")?.ok_or_else(|| refuse("token", "is required (an application token)"))?,
        },
        Kind::Pagerduty => fields.pagerduty()?,
        Kind::Webhook => fields.webhook()?,
    };
    Ok(Channel {
        id,
        name: name.to_owned(),
        settings,
        version: stamp.version,
        created_at: stamp.created_at,
        updated_at: stamp.updated_at,
    })
}

/// The input of one channel, with what it had before.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    kept: Option<&'a Value>,
    policy: Policy,
}

impl Fields<'_> {
    /// A secret: as given (an empty string clears it), else as it was.
    fn secret(&self, field: &str) -> Result<Option<String>, FieldError> {
        match string(self.map, field)? {
            Some(text) if text.len() > MAX_SECRET => Err(refuse(field, format!("is longer than {MAX_SECRET} bytes"))),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => Ok(Some(text.trim().to_owned())),
            None => Ok(self.kept.and_then(|k| k.get(field)).and_then(Value::as_str).map(str::to_owned)),
        }
    }

    fn url(&self, field: &str) -> Result<url::Url, FieldError> {
        let text = required(self.map, field)?;
        check_url(text, self.policy).map_err(|m| refuse(field, m))
    }

    fn url_or(&self, field: &str, default: &str) -> Result<String, FieldError> {
        match string(self.map, field)?.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Ok(check_url(text, self.policy).map_err(|m| refuse(field, m))?.to_string()),
            None => Ok(default.to_owned()),
        }
    }

    /// A URL that is also a secret (a chat service's incoming webhook).
    fn secret_url(&self, field: &str) -> Result<String, FieldError> {
        let text = self.secret(field)?.ok_or_else(|| refuse(field, "is required (the incoming webhook's URL)"))?;
        Ok(check_url(&text, self.policy).map_err(|m| refuse(field, m))?.to_string())
    }

    fn email(&self) -> Result<Settings, FieldError> {
        let map = self.map;
        let smtp_host = required(map, "smtp_host")?;
        url::Host::parse(smtp_host)
            .map_err(|e| refuse("smtp_host", format!("`{smtp_host}` is not a host name or address ({e})")))?;
        let tls = match string(map, "tls")? {
            None => SmtpTls::Starttls,
            Some(text) => SmtpTls::parse(text)
                .ok_or_else(|| refuse("tls", format!("`{text}` is not one of none, starttls, tls")))?,
        };
        let smtp_port = match number(map, "smtp_port")? {
            None => tls.default_port(),
            Some(p) if p.fract() == 0.0 && (1.0..=65535.0).contains(&p) => p as u16,
            Some(p) => return Err(refuse("smtp_port", format!("{p} is not a port (1 to 65535)"))),
        };
        let username = string(map, "username")?.map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
        let password = self.secret("password")?;
        if password.is_some() && username.is_none() {
            return Err(refuse("password", "is set without a username"));
        }
        let from = required(map, "from")?;
        mailbox("from", from)?;
        let to = strings(map, "to", MAX_RECIPIENTS)?;
        if to.is_empty() {
            return Err(refuse("to", "is required (a list of addresses)"));
        }
        for address in &to {
            mailbox("to", address)?;
        }
        let ca_certificate = string(map, "ca_certificate")?.map(str::trim).filter(|c| !c.is_empty());
        if let Some(pem) = ca_certificate {
            if pem.len() > MAX_CA_PEM || !pem.starts_with("-----BEGIN CERTIFICATE-----") {
                return Err(refuse("ca_certificate", "must be a PEM certificate (-----BEGIN CERTIFICATE-----)"));
            }
            if tls == SmtpTls::None {
                return Err(refuse("ca_certificate", "is for tls starttls or tls"));
            }
        }
        Ok(Settings::Email {
            smtp_host: smtp_host.to_owned(),
            smtp_port,
            tls,
            username,
            password,
            from: from.to_owned(),
            to,
            ca_certificate: ca_certificate.map(str::to_owned),
        })
    }

    fn telegram(&self) -> Result<Settings, FieldError> {
        let bot_token =
            self.secret("bot_token")?.ok_or_else(|| refuse("bot_token", "is required (from @BotFather)"))?;
        let well_formed = bot_token.split_once(':').is_some_and(|(bot, key)| {
            !bot.is_empty()
                && bot.bytes().all(|b| b.is_ascii_digit())
                && key.len() >= 20
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !well_formed {
            return Err(refuse("bot_token", "is not a bot token (digits, `:`, then the key, as @BotFather gives it)"));
        }
        let not_a_number = || refuse("chat_id", "must be a number (the chat's id; a group's is negative)");
        let chat_id = match self.map.get("chat_id") {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(not_a_number)?,
            Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| not_a_number())?,
            None | Some(Value::Null) => return Err(refuse("chat_id", "is required")),
            Some(_) => return Err(not_a_number()),
        };
        let api_url = self.url_or("api_url", TELEGRAM_API)?.trim_end_matches('/').to_owned();
        Ok(Settings::Telegram { bot_token, chat_id, api_url })
    }

    fn ntfy(&self) -> Result<Settings, FieldError> {
        let url = self.url("url")?;
        let topic = url.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
        if topic.is_empty() {
            return Err(refuse("url", format!("`{url}` has no topic; write the topic's URL (https://ntfy.sh/TOPIC)")));
        }
        if topic.len() > 64 || !topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(refuse("url", format!("`{topic}` is not a topic (letters, digits, _ and -, at most 64)")));
        }
        Ok(Settings::Ntfy { url: url.to_string(), token: self.secret("token")? })
    }

    fn pagerduty(&self) -> Result<Settings, FieldError> {
        let routing_key = self
            .secret("routing_key")?
            .ok_or_else(|| refuse("routing_key", "is required (the integration key of an Events API v2 service)"))?;
        if routing_key.len() != 32 || !routing_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(refuse("routing_key", "is not an integration key (32 letters and digits)"));
        }
        Ok(Settings::Pagerduty { routing_key, url: self.url_or("url", PAGERDUTY_EVENTS)? })
    }

    fn webhook(&self) -> Result<Settings, FieldError> {
        let url = self.url("url")?.to_string();
        let secret = self.secret("secret")?;
        if secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET) {
            return Err(refuse("secret", format!("is shorter than {MIN_SECRET} bytes")));
        }
        Ok(Settings::Webhook { url, secret })
    }
}

/// Checks an email address (`ops@example.com` or `Ops <ops@example.com>`).
fn mailbox(field: &str, text: &str) -> Result<(), FieldError> {
    text.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| refuse(field, format!("`{text}` is not an email address ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STAMP: Stamp = Stamp { version: 1, created_at: 0, updated_at: 0 };
    const ALLOW: Policy = Policy { allow_private_webhooks: true };

    fn build(input: Value) -> Result<Channel, FieldError> {
        from_input(&input, "c1".into(), STAMP, None, Policy::default())
    }

    fn field_of(input: Value) -> String {
        build(input).expect_err("refused").field
    }

    fn telegram() -> Value {
        json!({"name": "t", "kind": "telegram", "bot_token": "123456:ABCdefGHIjklMNOpqrSTUvwx", "chat_id": -1001})
    }

    #[test]
    fn every_kind_is_accepted_with_its_defaults() {
        let email = build(json!({"name": "mail", "kind": "email", "smtp_host": "mail.example.com",
            "username": "u", "password": "p", "from": "Hub <hub@example.com>", "to": ["ops@example.com"]}))
        .expect("email");
        let Settings::Email { smtp_port, tls, .. } = &email.settings else { panic!("email settings") };
        assert_eq!((*smtp_port, *tls), (587, SmtpTls::Starttls));
        let telegram = build(telegram()).expect("telegram");
        assert_eq!(
            telegram.settings,
            Settings::Telegram {
                bot_token: "123456:ABCdefGHIjklMNOpqrSTUvwx".into(),
                chat_id: -1001,
                api_url: TELEGRAM_API.into()
            }
        );
        let pd = build(json!({"name": "p", "kind": "pagerduty", "routing_key": "0123456789abcdef0123456789ABCDEF"}))
            .expect("pagerduty");
        assert!(matches!(&pd.settings, Settings::Pagerduty { url, .. } if url == PAGERDUTY_EVENTS));
        for kind in ["slack", "discord"] {
            build(json!({"name": "chat", "kind": kind, "url": "https://hooks.example.com/T/B/x"})).expect(kind);
        }
        build(json!({"name": "n", "kind": "ntfy", "url": "https://ntfy.sh/ops-alerts"})).expect("ntfy");
        build(json!({"name": "g", "kind": "gotify", "url": "https://push.example.com/", "token": "Axyz"}))
            .expect("gotify");
        let hook = build(json!({"name": "w", "kind": "webhook", "url": "https://hooks.example.com/in",
            "secret": "0123456789abcdef"}))
        .expect("webhook");
        // Stored and read back the same.
        let stored: Channel = serde_json::from_str(&serde_json::to_string(&hook).expect("encodes")).expect("decodes");
        assert_eq!(stored, hook);
    }

    #[test]
    fn each_problem_names_its_field() {
        let email = || {
            json!({"name": "m", "kind": "email", "smtp_host": "mail.example.com", "from": "hub@example.com",
                "to": ["ops@example.com"]})
        };
        let with = |mut base: Value, key: &str, value: Value| {
            base[key] = value;
            base
        };
        assert_eq!(field_of(with(email(), "smtp_port", json!(0))), "smtp_port");
        assert_eq!(field_of(with(email(), "smtp_port", json!(70000))), "smtp_port");
        assert_eq!(field_of(with(email(), "tls", json!("ssl"))), "tls");
        assert_eq!(field_of(with(email(), "to", json!([]))), "to");
        assert_eq!(field_of(with(email(), "to", json!(["not an address"]))), "to");
        assert_eq!(field_of(with(email(), "from", json!("@"))), "from");
        assert_eq!(field_of(with(email(), "password", json!("p"))), "password");
        assert_eq!(field_of(with(email(), "smtp_host", json!("bad host!"))), "smtp_host");
        assert_eq!(field_of(with(email(), "url", json!("https://x.example"))), "url", "a field of another kind");
        assert_eq!(field_of(with(telegram(), "chat_id", json!("general"))), "chat_id");
        assert_eq!(field_of(with(telegram(), "chat_id", json!(1.5))), "chat_id");
        assert_eq!(field_of(with(telegram(), "bot_token", json!("nocolon"))), "bot_token");
        assert_eq!(field_of(json!({"name": "n", "kind": "ntfy", "url": "https://ntfy.sh/"})), "url");
        assert_eq!(field_of(json!({"name": "n", "kind": "ntfy", "url": "https://ntfy.sh/a%20b"})), "url");
        assert_eq!(field_of(json!({"name": "s", "kind": "slack", "url": "http://10.1.2.3/hook"})), "url");
        assert_eq!(field_of(json!({"name": "g", "kind": "gotify", "url": "https://g.example.com"})), "token");
        assert_eq!(field_of(json!({"name": "p", "kind": "pagerduty", "routing_key": "short"})), "routing_key");
        assert_eq!(
            field_of(json!({"name": "w", "kind": "webhook", "url": "https://h.example", "secret": "weak"})),
            "secret"
        );
        assert_eq!(field_of(json!({"name": "w", "kind": "carrier-pigeon"})), "kind");
        assert_eq!(field_of(json!({"kind": "slack", "url": "https://h.example"})), "name");
        assert_eq!(field_of(json!(["not", "an", "object"])), "body");
    }

    #[test]
    fn secrets_are_never_shown_and_kept_when_left_out() {
        let created = build(telegram()).expect("telegram");
        let view = created.view();
        assert!(view.get("bot_token").is_none(), "the token is not shown: {view}");
        assert_eq!((view["bot_token_set"].clone(), view["chat_id"].clone()), (json!(true), json!(-1001)));
        // A change that leaves the token out (or sends the view back) keeps it.
        let mut change = view.clone();
        change["chat_id"] = json!(42);
        let stamp = Stamp { version: 2, ..STAMP };
        let changed = from_input(&change, "c1".into(), stamp, Some(&created), ALLOW).expect("change");
        assert!(
            matches!(&changed.settings, Settings::Telegram { bot_token, chat_id: 42, .. } if bot_token.starts_with("123456:"))
        );
        // Changing the kind keeps nothing of the old one.
        let to_ntfy = json!({"name": "t", "kind": "ntfy", "url": "https://ntfy.sh/x"});
        let ntfy = from_input(&to_ntfy, "c1".into(), stamp, Some(&created), ALLOW).expect("ntfy");
        assert_eq!(ntfy.view()["token_set"], json!(false));
        // An empty string clears an optional secret.
        let with_token = from_input(
            &json!({"name": "t", "kind": "ntfy", "url": "https://ntfy.sh/x", "token": "tk"}),
            "c1".into(),
            stamp,
            None,
            ALLOW,
        )
        .expect("ntfy with token");
        let cleared = from_input(
            &json!({"name": "t", "kind": "ntfy", "url": "https://ntfy.sh/x", "token": ""}),
            "c1".into(),
            stamp,
            Some(&with_token),
            ALLOW,
        )
        .expect("cleared");
        assert!(matches!(cleared.settings, Settings::Ntfy { token: None, .. }));
        // A chat webhook URL is a secret too.
        let slack = build(json!({"name": "s", "kind": "slack", "url": "https://hooks.slack.com/services/T/B/x"}))
            .expect("slack");
        assert_eq!(slack.view().get("url"), None);
    }

    #[test]
    fn every_kind_lists_its_secrets_among_its_fields() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
            assert_eq!(Kind::ALL[kind.index()], kind);
            for secret in kind.secrets() {
                assert!(kind.fields().contains(secret), "{secret} of {}", kind.name());
            }
        }
    }
}
