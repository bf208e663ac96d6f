//! What runs after the operator's consent and before step 1, none of it in the runbook: sudo's
//! password asked once, the tar image's pull, the unit's own pull of the manager's images (and
//! which services it moves to a newer image). One that fails, or a stop asked for meanwhile,
//! ends the reset with nothing changed.

use std::cell::RefCell;

use crate::host::docker::inspect::Host;
use crate::host::process::exec::Runner;
use crate::host::process::signals;
use crate::plan::{self, NewerImage, Plan};
use crate::run::record::journal::Journal;
use crate::run::record::registry;
use crate::view::outcome::{Code, Failure};
use crate::view::plan_text::render;
use crate::view::ui::{Event, Ui};

pub(crate) struct Prepare<'a> {
    pub(crate) runner: &'a Runner,
    pub(crate) ui: &'a Ui,
    /// Whether the operator agreed with `--yes`: the command that runs the reset again does too.
    pub(crate) yes: bool,
}

impl Prepare<'_> {
    /// Runs what comes before step 1 (sudo's password, the image's pull). One that fails, or a
    /// stop asked for meanwhile, ends the reset with nothing changed: its journal and record go,
    /// as nothing is left to resume.
    pub(crate) fn run(&self, plan: &Plan, journal: &mut Journal) -> Result<(), Failure> {
        for command in &plan.prepare {
            self.ui.say(&format!("\nBefore step 1 {}", render::not_in_runbook()));
            self.ui.say(&render::command_line(command));
            let mut heartbeat = self.ui.heartbeat();
            let said = RefCell::new(Vec::new());
            let result = self.runner.run(
                command,
                |stream, line| {
                    said.borrow_mut().push(line.to_owned());
                    self.ui.output(stream, line)
                },
                || heartbeat.update(|| format!("still running: `{}`", command.display)),
            );
            let why = match (result, signals::requested()) {
                (_, Some(stop)) => {
                    let why = format!("stopped by {} before step 1", stop.name());
                    Some((Code::from(stop), why))
                }
                (Ok(status), None) if status.success() => {
                    if command.is_unit_pull() {
                        self.newer_images(plan, journal);
                    }
                    None
                }
                (Ok(status), None) => Some((Code::Refused, format!("`{}` {status}", command.display))),
                (Err(error), None) => Some((Code::Refused, format!("{error:#}"))),
            };
            if let Some((code, why)) = why {
                self.runner.note(&format!("{why}: nothing was changed"));
                registry::forget(&plan.project_directory, journal.path());
                let _ = std::fs::remove_file(journal.path());
                let how = if code != Code::Refused {
                    String::new()
                } else if command.is_sudo_password() {
                    "; sudo did not take the password: run the reset again and type the password sudo asks \
                     for, or run it as root"
                        .to_owned()
                } else if command.is_unit_pull() {
                    unpulled(plan, &said.borrow(), &plan::again_command(&journal.inputs, self.yes))
                } else {
                    format!(
                        "; get an image with tar onto this host first: `docker load --input FILE` of one saved \
                         elsewhere (`docker save {image}`), pull it through your registry mirror and `docker tag` \
                         it {image}, or name an image already here with --image (the manager's own redis image \
                         has busybox's tar), then run again",
                        image = plan.image
                    )
                };
                return Err(Failure::new(code, anyhow::anyhow!("{why}: nothing was changed{how}")));
            }
        }
        if plan.prepare.iter().any(|c| !c.is_sudo_password()) {
            // A pull may have brought the tar image, or moved its tag: the image the steps'
            // `docker run` must find under its name is the one here now (see `drift::image`).
            journal.image_id = Host::new(self.runner).image_id(&plan.image).ok().flatten();
        }
        Ok(())
    }

    /// After the unit's pull: the services whose image is now another than the one their container
    /// was created from, said in the transcript, the log, the events and the journal (for the
    /// summary). Nothing starts on a newer image unannounced; where the host cannot be asked, the
    /// log says so and the reset goes on, as the pull itself succeeded.
    fn newer_images(&self, plan: &Plan, journal: &mut Journal) {
        let host = Host::new(self.runner);
        let mut newer = Vec::new();
        // Many services share one image (OSISM's osism image runs half of them): asked once each.
        let mut ids = std::collections::BTreeMap::new();
        for image in &plan.images {
            let Some(from) = &image.created_from else { continue };
            let id = ids.entry(image.image.as_str()).or_insert_with(|| host.image_id(&image.image));
            match id {
                Ok(Some(to)) if to != from => newer.push(NewerImage {
                    service: image.service.clone(),
                    image: image.image.clone(),
                    from: from.clone(),
                    to: to.clone(),
                }),
                Ok(_) => {}
                Err(error) => {
                    self.runner.note(&format!("cannot tell whether {} changed: {error:#}", image.image))
                }
            }
        }
        let said = if newer.is_empty() {
            "every service starts on the image its container was created from".to_owned()
        } else {
            newer.iter().map(crate::view::summary::newer_image).collect::<Vec<_>>().join("\n    ")
        };
        self.ui.say(&format!("    {said}"));
        self.runner.note(&said);
        self.ui.event(&Event::ImagesPulled { newer: &newer });
        journal.newer_images = newer;
        if let Err(error) = journal.save() {
            self.runner.note(&format!("cannot record the newer images in the journal: {error:#}"));
        }
    }
}

/// What to say when the unit's pull before step 1 failed: the images Compose could not pull and
/// the registry's answer (Compose stops at the first failure, so others may fail too), and the
/// ways out.
fn unpulled(plan: &Plan, said: &[String], again: &str) -> String {
    let failed: Vec<String> = said
        .iter()
        .filter_map(|line| {
            let (service, error) = line.trim().split_once(" Error ")?;
            let image = plan.images.iter().find(|i| i.service == service)?;
            // Compose cancels the other pulls at the first failure; theirs are no answer.
            (!error.contains("Cannot connect to the Docker daemon") && !error.contains("context canceled"))
                .then(|| format!("{service} ({}): {}", image.image, error.trim()))
        })
        .collect();
    let answer = said.iter().rev().find(|l| l.starts_with("Error response from daemon:")).map(|l| l.trim());
    let what = match (failed.as_slice(), answer) {
        ([], Some(answer)) => format!("; the registry said: {answer}"),
        ([], None) => String::new(),
        (failed, _) => format!("; it could not pull {}", failed.join("; ")),
    };
    format!(
        "; the manager runs on as it was{what}; the unit's own start pulls the same images (ExecStartPre) and \
         would fail just so after `down -v`: bring the registry (or its mirror) back, or load each image saved \
         elsewhere with `docker load --input FILE`, or have the manager role write the unit without its pull \
         (`manager_pre_pull: false`), then run the reset again with `{again}`"
    )
}
