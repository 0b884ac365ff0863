//! The one-line agent install, end to end: a real hub serves `/install.sh`
//! and the agent binary; the script runs in `sh` (with `--no-service
//! --prefix` into a temp dir) and the agent it installed connects.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use sysmonstm_hub::token_rules::parse_rule;
use sysmonstm_hub::HubConfig;

const TOKEN: &str = "install-test-token-0123";

fn hub_with(binary: &Path) -> TestHub {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = HubConfig::ephemeral(dir.path().to_path_buf());
    config.agent_binary = Some(binary.to_path_buf());
    config.agent_tokens = vec![parse_rule(&format!("{TOKEN}=web-*")).expect("token rule")];
    TestHub::start_with(config, dir)
}

async fn fetch(url: &str) -> (u16, String, String) {
    let response = reqwest::get(url).await.expect("GET");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, kind, response.text().await.expect("body"))
}

/// Runs the hub's script in `sh` with `args`, PATH led by `path_first`.
async fn run_script(http: &str, args: &[&str], path_first: Option<&Path>) -> Output {
    let (status, _, script) = fetch(&format!("{http}/install.sh")).await;
    assert_eq!(status, 200, "{script}");
    let mut command = Command::new("sh");
    command.arg("-s").arg("--").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(dir) = path_first {
        command.env("PATH", format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()));
    }
    let mut child = command.spawn().expect("sh runs");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("script to sh");
    tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("join").expect("sh ends")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// `KEY=value` lines of the env file the script wrote.
fn env_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .expect("agent.env")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_installs_an_agent_that_connects_and_uninstall_leaves_nothing() {
    let agent = sysmonstm_testkit::bins::workspace_binary("sysmonstm-agent");
    let hub = hub_with(&agent);
    let http = hub.http();

    // The sum is the binary's, in sha256sum's format.
    let (status, kind, sum) = fetch(&format!("{http}/download/sysmonstm-agent.sha256")).await;
    assert_eq!((status, kind.as_str()), (200, "text/plain; charset=utf-8"));
    let expected = Command::new("sha256sum").arg(&agent).output().expect("sha256sum runs");
    let expected = String::from_utf8_lossy(&expected.stdout).split_whitespace().next().unwrap_or("").to_owned();
    assert_eq!(sum, format!("{expected}  sysmonstm-agent\n"));

    let root = tempfile::tempdir().expect("dir");
    let prefix = root.path().join("opt");
    let prefix_arg = prefix.to_str().expect("utf-8 path");
    let args = ["--token", TOKEN, "--machine-id", "web-3", "--label", "env=prod", "--label=rack=r1:a"];
    let output = run_script(&http, &[&args[..], &["--prefix", prefix_arg, "--no-service"]].concat(), None).await;
    assert!(output.status.success(), "{}", text(&output));
    let installed = prefix.join("bin/sysmonstm-agent");
    assert_eq!(std::fs::read(&installed).expect("installed"), std::fs::read(&agent).expect("built"));
    let token_file = prefix.join("etc/sysmonstm/agent.token");
    assert_eq!(std::fs::metadata(&token_file).expect("token file").permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&token_file).expect("token"), format!("{TOKEN}\n"));
    let env = env_file(&prefix.join("etc/sysmonstm/agent.env"));
    assert!(env.contains(&("SYSMONSTM_HUB".into(), hub.grpc())), "{env:?} vs {}", hub.grpc());
    assert!(env.contains(&("SYSMONSTM_MACHINE_ID".into(), "web-3".into())), "{env:?}");
    assert!(env.contains(&("SYSMONSTM_LABELS".into(), "env=prod,rack=r1:a".into())), "{env:?}");

    // The installed agent, run as the script says, appears on the hub.
    let mut running = Command::new(&installed)
        .envs(env)
        .env("SYSMONSTM_TOKEN_FILE", &token_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("installed agent starts");
    let shown = wait_status(&http, "web-3", "online").await;
    assert_eq!(shown["labels"], serde_json::json!({"env": "prod", "rack": "r1:a"}), "the labels given to the script");
    let _ = running.kill();
    let _ = running.wait();

    let output = run_script(&http, &["--uninstall", "--prefix", prefix_arg, "--no-service"], None).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(!prefix.exists(), "uninstall leaves nothing: {:?}", std::fs::read_dir(root.path()).map(|d| d.count()));
}

