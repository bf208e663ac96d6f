//! What the unit's start means for the reset, judged before anything changes: the directory it
//! runs Compose in, and where it pulls, what its pull will change: for each image of the
//! project, what its registry holds under the tag now (the engine asks it, as its pull would),
//! against what each service's container was created from. A registry that cannot give an image
//! is a problem: the pull before step 1 would fail, and after `down -v` so would the unit's start.

use std::thread;

use camino::Utf8Path;

use crate::host::docker::credentials::{self, Credentials};
use crate::host::docker::engine::{self, Registry};
use crate::host::docker::inspect::Host;
use crate::plan::config::Config;
use crate::plan::problem::Kind;
use crate::plan::{Forecast, NewerImage, Service, ServiceImage};
use crate::run::preflight::Preflight;

impl Preflight<'_> {
    /// What the unit's start means for the reset: the directory it runs Compose in, and where
    /// it pulls, what its pull will change.
    pub(crate) fn judge_unit_start(
        &mut self,
        service: &Service,
        images: &[ServiceImage],
    ) -> Option<Forecast> {
        self.problems(Kind::UnitStart, unit_directory_problem(self.config, service));
        let start = service.start.as_ref()?;
        start.pull()?;
        let (forecast, failed) = ask(self.host, images, start.user.as_deref());
        self.problems(Kind::UnitStart, failed);
        Some(forecast)
    }
}

/// The unit runs Compose in another directory than the project's: stopping and starting it would
/// not stop and start the manager the reset deletes.
fn unit_directory_problem(config: &Config, service: &Service) -> Option<String> {
    let dir = service.start.as_ref()?.working_directory.as_ref()?;
    // A project directory that is none is a problem of its own already.
    if !config.options.project_directory.is_dir() {
        return None;
    }
    let same = |a: &Utf8Path, b: &Utf8Path| {
        a == b || a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
    };
    (!same(dir, &config.options.project_directory)).then(|| {
        format!(
            "the unit {} runs Compose in {dir}, not in the project directory {}: name the manager's directory with \
             --project-directory, or the unit that runs it with --service",
            service.unit, config.options.project_directory
        )
    })
}

/// What the registry holds under `image`, asked with `user`'s credentials for it; where a
/// credential helper keeps them, not asked (the helper is the user's program, not run here).
fn with_credentials(image: &str, user: Option<&str>) -> Registry {
    match credentials::for_image(user, image) {
        Credentials::Header(header) => engine::distribution(image, Some(&header)),
        Credentials::None => engine::distribution(image, None),
        Credentials::Helper(helper) => Registry::Unasked(format!(
            "the unit's user keeps the registry's credentials in docker-credential-{helper}, which this question \
             does not run"
        )),
    }
}

/// Asks the registry of each of `images` at once, and judges the answers: the forecast, and a
/// problem for each registry that cannot give its image. Each image's registry is asked with
/// the unit's user's credentials (`user`), as its pull does.
fn ask(host: &Host, images: &[ServiceImage], user: Option<&str>) -> (Forecast, Vec<String>) {
    let mut problems = Vec::new();
    let mut distinct: Vec<&str> = images.iter().map(|i| i.image.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let answers: Vec<(&str, Registry)> = thread::scope(|scope| {
        let asked: Vec<_> = distinct
            .iter()
            .map(|&image| (image, scope.spawn(move || with_credentials(image, user))))
            .collect();
        asked
            .into_iter()
            .map(|(image, answer)| {
                (image, answer.join().unwrap_or_else(|_| Registry::Unasked("the question was lost".into())))
            })
            .collect()
    });
    let mut forecast = Forecast::default();
    // What each container image was pulled as, asked once: services share images.
    let mut pulled_as = std::collections::BTreeMap::new();
    for (image, answer) in &answers {
        let services: Vec<&ServiceImage> = images.iter().filter(|i| i.image == *image).collect();
        match answer {
            Registry::Holds(digest) => {
                for service in &services {
                    let Some(from) = service.created_from.as_deref() else { continue };
                    let pulled = pulled_as.entry(from).or_insert_with(|| host.repo_digests(from).ok());
                    forecast.newer.extend(pulled.as_deref().and_then(|p| newer(service, from, p, digest)));
                }
            }
            Registry::Fails(said) => problems.push(format!(
                "the registry cannot give {image} (of {}): {said}; the unit's start pulls every image \
                 (ExecStartPre), so the pull before step 1 would fail, and after `down -v` so would the \
                 start: bring the registry (or its mirror) back, load the image saved elsewhere with \
                 `docker load --input FILE`, or have the manager role write the unit without its pull \
                 (`manager_pre_pull: false`)",
                services.iter().map(|s| s.service.as_str()).collect::<Vec<_>>().join(", ")
            )),
            Registry::Unasked(why) => forecast.unasked.push(format!("{image}: {why}")),
        }
    }
    (forecast, problems)
}

/// The service starts on another image once pulled: its container's image `from` was not pulled
/// as `digest` (`pulled_as` are its repository digests: the tag moved since, or the image was
/// loaded or built here).
fn newer(service: &ServiceImage, from: &str, pulled_as: &[String], digest: &str) -> Option<NewerImage> {
    (!pulled_as.iter().any(|d| d.ends_with(&format!("@{digest}")))).then(|| NewerImage {
        service: service.service.clone(),
        image: service.image.clone(),
        from: from.to_owned(),
        to: digest.to_owned(),
    })
}
