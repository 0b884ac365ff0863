//! Rules on one disk, and a rule that predicts a disk filling, against a
//! real agent process watching a real filesystem the test fills: an ext4
//! image loop-mounted in a mount namespace of the agent's own (`unshare
//! -m`, so no other test sees it), filled 1 MiB every 250 ms by a shell
//! loop in the same namespace once the test says go (a file beside the
//! image). Needs root and loop devices, as CI has.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::bins::workspace_binary;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const TOKEN: &str = "test-admin-token";
/// The image: ext4 of 64 MiB (about 55 MiB usable); the loop fills 40 MiB.
const IMAGE_MIB: u32 = 64;
const FILL_MIB: u32 = 40;

/// The agent in its own mount namespace with the image mounted; killed on drop.
struct FillingAgent {
    child: Child,
    dir: tempfile::TempDir,
}

impl FillingAgent {
    /// Starts filling the disk.
    fn go(&self) {
        std::fs::write(self.dir.path().join("go"), b"").expect("the go file");
    }
}

impl Drop for FillingAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the agent (`machine_id`) with the image mounted at the returned
/// path inside its namespace, filled once [`FillingAgent::go`] is called.
fn filling_agent(grpc: &str, machine_id: &str) -> (FillingAgent, String) {
    let dir = tempfile::tempdir().expect("dir");
    let image = dir.path().join("disk.img");
    let mount = dir.path().join("data");
    std::fs::create_dir(&mount).expect("mount point");
    let made = Command::new("truncate").arg("-s").arg(format!("{IMAGE_MIB}M")).arg(&image).status().expect("truncate");
    assert!(made.success(), "truncate");
    let formatted = Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image).status().expect("mkfs.ext4 (e2fsprogs)");
    assert!(formatted.success(), "mkfs.ext4");
    let script = format!(
        r#"set -e
mount -o loop "$1" "$2"
( while [ ! -e "$6" ]; do sleep 0.1; done; i=0; while [ $i -lt {FILL_MIB} ]; do
    dd if=/dev/zero of="$2/fill$i" bs=1M count=1 status=none; sync; i=$((i+1)); sleep 0.25
  done ) &
exec "$3" --hub "$4" --machine-id "$5" --interval 250ms"#
    );
    let child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script, "sh"])
        .arg(&image)
        .arg(&mount)
        .arg(workspace_binary("sysmonstm-agent"))
        .args([grpc, machine_id])
        .arg(dir.path().join("go"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unshare (util-linux)");
    let mount = mount.to_str().expect("utf-8 path").to_owned();
    (FillingAgent { child, dir }, mount)
}

fn hub() -> TestHub {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(TOKEN.into());
    TestHub::start_with(config, dir)
}

async fn rule(hub: &TestHub, body: Value) -> String {
    let (status, made) = send_json(Method::POST, &format!("{}/api/rules", hub.http()), Some(TOKEN), &body).await;
    assert_eq!(status, 201, "{made}");
    made["id"].as_str().expect("id").to_owned()
}

/// A mount's use, percent, as the agent last reported it.
async fn percent_of(hub: &TestHub, machine: &str, mount: &str) -> Option<f64> {
    let (_, m) = get_json(&format!("{}/api/machines/{machine}", hub.http())).await;
    m["latest"]["disks"].as_array()?.iter().find(|d| d["mount_point"] == mount)?["percent"].as_f64()
}

async fn firing_for(hub: &TestHub, rule_id: &str) -> Vec<Value> {
    let (_, list) = get_json(&format!("{}/api/alerts?state=firing", hub.http())).await;
    list.as_array().expect("alerts").iter().filter(|a| a["rule_id"] == rule_id).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_one_disk_fires_while_the_root_disk_rule_does_not() {
    let hub = hub();
    let (agent, mount) = filling_agent(&hub.grpc(), "disk-1");
    let root = eventually("the agent reports both disks", || async {
        let mount_seen = percent_of(&hub, "disk-1", &mount).await;
        let root = percent_of(&hub, "disk-1", "/").await;
        mount_seen.and(root)
    })
    .await;
    // The root disk's rule sits above where it is; the image's at 30 %.
    let on_root = rule(
        &hub,
        json!({"name": "root full", "metric": "disk_percent{mount=\"/\"}", "comparison": ">",
        "threshold": (root + 5.0).min(99.5)}),
    )
    .await;
    let on_data = rule(
        &hub,
        json!({"name": "data full", "metric": format!("disk_percent{{mount=\"{mount}\"}}"),
        "comparison": ">", "threshold": 30}),
    )
    .await;
    agent.go();
    let fired =
        eventually("the data disk's rule fires", || async { firing_for(&hub, &on_data).await.into_iter().next() })
            .await;
    assert_eq!(fired["part"], json!(mount));
    assert!(fired["value"].as_f64().expect("value") > 30.0, "{fired}");
    assert!(firing_for(&hub, &on_root).await.is_empty(), "the root disk's rule does not fire");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_predictive_rule_warns_before_the_disk_is_full() {
    let hub = hub();
    // First a flat series for longer than the quarter of the window a
    // prediction needs (nothing predicted), then about 7 % a second.
    let (agent, mount) = filling_agent(&hub.grpc(), "disk-2");
    eventually("the agent reports the disk", || async { percent_of(&hub, "disk-2", &mount).await }).await;
    let predict = rule(
        &hub,
        json!({"name": "data fills", "kind": "predict",
        "metric": format!("disk_percent{{mount=\"{mount}\"}}"), "horizon": "10m", "window": "20s",
        "severity": "critical"}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(firing_for(&hub, &predict).await.is_empty(), "a flat disk is not predicted to fill");
    agent.go();
    let fired = eventually("the prediction fires while filling", || async {
        firing_for(&hub, &predict).await.into_iter().next()
    })
    .await;
    let left = fired["value"].as_f64().expect("seconds left");
    assert!((0.0..=600.0).contains(&left), "predicted full within the horizon: {left} s");
    let used = percent_of(&hub, "disk-2", &mount).await.expect("percent");
    assert!(used < 95.0, "warned before it was full ({used} %)");
    assert_eq!(fired["part"], json!(mount));
}
