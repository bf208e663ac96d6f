//! Text the operator reads: the plan as the dry run shows it, and the same lines during a run.
//!
//! The dry run and the real run both print through these functions, so the step headers and
//! `$ command` lines an operator approved are the ones echoed before each command runs.

use std::fmt::Write;

use console::style;

use crate::plan::problem::Problem;
use crate::plan::{Check, Command, Plan, Stdin, Step, StepKind, VaultState};
use crate::view::plan_text::amount;

/// The plan, the steps numbered in `done` shown as done: their commands and checks are behind.
pub(crate) fn resumed_plan(plan: &Plan, done: &[usize]) -> String {
    let mut out = summary(plan);
    if !plan.prepare.is_empty() {
        let _ = writeln!(out, "\nBefore step 1, once you agreed {}", not_in_runbook());
        for command in &plan.prepare {
            let _ = writeln!(out, "{}", command_line(command));
            let why = if command.is_sudo_password() {
                "sudo asks for your password once, here, not in the middle of step 1".to_owned()
            } else if command.is_unit_pull() {
                "the unit's start pulls every image of the manager (ExecStartPre) and fails where one cannot \
                 be pulled; pulled here, while the manager still runs, the download is out of the downtime, \
                 and a registry that cannot be reached stops the reset here with nothing changed; what the \
                 registry holds under each tag is asked now, through the engine (below), and after the pull the \
                 run says again which service starts on a newer image (the dry run pulls nothing)"
                    .to_owned()
            } else {
                format!(
                    "the image {} is not on this host; if it cannot be pulled, the reset stops here with nothing \
                     changed",
                    plan.image
                )
            };
            let _ = writeln!(out, "    why: {why}");
            if command.is_unit_pull() {
                out.push_str(&crate::view::plan_text::unit::forecast(plan));
            }
        }
    }
    for step in &plan.steps {
        if done.contains(&step.number) {
            let header = format!("Step {}/{}: {}", step.number, plan.steps.len(), step.title);
            let _ = writeln!(out, "\n{}  {}", style(header).dim(), style("[DONE]").green().bold());
            continue;
        }
        let _ = writeln!(out, "\n{}", step_header(step, plan.steps.len()));
        for check in &step.before {
            let _ = writeln!(out, "  before: {}", check_line(*check, plan));
        }
        for command in &step.commands {
            let _ = writeln!(out, "{}", command_line(command));
        }
        match step.kind {
            StepKind::RemoveProject => out.push_str(&crate::view::plan_text::volumes::deleted(plan)),
            StepKind::RefreshKollaFacts => out.push_str(
                "    why: `down -v` emptied the fact cache, and `osism apply facts` fills only osism-ansible's \
                 generation of it; kolla-ansible reads its own and never gathers facts itself: `osism sync facts` \
                 gathers both\n",
            ),
            StepKind::SetVaultPassword => {
                out.push_str(
                    "    why: every Ansible run of osism needs the vault password, which Redis held and `down -v` \
                     deleted; no environments/.vault_pass serves it\n",
                );
                if step.commands.iter().any(|c| c.stdin == Stdin::Terminal) {
                    out.push_str(
                        "    osism asks for it at this terminal: run the reset in tmux or screen, which a lost \
                         connection does not end (without the terminal the run stops before this step)\n",
                    );
                }
            }
            _ => {}
        }
        for check in &step.after {
            let _ = writeln!(out, "  after:  {}", check_line(*check, plan));
        }
    }
    out.push_str(&guide(plan));
    out
}

/// What to do when things go wrong, with or without the tool, and the plan in one line: read at
/// 3 am, it is all the operator has.
fn guide(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nIf a step fails, its message says what to do; the reset goes on with `{}`.",
        plan.resume_command()
    );
    if let Some(step) = plan.step(StepKind::RestoreShare)
        && let Some(restore) = step.commands.first()
    {
        let kept = plan.step(StepKind::RestoreKeptVolumes).map_or_else(String::new, |kept| {
            format!(
                "; before the service starts, restore each kept volume with step {}'s commands, once `sha256sum \
                 -c` has checked its archive's checksum beside it",
                kept.number
            )
        });
        let _ = writeln!(
            out,
            "Should this tool not run at all: check the archive with `{}`, and once Compose has created {} \
             (the service started), restore /share with step {}'s command: `{}`{kept}",
            crate::plan::check_command(plan.restored_file()),
            plan.share_volume,
            step.number,
            restore.display
        );
    }
    let _ = writeln!(out, "{}", style(one_line(plan)).bold());
    out
}

