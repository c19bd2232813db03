//! Durations such as `500ms`, `30s`, `5m`, `1h`, `2d`, `PT5M` (helper-owned).
