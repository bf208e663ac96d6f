//! A plan saved for a later run (`--save-plan FILE`, then `--plan FILE`), as a pipeline saves the
//! plan a person reviewed and applies it after approval: the document, and what differs between
//! the saved plan and the one made again before the run.
//!
//! Only what decides what runs is compared: the date (and so the archive), the archive restored
//! and its sha256, the unit, the share
//! volume, the image, the directories, the volumes `down -v` deletes and keeps, Vault's storage,
//! the vault password's source and state, and every step's commands, their input and checks.
//! What is only measured (the size of /share, the free space, osism's wording) may move.

use serde::{Deserialize, Serialize};

use crate::plan::{Command, Inputs, Plan, Step};

/// The document's own format; another is refused.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub format: u32,
    /// The tool that saved it: another tool may plan otherwise, so it is refused.
    pub tool_version: String,
    /// What the plan was made from: the options, and the facts of that moment.
    pub inputs: Inputs,
    pub plan: Plan,
}

impl SavedPlan {
    pub fn new(inputs: Inputs, plan: Plan) -> SavedPlan {
        SavedPlan { format: FORMAT, tool_version: env!("CARGO_PKG_VERSION").into(), inputs, plan }
    }
}

/// One thing the plan made now does otherwise than the saved one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanChange {
    pub what: String,
    pub recorded: String,
    pub now: String,
}

impl std::fmt::Display for PlanChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: saved {}, now {}", self.what, self.recorded, self.now)
    }
}

/// What the plan made now (`now`) does otherwise than the saved one, field by field.
pub fn differences(saved: &Plan, now: &Plan) -> Vec<PlanChange> {
    let mut found = Vec::new();
    let mut compare = |what: &str, recorded: String, now: String| {
        if recorded != now {
            found.push(PlanChange { what: what.into(), recorded, now });
        }
    };
    compare("date (the archive's name)", saved.date.clone(), now.date.clone());
    let restored = |plan: &Plan| {
        plan.restore
            .as_ref()
            .map_or_else(|| "today's".to_owned(), |r| format!("{} (sha256 {})", r.path, r.sha256))
    };
    compare("archive restored", restored(saved), restored(now));
    compare("archive", saved.backup_file.to_string(), now.backup_file.to_string());
    compare("project directory", saved.project_directory.to_string(), now.project_directory.to_string());
    compare("compose project", saved.project.clone(), now.project.clone());
    compare("service unit", saved.service.unit.clone(), now.service.unit.clone());
    compare("share volume", saved.share_volume.clone(), now.share_volume.clone());
    compare("image", saved.image.clone(), now.image.clone());
    let volumes = |plan: &Plan, pick: fn(&crate::plan::Volumes) -> Vec<String>| {
        plan.volumes.as_ref().map_or_else(|| "not known".to_owned(), |v| list(&pick(v)))
    };
    compare(
        "volumes `down -v` deletes",
        volumes(saved, |v| v.deleted().map(String::from).collect()),
        volumes(now, |v| v.deleted().map(String::from).collect()),
    );
    compare("volumes kept", volumes(saved, |v| v.kept.clone()), volumes(now, |v| v.kept.clone()));
    compare(
        "HashiCorp Vault's storage",
        volumes(saved, |v| v.vault.clone()),
        volumes(now, |v| v.vault.clone()),
    );
    compare("--delete-vault-data", saved.delete_vault_data.to_string(), now.delete_vault_data.to_string());
    let kept = |plan: &Plan| {
        let kept: Vec<String> = plan.kept.iter().map(|k| format!("{} {:?}", k.name, k.labels)).collect();
        list(&kept)
    };
    compare("volumes kept across the reset, with their labels", kept(saved), kept(now));
    let vault = |plan: &Plan| {
        let source = if plan.vault.vault_pass { ", environments/.vault_pass" } else { "" };
        let state = serde_json::to_value(plan.vault.state).ok();
        format!("{}{source}", state.as_ref().and_then(serde_json::Value::as_str).unwrap_or("?"))
    };
    compare("vault password", vault(saved), vault(now));
    compare("steps", saved.steps.len().to_string(), now.steps.len().to_string());
    for (recorded, current) in saved.steps.iter().zip(&now.steps) {
        if recorded != current {
            compare(&format!("step {}", recorded.number), step(recorded), step(current));
        }
    }
    found
}

/// A step as the comparison shows it: title, commands with their input, checks.
fn step(step: &Step) -> String {
    let commands: Vec<String> = step.commands.iter().map(command).collect();
    format!("{:?}: {}; before {:?}; after {:?}", step.title, commands.join(" && "), step.before, step.after)
}

fn command(command: &Command) -> String {
    let prompt = if command.stdin == crate::plan::Stdin::Terminal { " (osism's prompt)" } else { "" };
    format!("`{}`{prompt}", command.display)
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "none".into() } else { names.join(", ") }
}
