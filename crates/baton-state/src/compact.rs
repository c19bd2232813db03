//! JSON values sized to fit, for what the state keeps.
//!
//! A cloned `serde_json::Map` reserves room for as many entries as its hash table holds
//! (three for a one-entry map), so each small output kept in the state cost about
//! 300 bytes where 120 do; a 100,000-iteration loop keeps several per iteration.

use serde_json::{Map, Value};

/// A copy of `v` whose maps and lists hold exactly their entries.
pub fn compact_copy(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(compact_copy_map(m)),
        Value::Array(a) => Value::Array(a.iter().map(compact_copy).collect()),
        other => other.clone(),
    }
}

/// A copy of `m` holding exactly its entries, compacted all the way down.
pub fn compact_copy_map(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (k.clone(), compact_copy(v)))
        .collect()
}

/// `v` rebuilt so that its maps and lists hold exactly their entries.
pub fn compact(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, compact(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(compact).collect()),
        other => other,
    }
}

/// Deserialises a JSON value compacted (serde's maps grow as entries arrive and keep
/// room for more): for the values a state keeps, so reading a big checkpoint back costs
/// what the running state does.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(compact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compacting_keeps_the_value() {
        let v = json!({"a": [1, {"b": null}], "c": {"d": "e"}, "f": 1.5});
        assert_eq!(compact_copy(&v), v);
        assert_eq!(compact(v.clone()), v);
        let m = v.as_object().expect("object");
        assert_eq!(&compact_copy_map(m), m);
    }
}
