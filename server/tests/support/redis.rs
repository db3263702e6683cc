//! A Redis of one test's own (Debian's `redis-server`, no config file), which
//! the test can stop and start again on the same port; and a cluster of server
//! nodes sharing it and one database.

use std::{process::Stdio, time::Instant};

use super::{free_port, fresh_db_uri, TestApp, WAIT};

pub struct TestRedis {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl TestRedis {
    pub async fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            child: None,
        };
        redis.resume().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on its port, empty, and waits until it answers.
    pub async fn resume(&mut self) {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-server (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 16];
                if s.write_all(b"PING\r\n").await.is_ok()
                    && matches!(s.read(&mut buf).await, Ok(n) if buf[..n].starts_with(b"+PONG"))
                {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Kills it (its data goes with it, like a restart without persistence).
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}

/// Server nodes in cluster mode: one Redis, one database.
pub struct TestCluster {
    pub redis: TestRedis,
    pub nodes: Vec<TestApp>,
    pub db_uri: String,
}

impl TestCluster {
    pub async fn start(n: usize, extra_env: &[(&str, &str)]) -> Self {
        let redis = TestRedis::start().await;
        let db_uri = fresh_db_uri();
        let url = redis.url();
        let mut env: Vec<(&str, &str)> = vec![("REDIS_URL", &url)];
        env.extend_from_slice(extra_env);
        let nodes =
            futures::future::join_all((0..n).map(|_| TestApp::spawn_on(db_uri.clone(), &env)))
                .await;
        Self {
            redis,
            nodes,
            db_uri,
        }
    }
}
