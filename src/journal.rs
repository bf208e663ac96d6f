//! The journal beside the archive: the plan, each step's state and the archive's checksum.
//!
//! It is rewritten atomically before and after every step, so after a crash it names the step
//! that was running; `--resume` starts there, with the stored plan and its date.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::plan::Plan;
use crate::transcript::now;
use crate::verify::Archive;

const PREFIX: &str = "manager-reset-";
const SUFFIX: &str = ".journal.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Pending,
    Running,
    Done,
    Failed,
    /// Stopped by a signal; `error` names it.
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub number: usize,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub plan: Plan,
    pub steps: Vec<StepRecord>,
    /// The archive as verified after step 2; `down -v` never runs without it.
    #[serde(default)]
    pub archive: Option<Archive>,
    pub finished: bool,
    #[serde(skip)]
    path: Utf8PathBuf,
}

impl Journal {
    pub fn path_for(plan: &Plan) -> Utf8PathBuf {
        plan.backup_dir.join(format!("{PREFIX}{}{SUFFIX}", plan.date))
    }

    pub fn create(plan: &Plan) -> Result<Journal> {
        let steps = plan
            .steps
            .iter()
            .map(|s| StepRecord {
                number: s.number,
                state: State::Pending,
                started_at: None,
                finished_at: None,
                error: None,
            })
            .collect();
        let journal = Journal {
            plan: plan.clone(),
            steps,
            archive: None,
            finished: false,
            path: Journal::path_for(plan),
        };
        journal.save()?;
        Ok(journal)
    }

    pub fn load(path: &Utf8Path) -> Result<Journal> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the journal {path}"))?;
        let mut journal: Journal =
            serde_json::from_str(&text).with_context(|| format!("the journal {path} is damaged"))?;
        journal.path = path.to_owned();
        Ok(journal)
    }

    /// Unfinished journals in `dir`, oldest date first.
    pub fn unfinished_in(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>> {
        let mut found = Vec::new();
        for entry in dir.read_dir_utf8().with_context(|| format!("cannot list {dir}"))? {
            let entry = entry?;
            let name = entry.file_name();
            if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
                let journal = Journal::load(entry.path())?;
                if !journal.finished {
                    found.push(entry.into_path());
                }
            }
        }
        found.sort();
        Ok(found)
    }

    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Index of the first step not done: where a resumed run starts.
    pub fn first_unfinished(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.state != State::Done)
    }

    pub fn started(&mut self, index: usize) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Running;
        step.started_at = Some(now());
        step.finished_at = None;
        step.error = None;
        self.save()
    }

    pub fn done(&mut self, index: usize) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Done;
        step.finished_at = Some(now());
        self.finished = self.steps.iter().all(|s| s.state == State::Done);
        self.save()
    }

    pub fn failed(&mut self, index: usize, error: &str) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Failed;
        step.finished_at = Some(now());
        step.error = Some(error.to_owned());
        self.save()
    }

    pub fn interrupted(&mut self, index: usize, signal: &str) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Interrupted;
        step.finished_at = Some(now());
        step.error = Some(format!("interrupted at step {} by {signal}", step.number));
        self.save()
    }

    pub fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(self).context("cannot encode the journal")?;
        atomic::write(&self.path, text.as_bytes()).context("cannot write the journal")
    }
}
