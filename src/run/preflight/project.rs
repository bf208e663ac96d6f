//! What Compose says of the manager's project, for preflight: its model, the volumes `down -v`
//! deletes and keeps, and the services whose containers are up.
//!
//! Compose's configuration and its containers do not depend on each other: they are asked at
//! once, and the operator waits for the slowest, not the sum. A configuration in Compose v2's JSON
//! is v2's answer; only where none came is `docker compose version` asked (a tenth of a second of
//! a core, on a host whose two cores preflight keeps busy), to tell a Compose that is missing or
//! broken from a project that is.

use std::thread::{self, Scope, ScopedJoinHandle};

use anyhow::{Result, anyhow};
use camino::{Utf8Path, Utf8PathBuf};

use crate::host::docker::containers::Container;
use crate::host::docker::inspect::{Host, Project};
use crate::host::docker::volumes::VolumeUser;
use crate::plan::problem::Kind;
use crate::plan::{ServiceImage, Volumes};
use crate::run::preflight::Preflight;
use crate::run::preflight::problems::not_a_directory;

/// Compose file names Compose looks for, in its order.
const COMPOSE_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// What Compose says of the project: its model, and (when there is one) the volumes `down -v`
/// deletes and keeps, with the containers that use them.
#[derive(Default)]
pub(crate) struct Compose {
    pub(crate) project: Option<Project>,
    pub(crate) volumes: Option<Result<ProjectVolumes>>,
    /// The services' images, and what their containers were created from.
    pub(crate) images: Vec<ServiceImage>,
    /// Compose v2 answers (another `docker compose` says nothing of the project).
    pub(crate) v2: bool,
}

/// The project's volumes, the services whose containers are up, and every container that
/// mounts a volume `down -v` deletes (asked as soon as those are known, beside the rest).
pub(crate) struct ProjectVolumes {
    pub(crate) volumes: Volumes,
    pub(crate) up: Vec<String>,
    pub(crate) users: Result<Vec<VolumeUser>>,
}

/// Compose's configuration and containers, being asked.
pub(crate) struct Asked<'scope> {
    questions: Option<(Question<'scope, Project>, Question<'scope, Vec<Container>>)>,
}

type Question<'scope, T> = ScopedJoinHandle<'scope, Result<T>>;

impl Asked<'_> {
    /// Whether there is a project to ask about: docker is on PATH and a compose file is there.
    pub(crate) fn has_project(&self) -> bool {
        self.questions.is_some()
    }
}

/// The compose file `dir` holds, of the names Compose looks for.
fn compose_file(dir: &Utf8Path) -> Option<Utf8PathBuf> {
    COMPOSE_FILES.iter().map(|f| dir.join(f)).find(|f| f.is_file())
}

/// Starts asking Compose about the project in `dir`, where docker is on PATH and there is a
/// compose file to ask about.
pub(crate) fn start<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    dir: &'env Utf8Path,
    host: &'env Host,
) -> Asked<'scope> {
    let ask = which::which("docker").is_ok() && compose_file(dir).is_some();
    let questions = ask.then(|| (scope.spawn(|| host.project(dir)), scope.spawn(|| host.containers(dir))));
    Asked { questions }
}

impl Preflight<'_> {
    /// Judges what Compose answered, where docker is `on_path`.
    pub(crate) fn compose(&mut self, asked: Asked, on_path: bool) -> Compose {
        let (dir, host) = (&self.config.options.project_directory, self.host);
        if let Some(problem) = not_a_directory(
            dir,
            "the project directory",
            "point --project-directory at the manager's directory",
        ) {
            self.problem(Kind::Project, problem);
        } else if compose_file(dir).is_none() {
            self.problem(
                Kind::Project,
                format!(
                    "{dir} holds no compose file ({}): point --project-directory at the manager's directory",
                    COMPOSE_FILES.join(", ")
                ),
            );
        }
        let answers = asked.questions.map(|(p, c)| (answer(p), answer(c)));
        let v2 = on_path && (matches!(answers, Some((Ok(_), _))) || self.compose_answers());
        let nothing = Compose { v2, ..Compose::default() };
        // Answers count only where v2 gave them: another `docker compose` says nothing of the project.
        let Some((project, containers)) = answers.filter(|_| v2) else { return nothing };
        let project = match project {
            Ok(project) => project,
            Err(error) => {
                self.problem(Kind::Project, format!("{error:#}: fix the compose project first"));
                return nothing;
            }
        };
        let (volumes, images) = match containers {
            Ok(containers) => thread::scope(|scope| {
                let images = scope.spawn(|| service_images(&project, &containers, host));
                (project_volumes(&project, &containers, host), answer(images))
            }),
            Err(error) => (Err(error), service_images(&project, &[], host)),
        };
        let images = images.unwrap_or_else(|error| {
            self.problem(Kind::Project, format!("{error:#}"));
            Vec::new()
        });
        Compose { project: Some(project), volumes: Some(volumes), images, v2 }
    }

    /// Whether `docker compose version` answers, as Compose v2 does; the problem if it does not.
    pub(crate) fn compose_answers(&mut self) -> bool {
        match self.host.compose_version() {
            Ok(_) => true,
            Err(error) => {
                self.problem(Kind::Program, format!("{error:#}: install the Docker Compose v2 plugin"));
                false
            }
        }
    }
}

fn answer<T>(question: Question<'_, T>) -> Result<T> {
    question.join().unwrap_or_else(|_| Err(anyhow!("Compose's answer was lost")))
}

/// The volumes `down -v` deletes and keeps, the services whose containers are up, and what
/// uses the deleted volumes; the labelled volumes are asked beside the rest.
fn project_volumes(project: &Project, containers: &[Container], host: &Host) -> Result<ProjectVolumes> {
    let up = crate::host::docker::containers::up(containers);
    thread::scope(|scope| {
        let labelled = scope.spawn(|| host.labelled_volumes(&project.name));
        let anonymous = host.anonymous_volumes(containers, &project.volumes)?;
        let mut volumes = Volumes {
            named: project.volumes.clone(),
            anonymous,
            kept: Vec::new(),
            vault: project.vault_volumes.clone(),
            bind_mounts: project.bind_mounts.clone(),
            keys: project.volume_keys.clone(),
        };
        let users = host.volume_users(volumes.deleted());
        volumes.kept = answer(labelled)?
            .into_iter()
            .filter(|v| !volumes.named.contains(v) && !volumes.anonymous.iter().any(|a| &a.volume == v))
            .collect();
        Ok(ProjectVolumes { volumes, up, users })
    })
}

/// Each service's image, with the image its container was created from.
fn service_images(project: &Project, containers: &[Container], host: &Host) -> Result<Vec<ServiceImage>> {
    let created = host.created_from(containers)?;
    Ok(project
        .images
        .iter()
        .map(|(service, image)| ServiceImage {
            service: service.clone(),
            image: image.clone(),
            created_from: created.iter().find(|(s, _)| s == service).map(|(_, id)| id.clone()),
        })
        .collect())
}

/// Compose's default project name: the directory's name, lowercased, with only `[a-z0-9_-]`.
pub(crate) fn default_project_name(dir: &Utf8Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}
