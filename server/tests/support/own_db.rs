//! A database of one test's own, which the test can stop, restart and freeze.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use super::free_port;

/// A MongoDB-wire server of this test's own, that can be stopped and started again
/// on the same port with the same data.
pub struct OwnDatabase {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<tokio::process::Child>,
}

impl OwnDatabase {
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "livechat-fault-db-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut db = Self {
            port: free_port(),
            dir,
            child: None,
        };
        db.resume().await;
        db
    }

    pub async fn resume(&mut self) {
        let child = tokio::process::Command::new("nx-27017")
            .args([
                "--data-dir",
                self.dir.to_str().unwrap(),
                "-p",
                &self.port.to_string(),
            ])
            .args(["--pid-file", self.dir.join("pid").to_str().unwrap()])
            .args(["--log-file", self.dir.join("log").to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nx-27017");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "database did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.unwrap();
            let _ = c.wait().await;
        }
        let _ = std::fs::remove_file(self.dir.join("pid"));
    }

    /// Freezes the database process: connections stay open, nothing answers.
    pub fn hang(&self, frozen: bool) {
        let pid = self.child.as_ref().unwrap().id().unwrap();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/faults", self.port)
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
