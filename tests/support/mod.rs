//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod history;
pub mod railway_mock;
pub mod run;
pub mod sarif;

use std::path::Path;

/// Copy a fixture tree, so a test can add to it without touching the source tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("target dir");
    for entry in std::fs::read_dir(from).expect("fixture reads").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("file copies");
        }
    }
}

/// Write `text` at `relative` under `dir`, creating the folders on the way.
pub fn write_file(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("a relative path has a parent")).expect("dirs");
    std::fs::write(path, text).expect("file writes");
}
