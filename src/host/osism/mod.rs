//! What osism says: `vault`, the Ansible vault password every worker run needs (a blank one
//! refused, `osism vault check`); `task_output`, why a task command (`osism reconciler sync`,
//! `osism apply facts`) failed, read from what it printed.
//!
//! Uses nothing of the host; the questions themselves are asked through `docker::inspect`.

pub(crate) mod task_output;
pub(crate) mod vault;
