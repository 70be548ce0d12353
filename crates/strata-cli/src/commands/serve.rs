//! `strata serve`: the model behind an HTTP API and a predict page (see `strata_serve`).

use std::time::Duration;

use anyhow::{Context, Result};
use strata_model::classifier::load;
use strata_model::folder::resolve;
use strata_serve::ServeConfig;

use crate::args::ServeCmd;

pub fn run(a: ServeCmd) -> Result<()> {
    let mut model = load(&a.model)?;
    super::name_labels(&mut model, &a.label_names)?;
    let name = resolve(&a.model)
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "model".into());
    let config = ServeConfig {
        max_body: a.max_body,
        max_inputs: a.max_inputs as usize,
        queue_depth: a.queue_depth as usize,
        deadline: Duration::from_secs_f64(a.deadline),
        header_timeout: Duration::from_secs_f64(a.header_timeout),
        max_explain_tokens: a.max_explain_tokens as usize,
        max_concurrent_explains: a.max_concurrent_explains as usize,
        max_connections: a.max_connections as usize,
        drain: Duration::from_secs_f64(a.drain),
        allowed_hosts: ServeConfig::hosts_for_bind(&a.host),
        work_hook: None,
        // the model's own threshold (train --reject-below) unless one is given here
        reject_below: strata_model::stored_reject::effective(
            crate::tree_report::reject_below(a.reject_below)?,
            &a.model,
        )?,
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let served = runtime.block_on(async move {
        let addr = format!("{}:{}", a.host, a.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e} (hint: choose another --port)"))?;
        strata_serve::init_access_log();
        let state = strata_serve::Served::new(name.clone(), model, config);
        eprintln!("Serving {name} on http://{} (Ctrl-C or SIGTERM stops)", listener.local_addr()?);
        strata_serve::serve(listener, state, strata_serve::shutdown_signal()).await.context("serving")
    });
    // an explanation still computing must not hold the exit up
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}
