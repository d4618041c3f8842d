//! A spinner on stderr for lookups that take more than a moment. Used only when stderr is
//! a terminal and the output is for humans; it erases itself when done.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use drift_lint::age::Progress;

/// Quick lookups never show a spinner.
const DELAY: Duration = Duration::from_millis(300);
const FRAMES: &[char] = &['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

#[derive(Default)]
pub struct Spinner {
    state: Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>>,
    /// What the spinner says; each update replaces it.
    text: Arc<Mutex<String>>,
}

impl Progress for Spinner {
    fn update(&self, _done: usize, _total: usize, what: &str) {
        *self.text.lock().unwrap_or_else(|e| e.into_inner()) = what.to_string();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.is_some() {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let text = self.text.clone();
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while started.elapsed() < DELAY {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut frame = 0;
            let mut shown = false;
            while !flag.load(Ordering::Relaxed) {
                let text = text.lock().unwrap_or_else(|e| e.into_inner()).clone();
                eprint!("\r\x1b[2K{} {text}", FRAMES[frame % FRAMES.len()]);
                let _ = std::io::stderr().flush();
                shown = true;
                frame += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            if shown {
                eprint!("\r\x1b[2K");
                let _ = std::io::stderr().flush();
            }
        });
        *state = Some((stop, handle));
    }

    fn finish(&self) {
        let taken = self.state.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
