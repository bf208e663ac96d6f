//! The suite's loopback image registry (`registry.sh`, started by `setup.sh`): the registry the
//! fixture manager's images come from.

/// The fixture manager's image, as its services name it (`fixture/compose.yaml`).
pub const IMAGE: &str = "127.0.0.1:5000/library/busybox:latest";
