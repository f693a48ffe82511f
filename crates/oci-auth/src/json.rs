//! Reading the JSON objects the crate receives (credentials files, helper answers, token responses, JWT claims)
//! into serde structs, refusing anything that is not an object.

use serde::de::DeserializeOwned;

/// Deserializes `value` only if it is a JSON object (serde would also read a struct from an array).
pub(crate) fn from_object<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    if !value.is_object() {
        return Err("expected a JSON object".to_owned());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// Parses `bytes` as JSON and deserializes them with [`from_object`]; the error says why, for a message's detail.
pub(crate) fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    from_object(serde_json::from_slice(bytes).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        a: u8,
        b: u8,
    }

    #[test]
    fn only_objects_are_read() {
        assert_eq!(parse_object::<Pair>(br#"{"a":1,"b":2}"#), Ok(Pair { a: 1, b: 2 }));
        assert_eq!(parse_object::<Pair>(b"[1,2]"), Err("expected a JSON object".to_owned()));
        assert!(parse_object::<Pair>(b"{").unwrap_err().contains("EOF"));
        assert!(
            parse_object::<Pair>(br#"{"a":1}"#)
                .unwrap_err()
                .contains("missing field `b`")
        );
    }
}
