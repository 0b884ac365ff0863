//! `GET /api/meta`: what the dashboard must know of this hub and asks for
//! instead of repeating it: the metrics rules may watch, the rule form's
//! fields (the validator's own field list, in the form's order, with the
//! values a choice field takes), the health limits that colour bars, and
//! whether the one-line install can hand out an agent.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use sysmonstm_viewer::meta::{health_limits, HealthLimits};

use super::AppState;
use crate::alerts::channel::Kind as ChannelKind;
use crate::alerts::part::PART_METRICS;
use crate::alerts::rule::{self, Comparison, Severity};
use crate::metrics::METRICS;

/// How a rule field is entered.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Number,
    Checkbox,
    /// One URL per line.
    Lines,
    /// One of `options`.
    Choice,
    /// Labels as `key=value` pairs, comma-separated.
    Labels,
    /// Some of the hub's notification channels (`/api/channels`), by id.
    Channels,
    /// A secret: written, never shown (a channel's password or token).
    Secret,
    /// Free text over several lines (a PEM certificate).
    Multiline,
    /// Words separated by commas or spaces (label keys).
    Words,
    /// Free text, with `options` as suggestions.
    Suggest,
}

/// One field of a form (rules, channels).
#[derive(Debug, Serialize)]
pub struct RuleField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The validator refuses the form without it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// The channel form of one kind: its fields in the form's order.
#[derive(Debug, Serialize)]
pub struct ChannelForm {
    pub kind: &'static str,
    pub label: &'static str,
    pub fields: Vec<RuleField>,
}

#[derive(Debug, Serialize)]
pub struct Meta {
    /// What a rule's `metric` may be: every stored metric, and `offline`.
    pub metrics: Vec<&'static str>,
    pub rule_fields: Vec<RuleField>,
    /// Every channel kind and its form (`/api/channels`).
    pub channel_kinds: Vec<ChannelForm>,
    pub health: HealthLimits,
    pub install: Install,
}

/// Whether `/install.sh` can install an agent now (the Add machine dialog
/// says why not, and how to fix it).
#[derive(Debug, Serialize, PartialEq)]
pub struct Install {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

fn names<T: Serialize>(values: &[T]) -> Vec<String> {
    values.iter().filter_map(|v| serde_json::to_value(v).ok()?.as_str().map(str::to_owned)).collect()
}

/// What the rule form suggests for `metric`: every metric, each per-part
/// series with an example part, and `offline`.
pub fn rule_metric_suggestions() -> Vec<String> {
    let examples = |key: &str| match key {
        "mount" => "/",
        "interface" => "eth0",
        "device" => "sda",
        _ => "0",
    };
    METRICS
        .iter()
        .map(|m| m.name.to_owned())
        .chain(PART_METRICS.iter().map(|p| format!("{}{{{}=\"{}\"}}", p.name, p.key, examples(p.key))))
        .chain([rule::OFFLINE.to_owned()])
        .collect()
}

/// The metrics a rule may watch.
pub fn rule_metrics() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.name).chain([rule::OFFLINE]).collect()
}

fn field(name: &'static str, label: &'static str, kind: Kind) -> RuleField {
    RuleField { name, label, kind, options: Vec::new(), required: false }
}

fn required(name: &'static str, label: &'static str, kind: Kind) -> RuleField {
    RuleField { required: true, ..field(name, label, kind) }
}

/// The channel forms, one per kind, each field a field of [`ChannelKind::fields`].
pub fn channel_forms() -> Vec<ChannelForm> {
    ChannelKind::ALL
        .iter()
        .map(|kind| {
            let (label, fields) = match kind {
                ChannelKind::Email => (
                    "Email (SMTP)",
                    vec![
                        required("smtp_host", "SMTP server", Kind::Text),
                        field("smtp_port", "Port (default by encryption: 587, 465, 25)", Kind::Number),
                        RuleField {
                            options: vec!["starttls".into(), "tls".into(), "none".into()],
                            ..field("tls", "Encryption", Kind::Choice)
                        },
                        field("username", "User", Kind::Text),
                        field("password", "Password", Kind::Secret),
                        required("from", "From", Kind::Text),
                        required("to", "To (one address per line)", Kind::Lines),
                        field(
                            "ca_certificate",
                            "CA certificate (PEM), for a server signed by a private CA",
                            Kind::Multiline,
                        ),
                    ],
                ),
                ChannelKind::Slack => ("Slack", vec![required("url", "Incoming webhook URL", Kind::Secret)]),
                ChannelKind::Discord => ("Discord", vec![required("url", "Webhook URL", Kind::Secret)]),
                ChannelKind::Telegram => (
                    "Telegram",
                    vec![
                        required("bot_token", "Bot token (from @BotFather)", Kind::Secret),
                        required("chat_id", "Chat id", Kind::Number),
                        field("api_url", "Bot API server (default api.telegram.org)", Kind::Text),
                    ],
                ),
                ChannelKind::Ntfy => (
                    "ntfy",
                    vec![
                        required("url", "Topic URL (https://ntfy.sh/TOPIC)", Kind::Text),
                        field("token", "Access token", Kind::Secret),
                    ],
                ),
                ChannelKind::Gotify => (
                    "Gotify",
                    vec![
                        required("url", "Server URL", Kind::Text),
                        required("token", "Application token", Kind::Secret),
                    ],
                ),
                ChannelKind::Pagerduty => (
                    "PagerDuty",
                    vec![
                        required("routing_key", "Integration key (Events API v2)", Kind::Secret),
                        field("url", "Events API endpoint (default events.pagerduty.com)", Kind::Text),
                    ],
                ),
                ChannelKind::Webhook => (
                    "Webhook (signed)",
                    vec![
                        required("url", "URL", Kind::Text),
                        field("secret", "Signing secret (16 bytes or more; empty: unsigned)", Kind::Secret),
                    ],
                ),
            };
            ChannelForm { kind: kind.name(), label, fields }
        })
        .collect()
}

