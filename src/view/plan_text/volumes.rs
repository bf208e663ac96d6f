//! What the plan says of the volumes `down -v` deletes: which are lost for good and which option
//! keeps each, which come back (/share from its archive, those `--keep-volume` keeps from
//! theirs), and what it leaves alone.

use std::fmt::Write;

use console::style;

use crate::plan::{Plan, StepKind, Volumes};

/// The volumes `down -v` deletes, with Vault's flagged (the runbook backs up only /share), and
/// the project's volumes it keeps.
pub(crate) fn deleted(plan: &Plan) -> String {
    let Some(volumes) = &plan.volumes else {
        return "    deletes every volume of the project (not listed: Compose could not name them; see the problems)\n"
            .into();
    };
    let mut out = String::new();
    let deleted: Vec<String> = volumes
        .named
        .iter()
        .cloned()
        .chain(volumes.anonymous.iter().map(|a| format!("{} (anonymous, of {})", a.volume, a.service)))
        .collect();
    if deleted.is_empty() {
        out.push_str("    deletes no volume (the project declares none)\n");
    } else {
        let _ = writeln!(out, "    deletes these volumes: {}", deleted.join(", "));
    }
    let lost = lost(plan, volumes);
    if !lost.is_empty() {
        let _ = writeln!(out, "    lost for good, as nothing backs them up: {}", lost.join(", "));
    }
    if volumes.named.contains(&plan.share_volume) {
        let step = plan.step(StepKind::RestoreShare).map_or(0, |s| s.number);
        let _ =
            writeln!(out, "    /share ({}) comes back from the archive in step {step}", plan.share_volume);
    }
    for kept in &plan.kept {
        let step = plan.step(StepKind::RestoreKeptVolumes).map_or(0, |s| s.number);
        let archive = plan.kept_archive(kept);
        let _ = writeln!(
            out,
            "    kept: {} ({}--keep-volume {}) comes back from {} in step {step}, before the manager starts",
            kept.name,
            known_as(&kept.name),
            kept.key,
            archive.file_name().unwrap_or_default()
        );
    }
    let unkept: Vec<&str> = volumes.vault.iter().filter(|v| !plan.keeps(v)).map(String::as_str).collect();
    if !unkept.is_empty() {
        let keys: Vec<&str> = unkept.iter().map(|v| volumes.key_of(v)).collect();
        let warning = format!(
            "    WARNING: this deletes HashiCorp Vault's storage ({}) for good: the runbook does not back it up \
             and OSISM does not initialise Vault again; --keep-volume {} keeps it{}",
            unkept.join(", "),
            keys.join(","),
            if plan.delete_vault_data { " (agreed with --delete-vault-data)" } else { "" }
        );
        let _ = writeln!(out, "{}", style(warning).red().bold());
    }
    if !volumes.kept.is_empty() {
        let _ = writeln!(
            out,
            "    keeps these volumes, labelled with the project but no longer declared: {}",
            volumes.kept.join(", ")
        );
    }
    if !volumes.bind_mounts.is_empty() {
        let _ = writeln!(
            out,
            "    leaves alone what the services bind-mount from the host: {}",
            volumes.bind_mounts.join(", ")
        );
    }
    out
}

/// What a volume of OSISM's manager holds, where its name tells, followed by a colon.
fn known_as(volume: &str) -> &'static str {
    if volume.ends_with("_mariadb") {
        "ARA's database: "
    } else if volume.ends_with("_vault_file") || volume.ends_with("_vault_logs") {
        "HashiCorp Vault's storage: "
    } else {
        ""
    }
}

/// The volumes `down -v` deletes that nothing brings back, each with what it holds and the
/// option that keeps it, where one does.
fn lost(plan: &Plan, volumes: &Volumes) -> Vec<String> {
    volumes
        .named
        .iter()
        .filter(|v| **v != plan.share_volume && !volumes.vault.contains(v) && !plan.keeps(v))
        .map(|v| format!("{v} ({}--keep-volume {} keeps it)", known_as(v), volumes.key_of(v)))
        .chain(volumes.anonymous.iter().map(|a| {
            let data = if a.service == "redis" {
                "Redis's data: the vault password, Celery's queued tasks and results, the task lock of `osism \
                 lock`, the fact cache"
                    .to_owned()
            } else {
                format!("{}'s data", a.service)
            };
            format!("{} ({data}; anonymous, no option keeps it)", a.volume)
        }))
        .collect()
}
