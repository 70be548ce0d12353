//! The accept loop: hyper's HTTP/1 under our own loop rather than `axum::serve`, because the
//! bounds a server needs against slow and idle clients live there — a header read timeout
//! (which also closes idle kept-alive connections), a cap on open connections kept under the
//! process's file limit, and a shutdown that drains requests in flight for at most a deadline,
//! on SIGTERM as on Ctrl-C. The loop also stops, with an error, when the inference worker has
//! stopped for good, so a supervisor (systemd, Kubernetes) starts a fresh server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use prometheus_client::metrics::gauge::Gauge;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::batcher::MAX_RESTARTS;
use crate::routes::router;
use crate::served::Served;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the inference worker panicked {MAX_RESTARTS} times in a row and stopped (hint: the messages above say why; check the model with `strata test`)")]
    WorkerStopped,
}

enum Stop {
    Signal,
    Worker,
}

/// Serves `state` on `listener` until `shutdown` resolves (then drains) or the inference worker
/// stops (then drains and returns `Err`).
pub async fn serve(
    listener: TcpListener,
    state: Arc<Served>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let config = state.config.clone();
    let app = router(state.clone());
    let cap = connection_cap(config.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_timeout).keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut conns = JoinSet::new();
    let batcher = state.batcher.clone();
    let worker_stopped = batcher.stopped();
    tokio::pin!(shutdown, worker_stopped);
    let stop = loop {
        while conns.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break Stop::Signal,
            },
            () = &mut shutdown => break Stop::Signal,
            () = &mut worker_stopped => break Stop::Worker,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // out of file descriptors, or a connection reset before accept: wait, go on
                    eprintln!("warning: accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break Stop::Signal,
            () = &mut worker_stopped => break Stop::Worker,
        };
        let _ = stream.set_nodelay(true);
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let watched = graceful.watch(conn);
        let open = OpenConnection::new(state.metrics.connections.clone());
        conns.spawn(async move {
            let _open = open;
            let _permit = permit;
            let _ = watched.await; // a client's I/O error ends its connection, nothing more
        });
    };
    drop(listener); // refuse new clients while the others finish
    if tokio::time::timeout(config.drain, graceful.shutdown()).await.is_err() {
        eprintln!(
            "warning: {} connection(s) still busy after the {:?} drain; dropping them",
            conns.len(),
            config.drain
        );
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
    match stop {
        Stop::Signal => Ok(()),
        Stop::Worker => Err(ServeError::WorkerStopped),
    }
}

/// Counts an open connection in `/metrics` for as long as it lives.
struct OpenConnection(Gauge);

impl OpenConnection {
    fn new(g: Gauge) -> Self {
        g.inc();
        OpenConnection(g)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `wanted`, or less where the process may not open that many files: connections beyond the
/// file limit would make accept fail for every client, health checks included.
fn connection_cap(wanted: usize) -> usize {
    let room = open_file_limit().map(|n| n.saturating_sub(64).max(1));
    match room {
        Some(room) if room < wanted => {
            eprintln!(
                "note: at most {room} connections at once (the open-file limit is {}; raise it with ulimit -n)",
                room + 64
            );
            room
        }
        _ => wanted.max(1),
    }
}

#[cfg(unix)]
fn open_file_limit() -> Option<usize> {
    let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    lim.current.map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<usize> {
    None
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, whichever comes first. Both are listened for from
/// the call on, so a SIGTERM sent at once is not lost; call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => eprintln!("interrupted: finishing the requests in flight"),
            () = term => eprintln!("terminated: finishing the requests in flight"),
        }
    }
}