pub fn meta(install: Install) -> Meta {
    let choice = |name, label, options: Vec<String>| RuleField { options, ..field(name, label, Kind::Choice) };
    let comparisons =
        names(&[Comparison::Greater, Comparison::GreaterOrEqual, Comparison::Less, Comparison::LessOrEqual]);
    Meta {
        metrics: rule_metrics(),
        rule_fields: vec![
            field("name", "Name", Kind::Text),
            RuleField {
                options: rule_metric_suggestions(),
                required: true,
                ..field("metric", "Metric (a part: disk_percent{mount=\"/data\"})", Kind::Suggest)
            },
            choice("kind", "Kind", vec!["threshold".into(), "predict".into()]),
            field("horizon", "Predict: within (e.g. 24h)", Kind::Text),
            field("window", "Predict: from the last (e.g. 6h)", Kind::Text),
            choice("comparison", "Comparison", comparisons),
            field("threshold", "Threshold", Kind::Number),
            field("clear_threshold", "Clear threshold", Kind::Number),
            field("for", "For", Kind::Text),
            field("clear_for", "Clear for", Kind::Text),
            choice("severity", "Severity", names(&[Severity::Warning, Severity::Critical])),
            field("selector", "Machines (glob)", Kind::Text),
            field("labels", "With labels", Kind::Labels),
            field("channels", "Notify", Kind::Channels),
            field("repeat_every", "Repeat every (until acknowledged; empty: once)", Kind::Text),
            field("group_by", "Group by labels (one notification per group)", Kind::Words),
            field("group_wait", "Group wait", Kind::Text),
            field("webhooks", "Plain webhooks (one URL per line)", Kind::Lines),
            field("description", "Description", Kind::Text),
            field("enabled", "Enabled", Kind::Checkbox),
        ],
        channel_kinds: channel_forms(),
        health: health_limits(),
        install,
    }
}

pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    let install = match state.agent_binary.size() {
        Ok(_) => Install { available: true, problem: None },
        Err(e) => Install { available: false, problem: Some(e.to_string()) },
    };
    HttpResponse::Ok().json(meta(install))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        super::meta(Install { available: true, problem: None })
    }

    #[test]
    fn the_form_has_every_field_a_rule_takes_and_no_other() {
        let form: Vec<&str> = meta().rule_fields.iter().map(|f| f.name).collect();
        let server_set = ["id", "version", "created_at", "updated_at"];
        let mut takes: Vec<&str> = rule::FIELDS.iter().copied().filter(|f| !server_set.contains(f)).collect();
        let mut shown = form.clone();
        takes.sort_unstable();
        shown.sort_unstable();
        assert_eq!(shown, takes, "the form against the validator's field list");
    }

    #[test]
    fn each_channel_form_has_every_field_of_its_kind_and_no_other() {
        for form in channel_forms() {
            let kind = ChannelKind::parse(form.kind).expect("a kind");
            let mut shown: Vec<&str> = form.fields.iter().map(|f| f.name).collect();
            let mut takes: Vec<&str> = kind.fields().to_vec();
            shown.sort_unstable();
            takes.sort_unstable();
            assert_eq!(shown, takes, "{}", form.kind);
            for f in &form.fields {
                assert_eq!(f.kind == Kind::Secret, kind.secrets().contains(&f.name), "{}.{}", form.kind, f.name);
            }
        }
    }

    #[test]
    fn choices_are_what_the_validator_accepts() {
        let meta = meta();
        let options = |name: &str| meta.rule_fields.iter().find(|f| f.name == name).map(|f| f.options.clone());
        assert_eq!(options("comparison"), Some(vec![">".into(), ">=".into(), "<".into(), "<=".into()]));
        assert_eq!(options("severity"), Some(vec!["warning".into(), "critical".into()]));
        assert_eq!(meta.metrics.last(), Some(&rule::OFFLINE));
        for suggested in options("metric").expect("metric suggestions") {
            assert!(suggested == rule::OFFLINE || crate::alerts::part::parse(&suggested).is_ok(), "{suggested}");
        }
        assert_eq!(options("kind"), Some(vec!["threshold".into(), "predict".into()]));
        assert_eq!(meta.metrics.len(), METRICS.len() + 1);
    }
}
