//! The journal beside the archive: the planner's inputs, the plan, each step's state and the
//! archive's checksum.
//!
//! It is rewritten atomically before and after every step, so after a crash it names the step
//! that was running; `--resume` starts there, with the stored plan and its date. A journal is
//! a file anyone with access to the backup directory can edit, so loading it is strict: unknown
//! fields, a step list that is not the plan's, or a plan that is not the one the pure planner
//! makes from the recorded inputs refuse it. `--resume` runs only what was planned and approved.

use anyhow::{Context, Result, bail, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::archive::verify::Archive;
use crate::host::files::atomic;
use crate::host::process::transcript::now;
use crate::plan::{self, Inputs, NewerImage, Plan};
use crate::view::summary::{Figures, Kept};

use crate::plan::{JOURNAL_PREFIX as PREFIX, JOURNAL_SUFFIX as SUFFIX};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum State {
    Pending,
    Running,
    Done,
    Failed,
    /// Stopped by a signal; `error` names it.
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepRecord {
    pub(crate) number: usize,
    pub(crate) state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// When the step's checks began, once it is done: its time counts from here, in the summary
    /// as in its `step_finished` event (step 6's wait for health is a check before its command,
    /// after `started_at`), and the downtime from step 1's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checked_at: Option<String>,
    /// How long it took, checks included: its `step_finished` event's `duration_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) duration_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Journal {
    /// What the plan was made from.
    pub(crate) inputs: Inputs,
    pub(crate) plan: Plan,
    pub(crate) steps: Vec<StepRecord>,
    /// The archive as verified after step 2; `down -v` never runs without it.
    #[serde(default)]
    pub(crate) archive: Option<Archive>,
    /// The kept volumes' archives as verified after they were made, by volume: `down -v` never
    /// runs without them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) kept: std::collections::BTreeMap<String, Archive>,
    /// When every container was healthy again (step 6's wait ended).
    #[serde(default)]
    pub(crate) healthy_at: Option<String>,
    /// Archived entries /share held as archived after the restore.
    #[serde(default)]
    pub(crate) restored: Option<u64>,
    pub(crate) finished: bool,
    /// The services that start on a newer image than their containers had, as the pull before
    /// step 1 found them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) newer_images: Vec<NewerImage>,
    /// The tar image's ID as the pulls before step 1 left it, which the steps that run it then
    /// expect in place of the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image_id: Option<String>,
    /// When the manager was started again after the reset stopped before `down -v`: nothing
    /// was changed, and the reset is closed (a new one starts afresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rolled_back: Option<String>,
    #[serde(skip)]
    path: Utf8PathBuf,
}

impl Journal {
    pub(crate) fn create(inputs: Inputs) -> Result<Journal> {
        let plan = plan::build(&inputs);
        let steps = pending(&plan);
        let path = plan.journal_path();
        let journal = Journal {
            inputs,
            plan,
            steps,
            archive: None,
            kept: Default::default(),
            healthy_at: None,
            restored: None,
            newer_images: Vec::new(),
            image_id: None,
            finished: false,
            rolled_back: None,
            path,
        };
        journal.save()?;
        Ok(journal)
    }

    /// Reads the journal at `path` and checks that it holds what the tool wrote.
    pub(crate) fn load(path: &Utf8Path) -> Result<Journal> {
        let text = crate::host::files::untrusted::read_text(path)
            .with_context(|| format!("cannot read the journal {path}"))?;
        let mut journal: Journal =
            serde_json::from_str(&text).with_context(|| format!("the journal {path} is damaged"))?;
        journal.path = path.to_owned();
        journal.check().with_context(|| format!("the journal {path} is not as the tool wrote it"))?;
        Ok(journal)
    }

    fn check(&self) -> Result<()> {
        crate::plan::config::check_recorded(&self.inputs, "the journal")?;
        let planned = plan::build(&self.inputs);
        if let Some(step) = planned.steps.iter().zip(&self.plan.steps).find(|(p, j)| p != j) {
            bail!("its step {} is not the one its inputs make", step.0.number);
        }
        ensure!(planned == self.plan, "its plan is not the one its inputs make");
        ensure!(
            self.steps.iter().map(|s| s.number).eq(self.plan.steps.iter().map(|s| s.number)),
            "its step states do not list the plan's steps"
        );
        ensure!(self.plan.journal_path() == self.path, "its name does not carry its plan's date");
        let done = self.steps.iter().all(|s| s.state == State::Done);
        ensure!(self.finished == done, "it says finished where its steps do not, or the other way round");
        ensure!(!(self.finished && self.rolled_back.is_some()), "it says both finished and rolled back");
        Ok(())
    }

    /// The finished reset in figures, from the journal's times: each step's duration, how long
    /// the manager was down (step 1's start to healthy again), entries verified and restored.
    pub(crate) fn figures(&self) -> Figures {
        let at = |t: &Option<String>| t.as_deref().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let seconds = |from, to| Some((at(to)? - at(from)?).as_seconds_f64());
        let steps = self
            .plan
            .steps
            .iter()
            .zip(&self.steps)
            .map(|(step, record)| {
                // A journal of an older version has no duration: its times then.
                let took = record.duration_s.or_else(|| seconds(&record.started_at, &record.finished_at));
                (step.number, step.title.clone(), took)
            })
            .collect();
        let downtime_s = self.steps.first().and_then(|first| {
            let from = if first.checked_at.is_some() { &first.checked_at } else { &first.started_at };
            seconds(from, &self.healthy_at)
        });
        Figures {
            steps,
            downtime_s,
            verified: self.archive.as_ref().map(|a| a.entries),
            restored: self.restored,
            newer_images: self.newer_images.clone(),
            kept: self
                .kept
                .iter()
                .map(|(volume, archive)| Kept { volume: volume.clone(), entries: archive.entries })
                .collect(),
        }
    }

    /// The archive a journal at `path` goes with, read from its name alone: for messages about a
    /// journal that cannot be read.
    pub(crate) fn archive_beside(path: &Utf8Path) -> Option<Utf8PathBuf> {
        let date = path.file_name()?.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        Some(path.with_file_name(plan::archive_name(date)))
    }

    /// Journals in `dir` that are not closed (or cannot be read), oldest date first.
    pub(crate) fn unfinished_in(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>> {
        let mut found = Vec::new();
        let entries = dir
            .read_dir_utf8()
            .with_context(|| format!("cannot list the backup directory {dir}: pick it with --backup-dir"))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
                let text = crate::host::files::untrusted::read_text(entry.path()).unwrap_or_default();
                if !closed(&text) {
                    found.push(entry.into_path());
                }
            }
        }
        found.sort();
        Ok(found)
    }

    pub(crate) fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Index of the first step not done: where a resumed run starts.
    pub(crate) fn first_unfinished(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.state != State::Done)
    }

    pub(crate) fn started(&mut self, index: usize) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Running;
        step.started_at = Some(now());
        step.finished_at = None;
        step.error = None;
        self.save()
    }

    /// Records the step at `index` done; its checks began at `checked_at` and it took
    /// `duration_s`, as its `step_finished` event says.
    pub(crate) fn done(&mut self, index: usize, checked_at: String, duration_s: f64) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Done;
        step.finished_at = Some(now());
        step.checked_at = Some(checked_at);
        step.duration_s = Some(duration_s);
        self.finished = self.steps.iter().all(|s| s.state == State::Done);
        self.save()
    }

    pub(crate) fn failed(&mut self, index: usize, error: &str) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Failed;
        step.finished_at = Some(now());
        step.error = Some(error.to_owned());
        self.save()
    }

    /// Whether `down -v` has begun: a step from the destructive one on was started (its checks
    /// let it begin). From then on the reset holds to the plan it was approved with.
    pub(crate) fn destruction_began(&self) -> bool {
        let first = self.plan.steps.iter().position(|s| s.destructive).unwrap_or(self.steps.len());
        self.steps[first..].iter().any(|s| s.started_at.is_some())
    }

    /// Plans the reset again from `inputs`, before anything was deleted: every step is to do,
    /// nothing done before counts. The date, and so the files' names, stay.
    pub(crate) fn replan(&mut self, inputs: Inputs) {
        self.plan = plan::build(&inputs);
        self.inputs = inputs;
        self.steps = pending(&self.plan);
        self.archive = None;
        self.kept.clear();
        self.healthy_at = None;
        self.restored = None;
        self.finished = false;
        self.rolled_back = None;
        self.image_id = None;
    }

    /// Marks the steps `steps` (indexes) as not done, whose work no longer holds (a backup that
    /// is not what /share holds, a manager that did not start), so that a resume does them
    /// again; with `archive`, the archive is no longer taken as verified either.
    pub(crate) fn undo(&mut self, steps: std::ops::Range<usize>, archive: bool) -> Result<()> {
        for step in &mut self.steps[steps] {
            *step = StepRecord {
                number: step.number,
                state: State::Pending,
                started_at: None,
                finished_at: None,
                error: None,
                checked_at: None,
                duration_s: None,
            };
        }
        if archive {
            self.archive = None;
            self.kept.clear();
        }
        self.save()
    }

    pub(crate) fn interrupted(&mut self, index: usize, signal: &str) -> Result<()> {
        let step = &mut self.steps[index];
        step.state = State::Interrupted;
        step.finished_at = Some(now());
        step.error = Some(format!("interrupted at step {} by {signal}", step.number));
        self.save()
    }

    /// Closes a reset that stopped before `down -v` once the manager runs again: nothing was
    /// changed, so there is nothing to resume, and a new reset starts afresh.
    pub(crate) fn close_rolled_back(&mut self) -> Result<()> {
        self.rolled_back = Some(now());
        self.save()
    }

    /// Removes the journal of a reset that stopped before its first step: nothing is left to
    /// resume, and a journal would block every later reset.
    pub(crate) fn abandon(self) {
        let _ = std::fs::remove_file(&self.path);
    }

    pub(crate) fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(self).context("cannot encode the journal")?;
        atomic::write(&self.path, text.as_bytes()).context("cannot write the journal")
    }
}

/// Whether the journal `text` says its reset is over: finished, or rolled back before `down -v`.
/// Read without the rest of the journal, which need not be valid for this.
pub(crate) fn closed(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Closed {
        finished: bool,
        #[serde(default)]
        rolled_back: Option<String>,
    }
    serde_json::from_str::<Closed>(text).is_ok_and(|j| j.finished || j.rolled_back.is_some())
}

/// A record of every step of `plan`, none begun.
fn pending(plan: &Plan) -> Vec<StepRecord> {
    plan.steps
        .iter()
        .map(|s| StepRecord {
            number: s.number,
            state: State::Pending,
            started_at: None,
            finished_at: None,
            error: None,
            checked_at: None,
            duration_s: None,
        })
        .collect()
}
