//! [`Wakeup`]: wakes the one task waiting on it, from any thread; a wake-up that finds no task
//! waiting is kept for the next wait.
//!
//! This is what `tokio::sync::Notify::notify_one` does for a single waiter, which is all loopmon
//! needs (a callback's worker task). It is written here so that
//! loopmon-core does not enable tokio's `sync` feature: that feature adds about half a second to
//! tokio's own compilation, on the critical path of a user's clean build.

use std::fmt;
use std::future::poll_fn;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Wakes one waiting task; see the module docs.
#[derive(Default)]
pub(crate) struct Wakeup {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A wake-up came while no wait was ready to take it: the next wait returns at once.
    permit: bool,
    /// The task of the wait in progress.
    waker: Option<Waker>,
}

impl Wakeup {
    /// Ends the wait in progress, or the next one if none is. Wake-ups that come before a wait
    /// takes them count as one. Allocates nothing.
    pub(crate) fn wake(&self) {
        let waker = {
            let mut state = self.lock();
            state.permit = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Resolves once [`wake`](Self::wake) has been called since the last wait ended. For one
    /// task at a time: a second task waiting meanwhile takes the first one's place.
    pub(crate) async fn wait(&self) {
        poll_fn(|cx| self.poll_wait(cx)).await;
    }

    fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.permit {
            state.permit = false;
            return Poll::Ready(());
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Wakeup")
            .field("permit", &state.permit)
            .field("waiting", &state.waker.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn a_wake_before_the_wait_is_kept_once() {
        let wakeup = Wakeup::default();
        let (_, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        wakeup.wake();
        wakeup.wake();
        assert!(pin!(wakeup.wait()).poll(&mut cx).is_ready());
        assert!(pin!(wakeup.wait()).poll(&mut cx).is_pending());
    }

    #[test]
    fn a_wake_during_the_wait_wakes_its_task_once() {
        let wakeup = Wakeup::default();
        let (count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(wakeup.wait());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        wakeup.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(wait.as_mut().poll(&mut cx).is_ready());
        // The task was woken once; a later wake-up is a permit, not a second wake of it.
        wakeup.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(format!("{wakeup:?}").contains("permit: true"));
    }

    #[test]
    fn the_latest_task_to_wait_is_the_one_woken() {
        let wakeup = Wakeup::default();
        let ((first, a), (second, b)) = (counting(), counting());
        let mut wait = pin!(wakeup.wait());
        assert!(wait
            .as_mut()
            .poll(&mut Context::from_waker(&a))
            .is_pending());
        assert!(wait
            .as_mut()
            .poll(&mut Context::from_waker(&b))
            .is_pending());
        wakeup.wake();
        assert_eq!(
            (
                first.0.load(Ordering::SeqCst),
                second.0.load(Ordering::SeqCst)
            ),
            (0, 1)
        );
    }

    #[test]
    fn wakes_a_task_from_another_thread() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let wakeup = Arc::new(Wakeup::default());
        let theirs = wakeup.clone();
        rt.block_on(async {
            for _ in 0..100 {
                let t = std::thread::spawn({
                    let theirs = theirs.clone();
                    move || theirs.wake()
                });
                wakeup.wait().await;
                t.join().unwrap();
            }
        });
    }
}
