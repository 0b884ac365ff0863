//! A real SMTP server on loopback: Debian's aiosmtpd (`python3-aiosmtpd`)
//! run by `/usr/bin/python3`, optionally with STARTTLS or implicit TLS
//! (a certificate of the test PKI) and AUTH with one user. Each mail it
//! takes is written to a directory as JSON (envelope, the message as sent,
//! who logged in, whether TLS was on), read back with [`SmtpSink::next`].

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::wait::WAIT;

const SERVER: &str = r#"
import json, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out, mode, cert, key, user, password = sys.argv[1:8]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".json")])
        auth = getattr(session, "auth_data", None)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        }
        tmp = os.path.join(out, ".%04d.tmp" % n)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(out, "%04d.json" % n))
        return "250 OK"

def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=data)

kwargs = {}
if user:
    # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too.
    kwargs.update(authenticator=check, auth_required=True, auth_require_tls=(mode == "starttls"))
context = None
if mode != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
if mode == "starttls":
    kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(Keep(), hostname="127.0.0.1", port=int(port), **kwargs)
elif mode == "tls":
    controller = Controller(Keep(), hostname="127.0.0.1", port=int(port), ssl_context=context, **kwargs)
else:
    controller = Controller(Keep(), hostname="127.0.0.1", port=int(port), **kwargs)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

/// How the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    Plain,
    Starttls,
    /// TLS from the first byte.
    Tls,
}

pub struct SmtpSink {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
    seen: usize,
}

impl SmtpSink {
    /// Starts the server; `pki_dir` holds hub.pem / hub.key (the test PKI)
    /// for the TLS modes; `login` is the one user AUTH accepts.
    pub fn start(mode: SmtpMode, pki_dir: Option<&Path>, login: Option<(&str, &str)>) -> SmtpSink {
        let dir = tempfile::tempdir().expect("mail dir");
        let port = crate::free_port();
        let (cert, key) = match pki_dir {
            Some(d) => (d.join("hub.pem").display().to_string(), d.join("hub.key").display().to_string()),
            None => (String::new(), String::new()),
        };
        let mode_name = match mode {
            SmtpMode::Plain => "none",
            SmtpMode::Starttls => "starttls",
            SmtpMode::Tls => "tls",
        };
        let (user, password) = login.unwrap_or(("", ""));
        let mut child = Command::new("/usr/bin/python3")
            .args([
                "-c",
                SERVER,
                &port.to_string(),
                &dir.path().display().to_string(),
                mode_name,
                &cert,
                &key,
                user,
                password,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the server's first line");
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        SmtpSink { port, child, dir, seen: 0 }
    }

    /// The next mail it took, within [`WAIT`].
    pub async fn next(&mut self) -> Value {
        let path = self.dir.path().join(format!("{:04}.json", self.seen));
        let until = tokio::time::Instant::now() + WAIT;
        while !path.exists() {
            assert!(tokio::time::Instant::now() < until, "no mail within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.seen += 1;
        serde_json::from_str(&std::fs::read_to_string(&path).expect("mail file")).expect("mail JSON")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
