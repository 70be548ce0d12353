//! `strata serve`: the model behind an HTTP API and a predict page (see `strata_serve`).

use anyhow::{Context, Result};
use strata_model::folder::{load, resolve};

use crate::args::ServeCmd;

pub fn run(a: ServeCmd) -> Result<()> {
    let mut saved = load(&a.model)?;
    super::name_labels(&mut saved, &a.label_names)?;
    let name = resolve(&a.model)
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "model".into());
    let state = strata_serve::Served::new(name.clone(), saved);
    let app = strata_serve::router(state, a.max_body);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async move {
        let addr = format!("{}:{}", a.host, a.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e} (hint: choose another --port)"))?;
        eprintln!("Serving {name} on http://{} (Ctrl-C stops)", listener.local_addr()?);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}
