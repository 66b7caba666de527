//! Starting, stopping, installing from other threads, shutdown, bad input.

mod common;

use common::{ms, Recorder};
use loopmon_core::{Error, Sample, SleepMonitor};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn bad_intervals_are_errors_that_say_what_to_pass() {
    let err = |d| SleepMonitor::builder().interval(d).build().unwrap_err();
    assert_eq!(err(Duration::ZERO), Error::ZeroInterval);
    assert_eq!(
        err(Duration::from_micros(10)),
        Error::IntervalTooShort(Duration::from_micros(10))
    );
    assert!(matches!(
        err(Duration::from_secs(u64::MAX)),
        Error::IntervalTooLong(_)
    ));
    assert!(err(Duration::ZERO)
        .to_string()
        .contains("Duration::from_millis"));
}

#[test]
#[should_panic(expected = "must be called from the context of a Tokio 1.x runtime")]
fn start_outside_a_runtime_panics_like_tokio() {
    let _ = SleepMonitor::builder().build().unwrap().start();
}

#[test]
#[should_panic(expected = "interval must not be zero")]
fn create_with_a_zero_interval_panics_with_the_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        loopmon_core::create(Duration::ZERO, |_s: &Sample| {});
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_runs_after_stop_returns() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(1)).start();
    tokio::time::sleep(ms(30)).await;
    assert!(h.is_running());
    h.stop();
    let (ticks, seen) = (h.ticks(), rec.len());
    assert!(!h.is_running());
    tokio::time::sleep(ms(30)).await;
    assert_eq!(h.ticks(), ticks);
    assert_eq!(rec.len(), seen);
    h.stop(); // idempotent
}

#[tokio::test(flavor = "current_thread")]
async fn stop_from_inside_a_callback_does_not_deadlock() {
    let slot: Arc<Mutex<Option<loopmon_core::MonitorHandle>>> = Arc::default();
    let inner = slot.clone();
    let h = SleepMonitor::builder()
        .interval(ms(5))
        .callback(move |s: &Sample| {
            if s.tick == 2 {
                inner.lock().unwrap().as_ref().unwrap().stop();
            }
        })
        .build()
        .unwrap()
        .start();
    *slot.lock().unwrap() = Some(h.clone());
    tokio::time::sleep(ms(60)).await;
    assert!(!h.is_running());
    assert_eq!(h.ticks(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn a_guard_stops_on_drop_and_a_handle_does_not() {
    let plain = SleepMonitor::builder()
        .interval(ms(5))
        .build()
        .unwrap()
        .start();
    let observer = plain.clone();
    drop(plain);
    let guard = SleepMonitor::builder()
        .interval(ms(5))
        .build()
        .unwrap()
        .start()
        .guard();
    let guarded = (*guard).clone();
    tokio::time::sleep(ms(30)).await;
    drop(guard);
    tokio::time::sleep(ms(20)).await;
    assert!(observer.is_running(), "dropping a handle must not stop");
    assert!(!guarded.is_running());
    observer.stop();
}

#[test]
fn install_onto_an_idle_runtime_on_another_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The other thread's runtime is parked, waiting for a message that comes at the end.
    let other = std::thread::spawn(move || {
        rt.block_on(async {
            rx.await.ok();
        })
    });
    std::thread::sleep(ms(20));
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).install(&handle);
    std::thread::sleep(ms(150));
    h.stop();
    tx.send(()).unwrap();
    other.join().unwrap();
    assert!(rec.len() >= 8, "only {} samples", rec.len());
    assert!(rec.max_lag() < ms(50));
}

#[test]
fn runtime_shutdown_ends_the_monitor_quietly() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = SleepMonitor::builder()
        .interval(ms(5))
        .callback(|_s: Sample| async { tokio::time::sleep(ms(100)).await })
        .build()
        .unwrap()
        .install(rt.handle());
    std::thread::sleep(ms(30));
    assert!(h.is_running());
    drop(rt);
    assert!(!h.is_running());
    h.stop();
}

