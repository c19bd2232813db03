//! A [`TaskType`]'s name: Conductor's type string, how it is written and read back.

use super::TaskType;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

impl TaskType {
    /// The type named `name` (Conductor's spelling); never fails.
    pub fn from_name(name: &str) -> TaskType {
        Self::known(name).unwrap_or_else(|| TaskType::System(name.to_string()))
    }

    fn known(name: &str) -> Option<TaskType> {
        Some(match name {
            "SIMPLE" => TaskType::Simple,
            "SWITCH" => TaskType::Switch,
            "DECISION" => TaskType::Decision,
            "FORK_JOIN" => TaskType::ForkJoin,
            "JOIN" => TaskType::Join,
            "EXCLUSIVE_JOIN" => TaskType::ExclusiveJoin,
            "FORK_JOIN_DYNAMIC" => TaskType::ForkJoinDynamic,
            "DYNAMIC" => TaskType::Dynamic,
            "DO_WHILE" => TaskType::DoWhile,
            "WAIT" => TaskType::Wait,
            "HUMAN" => TaskType::Human,
            "SUB_WORKFLOW" => TaskType::SubWorkflow,
            "START_WORKFLOW" => TaskType::StartWorkflow,
            "TERMINATE" => TaskType::Terminate,
            "SET_VARIABLE" => TaskType::SetVariable,
            "NOOP" => TaskType::Noop,
            _ => return None,
        })
    }

    /// Conductor's name of the type.
    pub fn as_str(&self) -> &str {
        match self {
            TaskType::System(name) => name,
            known => known.static_name().unwrap_or_default(),
        }
    }

    /// The name of a type Baton knows; `None` for a system type.
    pub(super) fn static_name(&self) -> Option<&'static str> {
        Some(match self {
            TaskType::Simple => "SIMPLE",
            TaskType::Switch => "SWITCH",
            TaskType::Decision => "DECISION",
            TaskType::ForkJoin => "FORK_JOIN",
            TaskType::Join => "JOIN",
            TaskType::ExclusiveJoin => "EXCLUSIVE_JOIN",
            TaskType::ForkJoinDynamic => "FORK_JOIN_DYNAMIC",
            TaskType::Dynamic => "DYNAMIC",
            TaskType::DoWhile => "DO_WHILE",
            TaskType::Wait => "WAIT",
            TaskType::Human => "HUMAN",
            TaskType::SubWorkflow => "SUB_WORKFLOW",
            TaskType::StartWorkflow => "START_WORKFLOW",
            TaskType::Terminate => "TERMINATE",
            TaskType::SetVariable => "SET_VARIABLE",
            TaskType::Noop => "NOOP",
            TaskType::System(_) => return None,
        })
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for TaskType {
    fn from(name: String) -> TaskType {
        Self::known(&name).unwrap_or(TaskType::System(name))
    }
}

impl From<&str> for TaskType {
    fn from(name: &str) -> TaskType {
        TaskType::from_name(name)
    }
}

impl Serialize for TaskType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TaskType, D::Error> {
        String::deserialize(d).map(TaskType::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_itself() {
        for name in [
            "SIMPLE",
            "DECISION",
            "SWITCH",
            "SUB_WORKFLOW",
            "HTTP",
            "FOO_FROM_LATER",
        ] {
            let t: TaskType = serde_json::from_value(serde_json::json!(name)).expect("reads");
            assert_eq!(t.as_str(), name);
            assert_eq!(
                serde_json::to_value(&t).expect("writes"),
                serde_json::json!(name)
            );
        }
        assert_eq!(TaskType::from_name("WAIT"), TaskType::Wait);
        assert_eq!(
            TaskType::from_name("NEW_KIND"),
            TaskType::System("NEW_KIND".into())
        );
    }

    #[test]
    fn a_non_string_type_is_an_error_not_a_panic() {
        assert!(serde_json::from_value::<TaskType>(serde_json::json!(3)).is_err());
    }
}
