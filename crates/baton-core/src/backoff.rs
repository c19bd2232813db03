//! Retry delays: Conductor's formulas plus a deterministic jitter derived from the task id.

use baton_model::{RetryLogic, TaskDef};

/// Delay before retrying an attempt that was attempt number `attempt` (0 = first try).
///
/// FIXED: `delay`; EXPONENTIAL_BACKOFF: `delay × 2^attempt`; LINEAR_BACKOFF:
/// `delay × scale × (attempt + 1)` (Conductor's formulas). The growing policies add a
/// jitter of up to 10 % derived from `task_id`, so that many tasks failing together do
/// not all retry in the same instant, while replay stays exact. The result is capped by
/// `max_retry_delay_ms`.
pub fn retry_delay_ms(def: &TaskDef, attempt: u32, task_id: &str) -> u64 {
    let base = def.retry_delay_ms;
    let delay = match def.retry_logic {
        RetryLogic::Fixed => base,
        RetryLogic::ExponentialBackoff => {
            base.saturating_mul(1u64.checked_shl(attempt.min(62)).unwrap_or(u64::MAX))
        }
        RetryLogic::LinearBackoff => base
            .saturating_mul(u64::from(def.backoff_scale_factor.max(1)))
            .saturating_mul(u64::from(attempt) + 1),
    };
    let jitter = match def.retry_logic {
        RetryLogic::Fixed => 0,
        _ => fnv1a(task_id) % (delay / 10 + 1),
    };
    let delay = delay.saturating_add(jitter);
    match def.max_retry_delay_ms {
        Some(max) => delay.min(max),
        None => delay,
    }
}

/// FNV-1a: a tiny stable hash (std's hasher is not guaranteed stable across releases).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(logic: RetryLogic, delay: u64, scale: u32) -> TaskDef {
        TaskDef {
            retry_logic: logic,
            retry_delay_ms: delay,
            backoff_scale_factor: scale,
            ..TaskDef::conductor_default("t")
        }
    }

    #[test]
    fn formulas_match_conductor_within_jitter() {
        let cases = [
            (RetryLogic::Fixed, 1000, 1, 0, 1000),
            (RetryLogic::Fixed, 1000, 1, 5, 1000),
            (RetryLogic::ExponentialBackoff, 1000, 1, 0, 1000),
            (RetryLogic::ExponentialBackoff, 1000, 1, 3, 8000),
            (RetryLogic::LinearBackoff, 1000, 2, 0, 2000),
            (RetryLogic::LinearBackoff, 1000, 2, 2, 6000),
        ];
        for (logic, delay, scale, attempt, want) in cases {
            let got = retry_delay_ms(&def(logic, delay, scale), attempt, "wf-t1");
            assert!(
                got >= want && got <= want + want / 10,
                "{logic:?} attempt {attempt}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn jitter_is_deterministic_and_capped() {
        let d = def(RetryLogic::ExponentialBackoff, 1000, 1);
        assert_eq!(retry_delay_ms(&d, 4, "a-t3"), retry_delay_ms(&d, 4, "a-t3"));
        let capped = TaskDef {
            max_retry_delay_ms: Some(5000),
            ..d
        };
        assert_eq!(retry_delay_ms(&capped, 10, "a-t3"), 5000);
        assert_eq!(
            retry_delay_ms(&capped, 200, "x"),
            5000,
            "huge attempts saturate, never overflow"
        );
    }
}
