//! The SQLite writer connection on a thread of its own, at a lower CPU
//! priority than the rest of the hub.
//!
//! Writes come in large transactions (seconds of samples from thousands of
//! machines): on a busy machine such a commit would take a core from the
//! gRPC streams and browser sessions for a second or more. At
//! [`WRITER_NICE`] the kernel runs the live path first and the writer in
//! the time left; storage keeps up as long as there is any, and when there
//! is not, its backlog pushes back on the agents (they hold their samples).

use std::sync::mpsc;

use rusqlite::Connection;

use super::StoreError;

/// How much nicer the writer thread is than the rest of the hub (nice
/// values run from -20, first, to 19, last).
pub const WRITER_NICE: i32 = 10;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Runs jobs on the writer connection, one at a time, in order.
pub struct WriterThread {
    jobs: mpsc::Sender<Job>,
}

impl WriterThread {
    /// Starts the thread owning `conn`; it ends when the handle is dropped.
    pub fn start(mut conn: Connection) -> Result<WriterThread, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("hub-sqlite-writer".into())
            .spawn(move || {
                lower_priority(WRITER_NICE);
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Worker(format!("cannot start the SQLite writer thread: {e}")))?;
        Ok(WriterThread { jobs })
    }

    /// Runs `work` on the writer connection and waits (asynchronously) for it.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = done.send(work(conn));
        });
        self.jobs.send(job).map_err(|_| StoreError::Worker("the SQLite writer thread has stopped".into()))?;
        result.await.map_err(|_| StoreError::Worker("the SQLite writer thread stopped during a write".into()))?
    }
}

/// Lowers the calling thread's priority by `by` (Linux: nice is per
/// thread), relative to the hub's own. A failure only means the writer
/// competes with the live path as before.
fn lower_priority(by: i32) {
    // SAFETY: getpriority and setpriority take plain integers and read no
    // memory of ours; `who` 0 is the calling thread.
    unsafe {
        let own = libc::getpriority(libc::PRIO_PROCESS, 0);
        libc::setpriority(libc::PRIO_PROCESS, 0, (own + by).min(MAX_NICE));
    }
}

/// The lowest priority there is.
const MAX_NICE: i32 = 19;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_on_a_lower_priority_thread() {
        let writer = WriterThread::start(Connection::open_in_memory().expect("sqlite")).expect("thread");
        writer.run(|c| Ok(c.execute_batch("CREATE TABLE t (n INTEGER)")?)).await.expect("create");
        for n in 0..5 {
            writer.run(move |c| Ok(c.execute("INSERT INTO t VALUES (?1)", [n]).map(|_| ())?)).await.expect("insert");
        }
        let order: Vec<i64> = writer
            .run(|c| {
                let mut stmt = c.prepare("SELECT n FROM t ORDER BY rowid")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
                Ok(rows)
            })
            .await
            .expect("select");
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        // SAFETY: getpriority reads no memory of ours.
        let nice = writer.run(|_| Ok(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })).await.expect("nice");
        // At least the writer's nice value (more if the whole hub was started niced).
        assert!(nice >= WRITER_NICE, "writer thread nice {nice}");
    }

    #[tokio::test]
    async fn an_error_comes_back_and_the_thread_goes_on() {
        let writer = WriterThread::start(Connection::open_in_memory().expect("sqlite")).expect("thread");
        let failed = writer.run(|c| Ok(c.execute_batch("NOT SQL")?)).await;
        assert!(failed.is_err());
        assert_eq!(
            writer.run(|c| Ok(c.query_row("SELECT 41 + 1", [], |r| r.get::<_, i64>(0))?)).await.expect("ok"),
            42
        );
    }
}
