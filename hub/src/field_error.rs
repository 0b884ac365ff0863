//! A refused input, naming the field: one type for a query parameter, a
//! request body's field and an alert rule's field alike, so every refusal
//! reaches the client as JSON `{error, field}` the same way.

/// A refused field and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}
