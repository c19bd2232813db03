//! What the runner and its sandbox worker process say to each other.
//!
//! One JSON value per line each way (serde_json escapes newlines inside strings, so a
//! compact value never spans lines): the runner writes a [`Request`], the worker answers
//! one [`Response`], in order. Plain text lines keep the worker trivial to drive by hand
//! (`echo '{"program":".a","input":{"a":1}}' | baton __jq-worker`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use super::JqError;

/// One evaluation: a program and its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Request {
    /// The jq program.
    pub program: String,
    /// Its input.
    pub input: Value,
}

/// The worker's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Response {
    /// Every output of the program, in order.
    Outputs(Vec<Value>),
    /// The program did not compile or raised an error.
    Failed(JqError),
    /// jaq panicked (a bug in jaq); the message of the panic.
    Panicked(String),
}

/// The request as one line of JSON, newline included.
pub(crate) fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(message)?;
    line.push(b'\n');
    Ok(line)
}

/// Why no answer line could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The stream ended (or failed) first: on a pipe, the worker exited or was killed.
    Closed,
    /// The line is longer than the limit.
    TooLong,
}

/// Reads one line (without its newline), refusing lines longer than `limit` bytes: a
/// huge answer is never buffered beyond the limit.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut *reader)
        .take(cap)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|_| ReadError::Closed)?;
    if line.last() == Some(&b'\n') {
        line.pop();
        Ok(line)
    } else if line.len() > limit {
        Err(ReadError::TooLong)
    } else {
        Err(ReadError::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_are_single_lines() {
        let req = Request {
            program: "\"a\nb\" | .".into(),
            input: json!({"text": "line 1\nline 2"}),
        };
        let line = encode(&req).expect("encode");
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let back: Request = serde_json::from_slice(&line).expect("decode");
        assert_eq!(back, req);
        for resp in [
            Response::Outputs(vec![json!(1), json!("x")]),
            Response::Failed(JqError::TooManyOutputs),
            Response::Failed(JqError::Compile("undefined".into())),
            Response::Panicked("boom".into()),
        ] {
            let line = encode(&resp).expect("encode");
            let back: Response = serde_json::from_slice(&line).expect("decode");
            assert_eq!(back, resp);
        }
    }

    #[tokio::test]
    async fn lines_are_bounded() {
        let mut ok: &[u8] = b"12345\nrest";
        assert_eq!(read_line(&mut ok, 5).await.ok(), Some(b"12345".to_vec()));
        let mut long: &[u8] = b"123456\n";
        assert!(matches!(
            read_line(&mut long, 5).await,
            Err(ReadError::TooLong)
        ));
        let mut cut: &[u8] = b"123";
        assert!(matches!(
            read_line(&mut cut, 5).await,
            Err(ReadError::Closed)
        ));
    }
}
