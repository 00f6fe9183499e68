//! A fast SMTP sink for benchmarks: speaks enough ESMTP for a real client
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), accepts every message,
//! and counts messages and their distinct `Message-ID`s. It stores nothing,
//! so it is never the limit of what it measures.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Counts {
    messages: AtomicU64,
    ids: Mutex<HashSet<String>>,
}

/// A running sink; stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    counts: Arc<Counts>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let task = tokio::spawn({
            let counts = counts.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(session(stream, counts.clone()));
                }
            }
        });
        Ok(Self { addr, counts, task })
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> u64 {
        self.counts.messages.load(Ordering::Relaxed)
    }

    /// Distinct `Message-ID`s among them.
    pub fn distinct_ids(&self) -> usize {
        self.counts.ids.lock().map(|ids| ids.len()).unwrap_or(0)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, counts: Arc<Counts>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.local ESMTP ready\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut id = None;
                let mut in_headers = true;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    if in_headers {
                        if line == "\r\n" || line == "\n" {
                            in_headers = false;
                        } else if line
                            .get(..11)
                            .is_some_and(|h| h.eq_ignore_ascii_case("message-id:"))
                        {
                            id = Some(line[11..].trim().to_owned());
                        }
                    }
                }
                counts.messages.fetch_add(1, Ordering::Relaxed);
                if let (Some(id), Ok(mut ids)) = (id, counts.ids.lock()) {
                    ids.insert(id);
                }
                b"250 OK queued\r\n"
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}