/// `name` in `dir`: a shell script printing `output` and logging its
/// arguments to `dir/NAME.log`.
fn fake_command(dir: &Path, name: &str, output: &str) {
    let path = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    std::fs::write(&path, format!("#!/bin/sh\necho \"$@\" >> '{}'\n{output}", log.display())).expect("fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_it_installs_is_a_valid_hardened_unit_and_is_started_and_removed() {
    let agent = sysmonstm_testkit::bins::workspace_binary("sysmonstm-agent");
    let hub = hub_with(&agent);
    let root = tempfile::tempdir().expect("dir");
    let (prefix, units, fake) = (root.path().join("opt"), root.path().join("units"), root.path().join("fake"));
    std::fs::create_dir_all(&units).expect("units dir");
    std::fs::create_dir_all(&fake).expect("fake dir");
    // systemd is not running here: systemctl only records what it is asked;
    // `id -u` says root, as under sudo.
    fake_command(&fake, "systemctl", "");
    fake_command(&fake, "id", "echo 0");
    let (prefix_arg, units_arg) = (prefix.to_str().expect("utf-8"), units.to_str().expect("utf-8"));
    let args = ["--token", TOKEN, "--machine-id", "web-7", "--prefix", prefix_arg, "--unit-dir", units_arg];
    let output = run_script(&hub.http(), &args, Some(&fake)).await;
    assert!(output.status.success(), "{}", text(&output));
    let systemctl = std::fs::read_to_string(fake.join("systemctl.log")).expect("systemctl called");
    assert_eq!(systemctl, "daemon-reload\nenable --now sysmonstm-agent.service\n");

    let unit_path = units.join("sysmonstm-agent.service");
    let unit = std::fs::read_to_string(&unit_path).expect("unit");
    for line in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        &format!("LoadCredential=agent-token:{prefix_arg}/etc/sysmonstm/agent.token"),
        "Environment=SYSMONSTM_TOKEN_FILE=%d/agent-token",
        &format!("ExecStart={prefix_arg}/bin/sysmonstm-agent"),
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line:?}:\n{unit}");
    }
    // systemd's own check: exit 0 and nothing to say about the unit.
    let verify = Command::new("systemd-analyze").arg("verify").arg(&unit_path).output().expect("systemd-analyze runs");
    let said = String::from_utf8_lossy(&verify.stderr).to_string();
    assert!(verify.status.success() && !said.contains("sysmonstm-agent"), "systemd-analyze verify: {said}");

    let output =
        run_script(&hub.http(), &["--uninstall", "--prefix", prefix_arg, "--unit-dir", units_arg], Some(&fake)).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(!unit_path.exists() && !prefix.exists(), "uninstall removes the unit and the files");
    let systemctl = std::fs::read_to_string(fake.join("systemctl.log")).expect("systemctl called");
    assert!(systemctl.ends_with("disable --now sysmonstm-agent.service\ndaemon-reload\n"), "{systemctl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_download_or_another_architecture_installs_nothing() {
    let agent = sysmonstm_testkit::bins::workspace_binary("sysmonstm-agent");
    let hub = hub_with(&agent);
    let http = hub.http();
    let root = tempfile::tempdir().expect("dir");
    let prefix = root.path().join("opt");
    let prefix_arg = prefix.to_str().expect("utf-8 path");

    // A mirror handing out other bytes under the real sum.
    let mirror = root.path().join("mirror");
    std::fs::create_dir(&mirror).expect("mirror dir");
    std::fs::write(mirror.join("sysmonstm-agent"), b"#!/bin/sh\necho tampered\n").expect("tampered");
    let (_, _, sum) = fetch(&format!("{http}/download/sysmonstm-agent.sha256")).await;
    std::fs::write(mirror.join("sysmonstm-agent.sha256"), sum).expect("sum");
    let mirror_url = sysmonstm_testkit::files::serve(mirror).await;
    let output = run_script(
        &http,
        &[
            "--token",
            TOKEN,
            "--machine-id",
            "web-4",
            "--prefix",
            prefix_arg,
            "--no-service",
            "--download-from",
            &mirror_url,
        ],
        None,
    )
    .await;
    assert!(!output.status.success(), "a tampered binary must be refused: {}", text(&output));
    assert!(text(&output).contains("checksum mismatch"), "{}", text(&output));
    assert!(!prefix.exists(), "nothing installed");

    // A machine of another architecture is told so.
    let fake = root.path().join("fakebin");
    std::fs::create_dir(&fake).expect("dir");
    std::fs::write(fake.join("uname"), "#!/bin/sh\necho riscv64\n").expect("fake uname");
    std::fs::set_permissions(fake.join("uname"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output =
        run_script(&http, &["--prefix", prefix_arg, "--no-service", "--machine-id", "web-5"], Some(&fake)).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("this machine is riscv64"), "{}", text(&output));
    assert!(!prefix.exists(), "nothing installed");

    // Unknown options and bad machine ids are refused by name.
    let output = run_script(&http, &["--colour", "blue"], None).await;
    assert!(!output.status.success() && text(&output).contains("unknown option '--colour'"), "{}", text(&output));
    let output = run_script(&http, &["--machine-id", "web 6", "--no-service", "--prefix", prefix_arg], None).await;
    assert!(!output.status.success() && text(&output).contains("--machine-id 'web 6'"), "{}", text(&output));
    for (label, says) in [("env", "not KEY=VALUE"), ("Env=prod", "keys use"), ("env=a b", "values here use")] {
        let output = run_script(&http, &["--label", label, "--no-service", "--prefix", prefix_arg], None).await;
        assert!(!output.status.success() && text(&output).contains(says), "{label}: {}", text(&output));
    }
    assert!(!prefix.exists(), "nothing installed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_binary_the_downloads_say_how_to_provide_one() {
    let root = tempfile::tempdir().expect("dir");
    let hub = hub_with(&root.path().join("no-such-agent"));
    let http = hub.http();
    for path in ["/download/sysmonstm-agent", "/download/sysmonstm-agent.sha256"] {
        let (status, body) = get_json(&format!("{http}{path}")).await;
        assert_eq!(status, 404, "{path}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains("--agent-binary") && error.contains("no-such-agent"), "{path}: {body}");
    }
    let prefix = root.path().join("opt");
    let output = run_script(&http, &["--prefix", prefix.to_str().expect("utf-8"), "--no-service"], None).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("could not download"), "{}", text(&output));
    assert!(!prefix.exists());

    // A Host header that is not a host is not written into a script.
    let response = reqwest::Client::new()
        .get(format!("{http}/install.sh"))
        .header("host", "hub$(reboot)")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["field"], "host", "{body}");
}
