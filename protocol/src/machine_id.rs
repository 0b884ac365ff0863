//! What a machine id may be: 1 to 128 bytes of UTF-8 without control characters.

/// Longest machine id accepted, in bytes.
pub const MAX_LEN: usize = 128;

/// Why a machine id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MachineIdError {
    #[error("machine_id is empty")]
    Empty,
    #[error("machine_id is {0} bytes long; at most {MAX_LEN} are allowed")]
    TooLong(usize),
    #[error("machine_id contains a control character at byte {0}")]
    ControlCharacter(usize),
}

/// Checks `id` against the rule above.
pub fn validate(id: &str) -> Result<(), MachineIdError> {
    if id.is_empty() {
        return Err(MachineIdError::Empty);
    }
    if id.len() > MAX_LEN {
        return Err(MachineIdError::TooLong(id.len()));
    }
    if let Some((at, _)) = id.char_indices().find(|(_, c)| c.is_control()) {
        return Err(MachineIdError::ControlCharacter(at));
    }
    Ok(())
}

/// Flag / environment value parser (clap `value_parser`) for a machine id.
pub fn parse(text: &str) -> Result<String, String> {
    validate(text).map(|()| text.to_owned()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        assert_eq!(validate("web-01.example.com"), Ok(()));
        assert_eq!(validate(&"a".repeat(MAX_LEN)), Ok(()));
        assert_eq!(validate("höst"), Ok(()));
    }

    #[test]
    fn refuses_empty_long_and_control() {
        assert_eq!(validate(""), Err(MachineIdError::Empty));
        assert_eq!(validate(&"a".repeat(129)), Err(MachineIdError::TooLong(129)));
        assert_eq!(validate("ab\ncd"), Err(MachineIdError::ControlCharacter(2)));
        assert_eq!(validate("\u{7f}"), Err(MachineIdError::ControlCharacter(0)));
    }
}