#[test]
fn installing_on_a_shut_down_runtime_is_quiet() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let h = SleepMonitor::builder().build().unwrap().install(&handle);
    assert!(!h.is_running());
}

/// A synchronous callback waits for a lock the stopping thread holds: `stop_background`
/// returns at once (where `stop` would wait for the callback), and nothing runs after it but
/// the callback already in progress.
#[test]
fn stop_background_does_not_wait_for_a_callback_in_progress() {
    use std::sync::mpsc;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lock = Arc::new(Mutex::new(()));
    let (entered, in_callback) = mpsc::channel();
    let calls = Arc::new(Mutex::new(0u32));
    let (l, c) = (lock.clone(), calls.clone());
    let held = lock.lock().unwrap();
    let monitor = loopmon_core::SleepMonitor::builder()
        .interval(Duration::from_millis(10))
        .stall_watchdog(false)
        .callback(move |_: &loopmon_core::Sample| {
            let _ = entered.send(());
            drop(l.lock().unwrap());
            *c.lock().unwrap() += 1;
        })
        .build()
        .unwrap()
        .install(rt.handle());
    in_callback.recv_timeout(Duration::from_secs(5)).unwrap();
    let (done, stopped) = mpsc::channel();
    let stopper = monitor.clone();
    std::thread::spawn(move || {
        stopper.stop_background();
        done.send(()).unwrap();
    });
    stopped
        .recv_timeout(Duration::from_secs(2))
        .expect("stop_background waited for the callback");
    assert!(!monitor.is_running());
    drop(held);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        *calls.lock().unwrap(),
        1,
        "only the callback in progress ran"
    );
}

/// At the default interval the probe waits on loopmon's clock thread, not on tokio's timer:
/// a runtime without one (no `enable_time`) is monitored all the same.
#[test]
fn the_default_interval_needs_no_tokio_timer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let monitor = SleepMonitor::builder()
        .build()
        .unwrap()
        .install(rt.handle());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(350));
        let _ = tx.send(());
    });
    rt.block_on(async {
        while rx.try_recv().is_err() {
            tokio::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    assert!(
        monitor.ticks() >= 2,
        "{} ticks in 350 ms at 100 ms",
        monitor.ticks()
    );
    monitor.stop();
}

/// Below 10 ms the probe sleeps on tokio's timer, which the runtime must have.
#[test]
fn install_on_a_runtime_without_a_timer_panics_at_the_caller_s_line() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(5))
        .build()
        .unwrap();
    let location = Arc::new(Mutex::new(None));
    let seen = location.clone();
    // The location the panic hook is given, for panics on this thread only (tests run in
    // parallel).
    let this_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let (Some(l), true) = (info.location(), std::thread::current().id() == this_thread) {
            *seen.lock().unwrap() = Some((l.file().to_string(), l.line()));
        }
    }));
    let expected_line = line!() + 1;
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| monitor.install(rt.handle())));
    std::panic::set_hook(previous);
    let payload = caught.expect_err("a runtime without a timer was accepted");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(message.contains("timers are disabled"), "{message}");
    let (file, line) = location.lock().unwrap().clone().expect("no location");
    assert!(
        file.ends_with("tests/control.rs"),
        "panicked at {file}:{line}"
    );
    assert_eq!(line, expected_line);
}

/// `stop_background` ends the async callbacks' tasks too, as `stop` does.
#[test]
fn stop_background_ends_the_async_callbacks_tasks() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(10))
        .stall_watchdog(false)
        .callback(|_s: Sample| async {})
        .build()
        .unwrap()
        .install(rt.handle());
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        rt.metrics().num_alive_tasks() >= 2,
        "the probe and the callback's task"
    );
    monitor.stop_background();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while rt.metrics().num_alive_tasks() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "loopmon's tasks still alive"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
