//! Amounts as the operator reads them: sizes in MiB or GiB.

/// An amount of KiB as the operator reads it: MiB, or GiB from one on.
pub(crate) fn size(kib: u64) -> String {
    if kib >= 1024 * 1024 {
        format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    }
}
