//! Helpers shared by the facade's integration tests.
#![allow(dead_code, unreachable_pub)]

use loopmon::{Stall, StallKind};
use std::sync::Mutex;
use std::time::Duration;

/// The first `Started` report in `log`, waiting up to 5 s for it (without blocking the
/// runtime: that would be a stall of its own).
pub async fn started(log: &Mutex<Vec<Stall>>) -> Stall {
    for _ in 0..500 {
        let found = log
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.kind == StallKind::Started)
            .cloned();
        if let Some(stall) = found {
            return stall;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no stall reported: {:?}", log.lock().unwrap());
}
