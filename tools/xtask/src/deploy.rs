//! The deployment files generated from `services.toml`: compose, Kubernetes,
//! Prometheus, Vector.
//!
//! Each comes from a hand-written template beside it that names no service
//! (`template.rs` has the little language); what one service does
//! differently lives in small files of its own that the templates pull in
//! by the service's name: `deploy/compose/services/<name>.yml`,
//! `deploy/k8s/base/services/<name>.patch.yaml`, `config/<name>.env`,
//! `secrets/<name>/` and `patches/<name>.yaml` of the Kubernetes overlays.

mod template;

use std::fmt::Write as _;
use std::path::Path;

use crate::manifest::Manifest;
use crate::output::Generated;

/// Generated file <- its template, both from the repository root (`#`
/// comments, as every template here).
const FROM_TEMPLATES: &[(&str, &str)] = &[
    (
        "deploy/compose/nginx/default.conf.template",
        "deploy/compose/nginx/default.conf.template.in",
    ),
    (
        "deploy/k8s/base/gateway/gateway.conf",
        "deploy/k8s/base/gateway/gateway.conf.template",
    ),
    (
        "deploy/k8s/base/kustomization.yaml",
        "deploy/k8s/base/kustomization.yaml.template",
    ),
    (
        "deploy/k8s/overlays/local/kustomization.yaml",
        "deploy/k8s/overlays/local/kustomization.yaml.template",
    ),
    (
        "deploy/k8s/overlays/local/infra.yaml",
        "deploy/k8s/overlays/local/infra.yaml.template",
    ),
    (
        "deploy/k8s/overlays/staging/kustomization.yaml",
        "deploy/k8s/overlays/staging/kustomization.yaml.template",
    ),
    (
        "deploy/k8s/overlays/production/kustomization.yaml",
        "deploy/k8s/overlays/production/kustomization.yaml.template",
    ),
    (
        "deploy/k8s/data/postgres.yaml",
        "deploy/k8s/data/postgres.yaml.template",
    ),
    (
        "deploy/observability/prometheus/prometheus.compose.yml",
        "deploy/observability/prometheus/prometheus.compose.yml.template",
    ),
    (
        "deploy/observability/prometheus/prometheus.native.yml.template",
        "deploy/observability/prometheus/prometheus.native.yml.template.in",
    ),
    (
        "deploy/observability/vector/sources/docker.toml",
        "deploy/observability/vector/sources/docker.toml.template",
    ),
    (
        "deploy/observability/vector/sources/kubernetes.toml",
        "deploy/observability/vector/sources/kubernetes.toml.template",
    ),
    (
        "deploy/observability/vector/sources/native.toml",
        "deploy/observability/vector/sources/native.toml.template",
    ),
];

/// One Kubernetes manifest per service, `<name>.yaml` in this folder.
const K8S_SERVICES: &str = "deploy/k8s/base/services";

const COMPOSE: &str = "docker-compose.yml";
const COMPOSE_TEMPLATE: &str = "deploy/compose/docker-compose.yml.template";
/// A service's additions to its compose services, `<name>.yml` in here.
const COMPOSE_SERVICES: &str = "deploy/compose/services";

pub fn files(root: &Path, m: &Manifest) -> anyhow::Result<Vec<Generated>> {
    let mut files = Vec::new();
    for (path, from) in FROM_TEMPLATES {
        files.push(Generated {
            path: (*path).into(),
            text: template::render(root, from, m, "#", &[])?,
        });
    }
    files.extend(k8s_services(root, m)?);
    files.push(Generated {
        path: COMPOSE.into(),
        text: compose(root, m)?,
    });
    Ok(files)
}

/// `deploy/k8s/base/services/<name>.yaml`, each from the one template.
fn k8s_services(root: &Path, m: &Manifest) -> anyhow::Result<Vec<Generated>> {
    let from = format!("{K8S_SERVICES}/service.yaml.template");
    m.services
        .iter()
        .map(|s| {
            let one = Manifest {
                services: vec![s.clone()],
            };
            Ok(Generated {
                path: format!("{K8S_SERVICES}/{}.yaml", s.name),
                text: template::render(root, &from, &one, "#", &[])?,
            })
        })
        .collect()
}

