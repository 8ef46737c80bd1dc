//! No container engine or cluster runs here, so this checks what can be checked of deploy/: the
//! manifests parse and carry probes, ports, resources and a safe security context, the compose file
//! wires PostgreSQL, and the Dockerfile builds as the README says.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

fn deploy(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn load(path: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&deploy(path))
        .unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

fn at<'a>(y: &'a Yaml, path: &str) -> &'a Yaml {
    path.split('.')
        .fold(y, |y, key| match key.parse::<usize>() {
            Ok(i) => &y[i],
            Err(_) => &y[key],
        })
}

fn str_at<'a>(y: &'a Yaml, path: &str) -> &'a str {
    at(y, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

#[test]
fn kubernetes_manifests_are_complete_and_consistent() {
    let deployment = load("k8s/deployment.yaml");
    assert_eq!(str_at(&deployment, "kind"), "Deployment");
    let labels = at(&deployment, "spec.template.metadata.labels");
    assert_eq!(at(&deployment, "spec.selector.matchLabels"), labels);
    let pod = at(&deployment, "spec.template.spec");
    assert_eq!(
        at(pod, "securityContext.runAsNonRoot").as_bool(),
        Some(true)
    );
    let container = at(pod, "containers.0");
    let ports: Vec<i64> = at(container, "ports")
        .as_vec()
        .unwrap()
        .iter()
        .map(|p| p["containerPort"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [50051, 9464]);
    assert_eq!(
        at(container, "readinessProbe.grpc.port").as_i64(),
        Some(50051)
    );
    assert_eq!(
        str_at(container, "readinessProbe.grpc.service"),
        "quotedesk.v1.QuoteDesk"
    );
    assert_eq!(
        at(container, "livenessProbe.grpc.port").as_i64(),
        Some(50051)
    );
    assert_eq!(str_at(container, "livenessProbe.grpc.service"), "liveness");
    for key in [
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
    ] {
        assert!(
            !at(&container["resources"], key).is_badvalue(),
            "resources.{key}"
        );
    }
    assert_eq!(
        at(container, "securityContext.allowPrivilegeEscalation").as_bool(),
        Some(false)
    );
    assert_eq!(
        at(container, "securityContext.readOnlyRootFilesystem").as_bool(),
        Some(true)
    );
    assert_eq!(
        str_at(container, "securityContext.capabilities.drop.0"),
        "ALL"
    );
    assert!(
        at(pod, "terminationGracePeriodSeconds").as_i64().unwrap() > 10,
        "longer than the drain timeout"
    );

    // envFrom names exist, and the Secret carries the database URL.
    let configmap = load("k8s/configmap.yaml");
    let secret = load("k8s/secret.yaml");
    assert_eq!(
        str_at(container, "envFrom.0.configMapRef.name"),
        str_at(&configmap, "metadata.name")
    );
    assert_eq!(
        str_at(container, "envFrom.1.secretRef.name"),
        str_at(&secret, "metadata.name")
    );
    assert!(str_at(&secret, "stringData.QUOTEDESK_STORE").starts_with("postgres://"));
    assert_eq!(str_at(&configmap, "data.QUOTEDESK_LISTEN"), "0.0.0.0:50051");

    let service = load("k8s/service.yaml");
    assert_eq!(at(&service, "spec.selector"), labels);
    assert_eq!(at(&service, "spec.ports.0.port").as_i64(), Some(50051));
    assert_eq!(str_at(&service, "spec.ports.0.appProtocol"), "grpc");

    let hpa = load("k8s/hpa.yaml");
    assert_eq!(str_at(&hpa, "spec.scaleTargetRef.kind"), "Deployment");
    assert_eq!(
        str_at(&hpa, "spec.scaleTargetRef.name"),
        str_at(&deployment, "metadata.name")
    );
    assert!(at(&hpa, "spec.minReplicas").as_i64() <= at(&hpa, "spec.maxReplicas").as_i64());

    let pdb = load("k8s/pdb.yaml");
    assert_eq!(at(&pdb, "spec.selector.matchLabels"), labels);
    assert!(
        at(&pdb, "spec.minAvailable").as_i64().unwrap()
            < at(&deployment, "spec.replicas").as_i64().unwrap()
    );
}

#[test]
fn compose_runs_replicas_over_postgres() {
    let compose = load("docker-compose.yml");
    let services = at(&compose, "services");
    assert!(!services["postgres"]["healthcheck"].is_badvalue());
    let quotedesk = &services["quotedesk"];
    assert!(str_at(quotedesk, "environment.QUOTEDESK_STORE").starts_with("postgres://"));
    assert!(at(quotedesk, "deploy.replicas").as_i64().unwrap() >= 2);
    assert_eq!(
        str_at(quotedesk, "depends_on.postgres.condition"),
        "service_healthy"
    );
    assert_eq!(str_at(quotedesk, "build.dockerfile"), "deploy/Dockerfile");
}

#[test]
fn dockerfile_is_multi_stage_non_root_and_builds_as_documented() {
    let dockerfile = deploy("Dockerfile");
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert_eq!(stages, 2, "a build stage and a small runtime stage");
    let user = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "runs as non-root: {user}"
    );
    let build = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("RUN "))
        .expect("a RUN line");
    assert!(
        deploy("README.md").contains(build),
        "deploy/README.md gives the Dockerfile's build command: {build}"
    );
    for copied in dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
    {
        for source in copied.split_whitespace().rev().skip(1) {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(source).exists(),
                "COPY source {source} exists"
            );
        }
    }
    assert!(dockerfile.contains("EXPOSE 50051 9464"));
}