/// The plan in one line, as `terraform plan` ends: steps, what is deleted, the archive, downtime.
fn one_line(plan: &Plan) -> String {
    let extra = plan.steps.iter().filter(|s| !s.in_runbook).count();
    let commands: usize = plan.steps.iter().map(|s| s.commands.len()).sum();
    let deleted = plan.volumes.as_ref().map_or_else(
        || "every volume".to_owned(),
        |v| {
            let all = v.deleted().count();
            let lost = v.deleted().filter(|name| *name != plan.share_volume && !plan.keeps(name)).count();
            let kept =
                if plan.kept.is_empty() { String::new() } else { format!(", {} kept", plan.kept.len()) };
            format!("{all} volumes, {lost} of them for good{kept}")
        },
    );
    let share = plan.share.map_or_else(|| "/share".to_owned(), |s| format!("/share ({})", share_size(s)));
    let archived = match plan.step(StepKind::BackupShare) {
        Some(_) => format!("{share} goes to {}", plan.backup_file),
        None => "there is no /share to back up".to_owned(),
    };
    let restored =
        plan.restore.as_ref().map_or_else(String::new, |r| format!(", and comes back from {}", r.path));
    let healthy = plan.step(StepKind::CheckHealth).map_or(0, |s| s.number);
    format!(
        "Plan: {}{} steps{}, {commands} commands; `down -v` deletes {deleted}; {archived}{restored}; the manager is \
         down from step 1 until step {healthy} finds it healthy (a fresh manager takes about a minute; its start \
         may take up to {} s)",
        first(plan),
        plan.steps.len(),
        if extra > 0 { format!(" ({extra} not in the runbook)") } else { String::new() },
        plan.health_timeout_s
    )
}

/// What runs before step 1 that takes time, as the plan's one line begins.
fn first(plan: &Plan) -> String {
    let pulls: Vec<String> = plan
        .prepare
        .iter()
        .filter(|c| !c.is_sudo_password())
        .map(|c| if c.is_unit_pull() { "the manager's images".to_owned() } else { plan.image.clone() })
        .collect();
    if pulls.is_empty() { String::new() } else { format!("pull {} first, then ", pulls.join(" and ")) }
}

fn share_size(share: crate::plan::ShareSize) -> String {
    format!("{} entries, {}", share.entries, amount::size(share.kib))
}

/// The mark of what the tool does that the runbook does not.
pub(crate) fn not_in_runbook() -> String {
    style("[NOT IN THE RUNBOOK]").yellow().to_string()
}

/// What a check makes sure of, as the operator approves it.
pub(crate) fn check_line(check: Check, plan: &Plan) -> String {
    let archive = &plan.backup_file;
    match check {
        Check::ProjectStopped => "no container of the compose project may still run".into(),
        Check::ArchivePrivate => {
            format!(
                "{archive} is made a pipe, mode 0600, for tar to write into and this tool to write the file from"
            )
        }
        Check::ArchiveMatchesShare => format!(
            "the archive is read back whole on its way from tar to the file and compared with /share entry \
             by entry; the file is synced to disk; its sha256 goes to {}",
            crate::plan::checksum_path(archive)
        ),
        Check::ArchiveUnchanged => "the archive still matches its recorded sha256".into(),
        Check::ImageUnchanged => match &plan.image_id {
            Some(id) => {
                format!("{} still names the image {}", plan.image, crate::view::plan_text::unit::short_id(id))
            }
            None => format!("{} still names the image pulled before step 1", plan.image),
        },
        Check::PasswordFileTrusted => {
            "the password file is still yours, root's or the operator's, private, on a path no one else can \
             replace it through"
                .into()
        }
        Check::RestoreSourceUnchanged => {
            format!("the archive to restore, {}, still has the sha256 approved", plan.restored_file())
        }
        Check::ShareStillMatchesArchive => {
            "/share, while it exists, still holds what the archive holds (compared again, entry by \
             entry, when this run did not make the archive: a resumed one)"
                .into()
        }
        Check::VolumesGone => "none of the volumes `down -v` was to delete is left".into(),
        Check::KeptArchivesPrivate => format!(
            "each kept volume's archive ({}) is made a pipe, mode 0600, as /share's is",
            kept_archives(plan)
        ),
        Check::KeptArchivesMatchVolumes => {
            "each archive is read back whole on its way from tar to the file and \
             compared with its volume entry by entry; the file is synced to disk; its sha256 goes beside it"
                .into()
        }
        Check::KeptArchivesUnchanged => "each kept volume's archive still matches its recorded sha256".into(),
        Check::KeptVolumesStillMatchArchives => {
            "each kept volume, while it exists, still holds what its archive \
             holds (compared again when this run did not make the archive)"
                .into()
        }
        Check::KeptVolumesMatchArchives => {
            "each kept volume, created with the labels Compose gave it, holds \
             exactly what its archive holds, compared entry by entry both ways"
                .into()
        }
        Check::ShareVolumeCreated { timeout_s } => format!(
            "wait up to {timeout_s}s until Compose has created {} for the project (the unit's start \
             returns before); a failed unit ends the wait",
            plan.share_volume
        ),
        Check::ShareMatchesArchive => match &plan.restore {
            None => "every archived entry is in /share as archived, compared with what the read-back after \
                     step 2 recorded of each (the running manager's own writes are listed)"
                .into(),
            Some(restore) => format!(
                "every entry of {} is in /share as archived (the running manager's own writes are listed)",
                restore.path.file_name().unwrap_or_default()
            ),
        },
        Check::Healthy { timeout_s } => {
            format!(
                "wait up to {timeout_s}s until every container runs and is healthy; a failed unit ends the wait"
            )
        }
        Check::VaultPasses => "`osism vault check --format script` prints PASSED".into(),
    }
}