/// docker-compose.yml: the template, plus the top-level declaration of every
/// secret the services' own files name (each one a file of
/// deploy/compose/secrets/ of the same name).
fn compose(root: &Path, m: &Manifest) -> anyhow::Result<String> {
    let mut secrets = String::new();
    for s in &m.services {
        let path = root.join(COMPOSE_SERVICES).join(format!("{}.yml", s.name));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for item in template::yaml_section(&text, "secrets") {
            if let Some(name) = item.trim().strip_prefix("- ") {
                let _ = write!(
                    secrets,
                    "  {name}:\n    file: ./deploy/compose/secrets/{name}\n"
                );
            }
        }
    }
    let secrets = secrets.trim_end().to_owned();
    template::render(
        root,
        COMPOSE_TEMPLATE,
        m,
        "#",
        &[("@SERVICE_SECRETS@", secrets)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::MARK;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    use crate::manifest::made_up;

    fn generated(m: &Manifest) -> Vec<Generated> {
        files(&root(), m).unwrap()
    }

    fn text<'a>(files: &'a [Generated], path: &str) -> &'a str {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.text.as_str())
            .unwrap_or_else(|| panic!("{path} is not generated"))
    }

    #[test]
    fn a_new_service_appears_in_every_deployment_file() {
        let files = generated(&made_up());
        let expect = |path: &str, needles: &[&str]| {
            let t = text(&files, path);
            for n in needles {
                assert!(t.contains(n), "{path} lacks {n:?}:\n{t}");
            }
        };
        for conf in [
            "deploy/compose/nginx/default.conf.template",
            "deploy/k8s/base/gateway/gateway.conf",
        ] {
            expect(
                conf,
                &[
                    "upstream billing_upstream {\n    server billing:8080 max_fails=0;",
                    "upstream ledger_upstream {\n    server ledger:8080 max_fails=0;",
                ],
            );
        }
        expect(
            COMPOSE,
            &[
                "  billing-migrate:\n    <<: *migrate\n",
                "${IMAGE_PREFIX:-dayone}/billing:${IMAGE_TAG:-local}",
                "        SERVICE: billing\n",
                "      APP_INSTANCE: billing\n",
                "  billing:\n    <<: *service\n",
                "      billing-migrate:\n        condition: service_completed_successfully\n",
                "      billing:\n        condition: service_healthy\n",
                "  ledger:\n    <<: *service\n",
            ],
        );
        expect(
            "deploy/k8s/base/kustomization.yaml",
            &[
                "  - services/billing.yaml\n",
                // No config/billing.env: an empty ConfigMap all the same.
                "  - name: billing-config\n",
                "  - name: dayone/ledger\n    newTag: latest\n",
            ],
        );
        expect(
            "deploy/k8s/base/services/billing.yaml",
            &[
                "kind: Deployment\nmetadata:\n  name: billing\n",
                "image: dayone/billing\n",
                "name: billing-config\n",
                "kind: HorizontalPodAutoscaler\nmetadata:\n  name: billing\n",
                "kind: PodDisruptionBudget\nmetadata:\n  name: billing\n",
            ],
        );
        for overlay in ["local", "staging", "production"] {
            expect(
                &format!("deploy/k8s/overlays/{overlay}/kustomization.yaml"),
                &["  - name: dayone/billing\n", "  - name: dayone/ledger\n"],
            );
        }
        expect(
            "deploy/k8s/overlays/local/infra.yaml",
            &[
                "CREATE DATABASE dayone_billing;",
                "CREATE DATABASE dayone_ledger;",
            ],
        );
        expect(
            "deploy/k8s/data/postgres.yaml",
            &[
                "      database: dayone_billing\n",
                "  name: dayone-ledger\n",
                "  name: dayone_ledger\n",
            ],
        );
        expect(
            "deploy/observability/prometheus/prometheus.compose.yml",
            &["  - job_name: billing\n", "[\"ledger:9090\"]"],
        );
        expect(
            "deploy/observability/prometheus/prometheus.native.yml.template",
            &["  - job_name: billing\n", "- targets: @LEDGER_TARGETS@\n"],
        );
        expect(
            "deploy/observability/vector/sources/docker.toml",
            &["includes([\"billing\", \"ledger\"], "],
        );
        expect(
            "deploy/observability/vector/sources/kubernetes.toml",
            &["in (billing,ledger)"],
        );
        expect(
            "deploy/observability/vector/sources/native.toml",
            &["/billing-*.log\",\n", "/ledger-*.log\",\n"],
        );
    }

    #[test]
    fn every_file_is_marked_and_fully_expanded() {
        for f in generated(&made_up()) {
            let first = f.text.lines().next().unwrap_or_default();
            assert!(first.contains(MARK), "{}: {first}", f.path);
            for left in [
                "@SERVICE",
                "@EACH_",
                "@END_EACH",
                "@INCLUDE",
                "@FIRST_",
                "@SERVICES_",
            ] {
                assert!(!f.text.contains(left), "{}: {left} left over", f.path);
            }
        }
    }

    /// The templates name no service: rendered for made-up services, no real
    /// one shows up where a service's name goes.
    #[test]
    fn the_templates_name_no_service() {
        let real = Manifest::load(&root()).unwrap();
        for f in generated(&made_up()) {
            for s in &real.services {
                let n = &s.name;
                for shape in [
                    format!("{n}-migrate"),
                    format!("dayone/{n}"),
                    format!("{n}_upstream"),
                    format!("server {n}:"),
                    format!("\"{n}\""),
                    format!("job_name: {n}\n"),
                    format!("services/{n}."),
                    format!("/{n}-*.log"),
                    format!("dayone_{n}"),
                    format!("{n}-config"),
                    format!("{n}-secrets"),
                    format!("http://{n}:"),
                    format!("SERVICE: {n}\n"),
                    format!("{}_", n.to_ascii_uppercase()),
                ] {
                    assert!(!f.text.contains(&shape), "{} has {shape:?}", f.path);
                }
            }
        }
    }

    #[test]
    fn the_projects_services_get_their_own_additions() {
        let real = Manifest::load(&root()).unwrap();
        let files = generated(&real);
        let compose_text = text(&files, COMPOSE);
        let kustomization = text(&files, "deploy/k8s/base/kustomization.yaml");
        for s in &real.services {
            let n = &s.name;
            let extra = root().join(COMPOSE_SERVICES).join(format!("{n}.yml"));
            if let Ok(t) = std::fs::read_to_string(extra) {
                for item in template::yaml_section(&t, "secrets") {
                    let name = item.trim().trim_start_matches("- ");
                    assert!(
                        compose_text.contains(&format!(
                            "  {name}:\n    file: ./deploy/compose/secrets/{name}\n"
                        )),
                        "secret {name} of {n} is not declared"
                    );
                }
            }
            let patch = root().join(K8S_SERVICES).join(format!("{n}.patch.yaml"));
            assert_eq!(
                patch.exists(),
                kustomization.contains(&format!("  - path: services/{n}.patch.yaml\n")),
                "{n}'s patch"
            );
        }
    }
}
