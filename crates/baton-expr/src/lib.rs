//! Expression evaluation for Baton, in three tiers of increasing power and cost:
//!
//! 1. [`template`]: Conductor's `${...}` parameter templates (`${workflow.input.x}`,
//!    `${task_ref.output.items[0].id}`), resolved against a [`template::Scope`]. Plain dotted
//!    paths and indexes are walked directly; this is the engine's hot path.
//! 2. [`jsonpath`]: RFC 9535 JSONPath, used by templates for wildcards and filters
//!    (`${ref.output.items[?@.x > 1].id}`) and available directly.
//! 3. [`js`]: sandboxed, deterministic JavaScript (QuickJS) for INLINE/LAMBDA tasks, DO_WHILE
//!    loop conditions and SWITCH `javascript` evaluators, with memory, stack and
//!    instruction-budget limits.
//!
//! # Example
//! ```
//! use baton_expr::{js, template};
//! use serde_json::json;
//!
//! // A JSON document `{ root: { key: value } }` is itself a `Scope`.
//! let scope = json!({"workflow": {"input": {"n": 2, "name": "x"}}});
//! let input = template::resolve(&json!({"n": "${workflow.input.n}", "label": "item ${workflow.input.name}"}), &scope);
//! assert_eq!(input, json!({"n": 2, "label": "item x"}));
//!
//! let doubled = js::eval("$.n * 2", &input, &js::JsLimits::default());
//! assert_eq!(doubled, Ok(json!(4)));
//! ```

pub mod js;
pub mod jsonpath;
pub mod template;