/// The kept volumes' archives, by name.
fn kept_archives(plan: &Plan) -> String {
    let names: Vec<String> =
        plan.kept.iter().map(|k| plan.kept_archive(k).file_name().unwrap_or_default().to_owned()).collect();
    names.join(", ")
}

/// The facts an operator checks before approving: what, where, which unit, which archive.
pub(crate) fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    let title = format!("Reset plan for the OSISM manager {:?} in {}", plan.project, plan.project_directory);
    let _ = writeln!(out, "{}", style(title).bold());
    let _ = writeln!(out, "  service unit: {} ({})", plan.service.unit, plan.service.reason);
    if let Some(start) = &plan.service.start {
        let _ = writeln!(out, "  its start:    {}", crate::view::plan_text::unit::start(start));
    }
    let held = match plan.share {
        Some(s) => format!(", holding {}", share_size(s)),
        None if !plan.pulls_image() => String::new(),
        None => format!(", not measured (the image {} is not here yet)", plan.image),
    };
    let _ = writeln!(out, "  share volume: {}{held}", plan.share_volume);
    let free = plan.free_kib.map_or_else(String::new, |kib| format!(" ({} free there)", amount::size(kib)));
    let backup = match plan.step(StepKind::BackupShare) {
        Some(_) => format!("{}{free}", plan.backup_file),
        None => "none: there is no share volume to back up (the runbook's step 2 is left out)".to_owned(),
    };
    let _ = writeln!(out, "  backup file:  {backup}");
    for kept in &plan.kept {
        let _ = writeln!(out, "  kept volume:  {} to {}", kept.name, plan.kept_archive(kept));
    }
    out.push_str(&crate::view::plan_text::rescue::summary(plan));
    let _ = writeln!(out, "  journal, log: {}, {}", plan.journal_path(), plan.log_path());
    if let Some(suffix) = &plan.earlier_reset {
        let _ = writeln!(
            out,
            "                today's earlier reset left its journal, records and log there: each is kept aside \
             with {suffix} added to its name, never overwritten"
        );
    }
    let served = if plan.vault.vault_pass {
        "; environments/.vault_pass serves osism's runs, no step needed"
    } else {
        ""
    };
    let _ =
        writeln!(out, "  vault password: {} ({}){served}", vault_state(plan.vault.state), plan.vault.detail);
    for warning in &plan.warnings {
        let _ = writeln!(out, "  {}", style(format!("WARNING: {warning}")).yellow());
    }
    out
}

fn vault_state(state: VaultState) -> &'static str {
    match state {
        VaultState::Set => "set",
        VaultState::NotSet => "not set",
        VaultState::NoKeyFile => "no key file",
        VaultState::InvalidKeyFile => "invalid key file",
        VaultState::Broken => "set, but not working",
        VaultState::Unknown => "unknown",
    }
}

/// What would refuse the run, `what` being "A real run" or "A resume": shown before the plan.
pub(crate) fn refusal(what: &str, problems: &[Problem]) -> String {
    let heading = format!("{what} would refuse to start, for {}:", counted(problems.len()));
    format!("{}\n{}", style(heading).red().bold(), self::problems(problems).trim_end())
}

/// The refusal in one line, after the plan.
pub(crate) fn refusal_line(what: &str, count: usize) -> String {
    style(format!("{what} would refuse to start: {}, listed above the plan.", counted(count)))
        .red()
        .bold()
        .to_string()
}

fn counted(count: usize) -> String {
    if count == 1 { "1 problem".to_owned() } else { format!("{count} problems") }
}

/// The problems, one a line.
pub(crate) fn problems(problems: &[Problem]) -> String {
    let mut out = String::new();
    for problem in problems {
        let _ = writeln!(out, "  - {problem}");
    }
    out
}

pub(crate) fn step_header(step: &Step, total: usize) -> String {
    let mut header = style(format!("Step {}/{}: {}", step.number, total, step.title)).bold().to_string();
    if step.destructive {
        let _ = write!(header, "  {}", style("[DESTROYS DATA]").red().bold());
    }
    if !step.in_runbook {
        let _ = write!(header, "  {}", style("[NOT IN THE RUNBOOK]").yellow().bold());
    }
    header
}

/// `  $ command`, broken for the terminal's width.
pub(crate) fn command_line(command: &Command) -> String {
    let line =
        crate::view::plan_text::wrap::command_line("  $ ", command, crate::view::plan_text::wrap::width());
    match command.stdin {
        Stdin::Terminal => format!("{line}    (it asks at your terminal; the tool never sees what you type)"),
        Stdin::Null | Stdin::File(_) => line,
    }
}
